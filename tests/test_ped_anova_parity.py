"""Agreement with Optuna 5.0's ``PedAnovaImportanceEvaluator`` to 1e-9 relative.

PED-ANOVA has no randomness, so the two evaluators must give the same numbers up to rounding:
raw (``normalize=False``) and normalized, on every real study in ``data/`` and on generated
studies with every kind of parameter, conditional parameters, ranges that changed during the
study, maximization, heavy ties and several objectives, under each setting.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.importance import get_param_importances
from optuna.importance import PedAnovaImportanceEvaluator as OptunaPedAnovaImportanceEvaluator
import pytest

from hpimportance import PedAnovaImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence
    from typing import Any

    from optuna.distributions import BaseDistribution
    from optuna.study import Study
    from optuna.trial import FrozenTrial


# Both evaluators warn about small regimes and targets, and Optuna flags `normalize` as
# experimental: the warnings are the same for both and beside the point here.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
]

# The promise; the evaluators agree to about 1e-13 in practice.
RELATIVE_TOLERANCE = 1e-9

SETTINGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "target_quantile=0.3": {"target_quantile": 0.3},
    "region_quantile=0.5": {"region_quantile": 0.5},
    "evaluate_on_local=False": {"evaluate_on_local": False},
}


def assert_agree(ours: dict[str, float], theirs: dict[str, float]) -> None:
    assert ours.keys() == theirs.keys()
    for name, value in theirs.items():
        assert math.isclose(ours[name], value, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0), (
            f"{name}: ours {ours[name]!r}, Optuna's {value!r}"
        )


def assert_parity(
    study: Study,
    settings: dict[str, Any],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    params: list[str] | None = None,
) -> dict[str, float]:
    """Raw and normalized importances of both evaluators agree; returns our raw ones."""
    raw = {}
    for normalize in (False, True):
        results = [
            get_param_importances(
                study,
                evaluator=evaluator_class(**settings),
                params=params,
                target=target,
                normalize=normalize,
            )
            for evaluator_class in (PedAnovaImportanceEvaluator, OptunaPedAnovaImportanceEvaluator)
        ]
        assert_agree(*results)
        if not normalize:
            raw = results[0]
    return raw


def make_study(
    trials: Sequence[tuple[dict[str, Any], dict[str, BaseDistribution], float | list[float]]],
    directions: Sequence[str] = ("minimize",),
) -> Study:
    """A study of COMPLETE trials, each with its own parameters, distributions and values."""
    study = optuna.create_study(directions=list(directions))
    study.add_trials(
        [
            optuna.create_trial(
                params=params,
                distributions=distributions,
                values=list(values) if isinstance(values, list) else [values],
            )
            for params, distributions, values in trials
        ]
    )
    return study


def draw(rng: np.random.Generator, distribution: BaseDistribution) -> Any:
    """A value of ``distribution``, drawn roughly as a random sampler would."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[int(rng.integers(len(distribution.choices)))]
    low, high = distribution.low, distribution.high
    if distribution.log:
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
        if isinstance(distribution, IntDistribution):
            return min(max(round(value), low), high)
        return min(max(value, low), high)
    if distribution.step is not None:
        n_steps = round((high - low) / distribution.step)
        value = low + distribution.step * int(rng.integers(n_steps + 1))
        return int(value) if isinstance(distribution, IntDistribution) else value
    return float(rng.uniform(low, high))


MIXED_SPACE: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-3.0, 3.0),
    "float_log": FloatDistribution(1e-5, 1e-1, log=True),
    "float_step": FloatDistribution(0.0, 1.0, step=0.05),
    "coarse_step": FloatDistribution(0.0, 0.9, step=0.3),
    "int": IntDistribution(-10, 10),
    "int_wide": IntDistribution(0, 1000),
    "int_log": IntDistribution(1, 1024, log=True),
    "int_log_huge": IntDistribution(1, 2**29, log=True),
    "int_step": IntDistribution(2, 62, step=4),
    "categorical": CategoricalDistribution(["adam", "sgd", "rmsprop", None, 1.5, True]),
}


def mixed_objective(params: dict[str, Any]) -> float:
    effect = {"adam": 0.0, "sgd": 1.0, "rmsprop": 0.4, None: 2.0, 1.5: 0.8, True: 0.2}
    return (
        (params["float"] - 1.0) ** 2
        + 2.0 * (math.log10(params["float_log"]) + 3.0) ** 2
        + params["float_step"]
        + 0.3 * abs(params["int"])
        + 0.001 * params["int_wide"]
        + 0.5 * math.log2(params["int_log"])
        + 0.05 * math.log2(params["int_log_huge"])
        + effect[params["categorical"]]
    )


def mixed_trials(n_trials: int, seed: int) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(n_trials):
        params = {name: draw(rng, d) for name, d in MIXED_SPACE.items()}
        trials.append((params, dict(MIXED_SPACE), mixed_objective(params)))
    return trials


@pytest.fixture(scope="module")
def mixed_study() -> Study:
    return make_study(mixed_trials(600, seed=0))


@pytest.mark.parametrize("name", ["digits-svc", "wine-rf-mo", "diabetes-enet", "diabetes-knn"])
@pytest.mark.parametrize("setting", list(SETTINGS))
def test_shipped_studies(shipped_study: Callable[[str], Study], name: str, setting: str) -> None:
    study = shipped_study(name)
    raw = assert_parity(study, SETTINGS[setting])
    assert any(value > 0.0 for value in raw.values())
    if len(study.directions) > 1:
        # Each objective on its own too; maximized accuracy is negated to make lower better.
        assert_parity(study, SETTINGS[setting], target=lambda t: -t.values[0])
        assert_parity(study, SETTINGS[setting], target=lambda t: t.values[1])


def test_shipped_study_with_listed_params(shipped_study: Callable[[str], Study]) -> None:
    study = shipped_study("digits-svc")
    raw = assert_parity(study, {}, params=["gamma", "degree", "kernel"])
    assert list(raw) == sorted(raw, key=raw.__getitem__, reverse=True)


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_every_kind_of_parameter(mixed_study: Study, setting: str) -> None:
    raw = assert_parity(mixed_study, SETTINGS[setting])
    assert raw["float"] > raw["int_wide"] > 0.0


def test_target_quantile_and_region_quantile_together(mixed_study: Study) -> None:
    assert_parity(mixed_study, {"target_quantile": 0.05, "region_quantile": 0.4})
    assert_parity(
        mixed_study,
        {"target_quantile": 0.2, "region_quantile": 0.7, "evaluate_on_local": False},
    )


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_maximize(setting: str) -> None:
    trials = [(p, d, -value) for p, d, value in mixed_trials(400, seed=1)]
    study = make_study(trials, directions=["maximize"])
    raw = assert_parity(study, SETTINGS[setting])
    # Maximizing the negated objective finds what minimizing it finds.
    minimized = make_study(mixed_trials(400, seed=1))
    assert raw == pytest.approx(
        PedAnovaImportanceEvaluator(**SETTINGS[setting]).evaluate(minimized)
    )


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("levels", [2, 5, 40])
def test_ties(setting: str, levels: int) -> None:
    # Scores on a few levels: the top and region sets end inside runs of equal scores.
    trials = [(p, d, float(round(v) % levels)) for p, d, v in mixed_trials(300, seed=2)]
    assert_parity(make_study(trials), SETTINGS[setting])


def conditional_trials(
    n_trials: int, seed: int
) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    """A model choice decides which other parameters exist, two levels deep."""
    rng = np.random.default_rng(seed)
    model = CategoricalDistribution(["svm", "tree", "linear"])
    space = {
        "C": FloatDistribution(1e-3, 1e3, log=True),
        "kernel": CategoricalDistribution(["rbf", "poly"]),
        "degree": IntDistribution(2, 5),
        "depth": IntDistribution(1, 12),
        "penalty": FloatDistribution(0.0, 1.0, step=0.1),
        "lr": FloatDistribution(1e-4, 1.0, log=True),
    }
    trials = []
    for _ in range(n_trials):
        params = {"model": draw(rng, model)}
        names = {"svm": ["C", "kernel"], "tree": ["depth", "lr"], "linear": ["penalty", "lr"]}
        for name in names[params["model"]]:
            params[name] = draw(rng, space[name])
        if params.get("kernel") == "poly":
            params["degree"] = draw(rng, space["degree"])
        distributions = {
            "model": model,
            **{name: space[name] for name in params if name != "model"},
        }
        value = {"svm": 0.5, "tree": 0.2, "linear": 1.0}[params["model"]]
        value += abs(math.log10(params.get("C", 1.0))) * 0.3 + 0.1 * params.get("degree", 0)
        value += abs(math.log10(params.get("lr", 0.01)) + 2.0) * 0.5 + 0.05 * params.get(
            "depth", 0
        )
        trials.append((params, distributions, value + float(rng.normal(0.0, 0.05))))
    return trials


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_conditional_parameters(setting: str) -> None:
    study = make_study(conditional_trials(500, seed=3))
    raw = assert_parity(study, SETTINGS[setting])
    assert set(raw) == {"model", "C", "kernel", "degree", "depth", "penalty", "lr"}
    assert_parity(study, SETTINGS[setting], params=["degree", "model", "lr"])


def changing_trials(
    n_trials: int, seed: int
) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    """Ranges and choices that changed twice during the study, with a regime of one trial."""
    rng = np.random.default_rng(seed)
    phases = [
        {
            "x": FloatDistribution(0.0, 1.0),
            "n": IntDistribution(1, 8),
            "act": CategoricalDistribution(["relu", "tanh"]),
            "w": FloatDistribution(1e-3, 1.0, log=True),
        },
        {
            "x": FloatDistribution(0.0, 2.0),
            "n": IntDistribution(1, 16, step=3),
            "act": CategoricalDistribution(["relu", "tanh", "gelu"]),
            "w": FloatDistribution(1e-3, 1.0, log=True),
        },
        {
            "x": FloatDistribution(0.5, 2.0, step=0.25),
            "n": IntDistribution(2, 64, log=True),
            "act": CategoricalDistribution(["gelu", "relu"]),
            "w": FloatDistribution(1e-3, 1.0, log=True),
        },
    ]
    trials = []
    for i in range(n_trials):
        space = dict(phases[0 if i < n_trials // 3 else 1 if i < 2 * n_trials // 3 else 2])
        if i == n_trials // 2:
            space["w"] = FloatDistribution(1e-4, 1.0, log=True)  # One trial on its own range.
        params = {name: draw(rng, d) for name, d in space.items()}
        value = (
            (params["x"] - 0.8) ** 2
            + 0.1 * params["n"]
            + {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[params["act"]]
        )
        trials.append((params, space, value + 0.1 * math.log10(params["w"]) ** 2))
    return trials


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_ranges_changed_during_the_study(setting: str) -> None:
    assert_parity(make_study(changing_trials(450, seed=4)), SETTINGS[setting])


def multi_objective_trials(
    n_objectives: int, n_trials: int, seed: int
) -> list[tuple[dict[str, Any], dict[str, Any], list[float]]]:
    trials = []
    for params, distributions, value in mixed_trials(n_trials, seed):
        objectives = [
            value,
            params["float"] ** 2 + params["int_wide"] / 100.0,
            -params["float_step"],
        ]
        # Round to create duplicated objective vectors and ties within fronts.
        trials.append((params, distributions, [round(v, 1) for v in objectives[:n_objectives]]))
    return trials


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize(
    "directions", [["minimize", "maximize"], ["minimize", "minimize", "maximize"]]
)
def test_multi_objective(setting: str, directions: list[str]) -> None:
    study = make_study(multi_objective_trials(len(directions), 300, seed=5), directions)
    raw = assert_parity(study, SETTINGS[setting])
    assert any(value > 0.0 for value in raw.values())
    assert_parity(study, SETTINGS[setting], target=lambda t: t.values[1])


def test_infinite_values_are_dropped_as_optuna_drops_them() -> None:
    trials = mixed_trials(200, seed=6)
    trials[3] = (trials[3][0], trials[3][1], math.inf)
    trials[50] = (trials[50][0], trials[50][1], -math.inf)
    study = make_study(trials)
    assert_parity(study, {})
    multi = make_study(multi_objective_trials(2, 200, seed=6), ["minimize", "minimize"])
    multi.add_trial(
        optuna.create_trial(
            params=trials[7][0], distributions=trials[7][1], values=[1.0, math.inf]
        )
    )
    assert_parity(multi, {})
    assert_parity(multi, {}, target=lambda t: t.values[1])


def test_warnings_match_optuna_in_kind() -> None:
    # A conditional study with a one-trial regime warns in both evaluators.
    study = make_study(changing_trials(90, seed=7))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        PedAnovaImportanceEvaluator().evaluate(study)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        OptunaPedAnovaImportanceEvaluator().evaluate(study)
    assert any("fewer than 2 trials" in str(w.message) for w in ours)
    assert any("less than 2 trials" in str(w.message) for w in theirs)


def test_parameters_that_appear_late_in_the_study() -> None:
    # Reading skips collecting names in chunks whose trials hold exactly the first trial's
    # parameters: a trial that swaps one parameter for another, or adds one, far from the
    # start must still be found.
    a, b = FloatDistribution(0.0, 1.0), IntDistribution(0, 9)
    c, d = CategoricalDistribution(["u", "v"]), FloatDistribution(1.0, 10.0, log=True)
    rng = np.random.default_rng(8)
    trials = []
    for i in range(900):
        space = {"a": a, "b": b}
        if i % 300 == 299:
            space = {"a": a, "c": c}
        elif i % 450 == 449:
            space = {"a": a, "b": b, "d": d}
        params = {name: draw(rng, dist) for name, dist in space.items()}
        trials.append((params, space, params["a"] + 0.1 * params.get("b", 5)))
    raw = assert_parity(make_study(trials), {})
    assert set(raw) == {"a", "b", "c", "d"}


def test_range_changed_every_trial() -> None:
    # Every trial has its own range for `x`: one regime per trial, all too small to measure.
    rng = np.random.default_rng(9)
    trials = []
    for i in range(300):
        space = {"x": FloatDistribution(0.0, 1.0 + i), "n": IntDistribution(1, 4 + i % 3)}
        params = {name: draw(rng, dist) for name, dist in space.items()}
        trials.append((params, space, params["x"] / (1.0 + i) + params["n"]))
    raw = assert_parity(make_study(trials), {})
    assert raw["x"] == 0.0 and raw["n"] > 0.0

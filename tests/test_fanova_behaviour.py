"""How ``FanovaImportanceEvaluator`` reads studies and handles edge cases."""

from __future__ import annotations

import decimal
import importlib.metadata
import math
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.importance import get_param_importances
from optuna.trial import TrialState
import pytest

import hpimportance
from hpimportance import FanovaImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from optuna.study import Study
    from optuna.trial import FrozenTrial


MIXED = {
    "x": FloatDistribution(0.0, 1.0),
    "lr": FloatDistribution(1e-3, 1.0, log=True),
    "n": IntDistribution(0, 10),
    "kind": CategoricalDistribution(["p", "q", "r"]),
}


def _mixed_objective(params: dict[str, Any]) -> float:
    kind = {"p": 0.0, "q": 1.0, "r": 3.0}[params["kind"]]
    return params["x"] + 2.0 * params["lr"] + 0.1 * params["n"] + kind


@pytest.fixture
def mixed_study(random_study: Callable[..., Study]) -> Study:
    """150 random trials of a float, a log float, an int and a categorical, all of which
    matter, the categorical most."""
    return random_study(MIXED, _mixed_objective, 150, seed=0)


def _rebuilt(study: Study, values: Callable[[FrozenTrial], float | list[float]]) -> Study:
    """A new single- or multi-objective study with the same trials and new values."""
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    first = values(trials[0])
    n_objectives = len(first) if isinstance(first, list) else 1
    rebuilt = optuna.create_study(directions=["minimize"] * n_objectives)
    for trial in trials:
        value = values(trial)
        rebuilt.add_trial(
            optuna.create_trial(
                params=trial.params,
                distributions=trial.distributions,
                values=value if isinstance(value, list) else [value],
            )
        )
    return rebuilt


class TestDeterminism:
    def test_same_seed_gives_the_same_result_on_any_thread_count(self, mixed_study: Study) -> None:
        results = [
            FanovaImportanceEvaluator(seed=7, n_threads=n_threads).evaluate(mixed_study)
            for n_threads in (1, 2, 3, None)
        ]

        assert all(list(result.items()) == list(results[0].items()) for result in results)
        assert all(value > 0.0 for value in results[0].values())

    def test_repeated_evaluations_agree(self, mixed_study: Study) -> None:
        evaluator = FanovaImportanceEvaluator(seed=7)

        assert evaluator.evaluate(mixed_study) == evaluator.evaluate(mixed_study)

    def test_different_seeds_give_different_values(self, mixed_study: Study) -> None:
        first = FanovaImportanceEvaluator(seed=0).evaluate(mixed_study)
        second = FanovaImportanceEvaluator(seed=1).evaluate(mixed_study)

        assert set(first) == set(second) == set(MIXED)
        assert all(first[name] != second[name] for name in MIXED)
        # Different forests, same story.
        assert next(iter(first)) == next(iter(second)) == "kind"

    def test_no_seed_draws_a_fresh_one_per_call(self, mixed_study: Study) -> None:
        evaluator = FanovaImportanceEvaluator()

        assert evaluator.evaluate(mixed_study) != evaluator.evaluate(mixed_study)

    @pytest.mark.parametrize("seed", [0, 2**63, 2**64 - 1])
    def test_accepts_every_64_bit_seed(self, mixed_study: Study, seed: int) -> None:
        importances = FanovaImportanceEvaluator(seed=seed).evaluate(mixed_study)

        assert next(iter(importances)) == "kind"


def test_constant_objective_gives_zeros(random_study: Callable[..., Study]) -> None:
    study = random_study(MIXED, lambda params: 3.0, 50, seed=0)

    importances = FanovaImportanceEvaluator(seed=0).evaluate(study)

    assert importances == {name: 0.0 for name in MIXED}
    # Optuna then shares the importance out evenly instead of dividing by zero.
    normalized = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert normalized == {name: 0.25 for name in MIXED}


# Each maps an objective value, given the lowest and highest in the study, to a new one.
RESCALINGS: dict[str, Callable[[float, float, float], float]] = {
    "times-1e300": lambda value, low, high: value * 1e300,
    "times-1e300-plus-1e300": lambda value, low, high: value * 1e300 + 1e300,
    "times-minus-1e300": lambda value, low, high: value * -1e300,
    "times-1e-300": lambda value, low, high: value * 1e-300,
    # Onto [-1.7e308, 1.7e308], a range that overflows to infinity.
    "full-float-range": lambda value, low, high: (
        (value - (low + high) / 2.0) / ((high - low) / 2.0) * 1.7e308
    ),
}


@pytest.mark.parametrize("rescaling", list(RESCALINGS))
def test_huge_and_tiny_objective_values(mixed_study: Study, rescaling: str) -> None:
    unscaled = FanovaImportanceEvaluator(seed=0).evaluate(mixed_study)
    values = [trial.value for trial in mixed_study.trials]
    low, high = min(values), max(values)
    scaled_study = _rebuilt(
        mixed_study, lambda trial: RESCALINGS[rescaling](trial.value, low, high)
    )
    assert all(math.isfinite(trial.value) for trial in scaled_study.trials)

    scaled = FanovaImportanceEvaluator(seed=0).evaluate(scaled_study)

    assert set(scaled) == set(unscaled)
    assert all(math.isfinite(value) for value in scaled.values())
    # Rescaling changes the targets' last bits only. Cut scores within 1e-9 of each other tie,
    # so those bits cannot flip a cut: measured differences are at most 2.2e-16.
    for name, value in unscaled.items():
        assert scaled[name] == pytest.approx(value, abs=1e-9)


def test_negated_objective_gives_the_same_importances(mixed_study: Study) -> None:
    evaluator = FanovaImportanceEvaluator(seed=0)

    negated = evaluator.evaluate(mixed_study, target=lambda trial: -trial.value)

    assert negated == pytest.approx(evaluator.evaluate(mixed_study), abs=1e-12)


class TestTrialsThatDoNotCount:
    def test_infinite_values_are_dropped(
        self, mixed_study: Study, study_from_rows: Callable[..., Study]
    ) -> None:
        trials = mixed_study.trials
        values = [
            math.inf if i % 7 == 0 else -math.inf if i % 7 == 1 else trial.value
            for i, trial in enumerate(trials)
        ]
        with_infinities = study_from_rows(MIXED, [t.params for t in trials], values)
        finite = [(t.params, v) for t, v in zip(trials, values) if math.isfinite(v)]
        without = study_from_rows(MIXED, *zip(*finite))

        result = FanovaImportanceEvaluator(seed=0).evaluate(with_infinities)

        assert result == FanovaImportanceEvaluator(seed=0).evaluate(without)
        assert all(math.isfinite(value) for value in result.values())

    def test_nan_targets_are_dropped(
        self, mixed_study: Study, study_from_rows: Callable[..., Study]
    ) -> None:
        # Optuna refuses NaN objective values, so NaN can only come from a target.
        def target(trial: FrozenTrial) -> float:
            return math.nan if trial.number % 3 == 0 else trial.value

        kept = [trial for trial in mixed_study.trials if trial.number % 3 != 0]
        without = study_from_rows(MIXED, [t.params for t in kept], [t.value for t in kept])

        result = FanovaImportanceEvaluator(seed=0).evaluate(mixed_study, target=target)

        assert result == FanovaImportanceEvaluator(seed=0).evaluate(without)

    def test_unfinished_trials_are_ignored(self, mixed_study: Study) -> None:
        expected = FanovaImportanceEvaluator(seed=0).evaluate(mixed_study)
        for state in (TrialState.FAIL, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING):
            mixed_study.add_trial(
                optuna.create_trial(
                    params={"x": 0.5, "lr": 0.1, "n": 3, "kind": "r"},
                    distributions=MIXED,
                    state=state,
                )
            )

        assert FanovaImportanceEvaluator(seed=0).evaluate(mixed_study) == expected

    def test_conditional_parameters_drop_out(self, mixed_study: Study) -> None:
        expected = FanovaImportanceEvaluator(seed=0).evaluate(mixed_study)
        conditional = {**MIXED, "extra": FloatDistribution(0.0, 1.0)}
        mixed_study.add_trial(
            optuna.create_trial(
                params={"x": 0.5, "lr": 0.1, "n": 3, "kind": "r", "extra": 0.5},
                distributions=conditional,
                value=100.0,
            )
        )

        result = FanovaImportanceEvaluator(seed=0).evaluate(mixed_study)

        # "extra" is in one trial only; that trial still counts for the others.
        assert set(result) == set(MIXED)
        assert result != expected


class TestMultiObjective:
    @pytest.fixture
    def two_objectives(self, mixed_study: Study) -> Study:
        return _rebuilt(mixed_study, lambda trial: [trial.value, trial.params["x"]])

    def test_without_target_raises(self, two_objectives: Study) -> None:
        with pytest.raises(ValueError, match="target"):
            FanovaImportanceEvaluator(seed=0).evaluate(two_objectives)

    def test_with_target(self, two_objectives: Study, mixed_study: Study) -> None:
        evaluator = FanovaImportanceEvaluator(seed=0)

        first = evaluator.evaluate(two_objectives, target=lambda trial: trial.values[0])
        second = evaluator.evaluate(two_objectives, target=lambda trial: trial.values[1])

        assert first == evaluator.evaluate(mixed_study)
        assert next(iter(second)) == "x"
        assert second["x"] > 0.99


def test_result_is_sorted_descending_with_float_values(mixed_study: Study) -> None:
    for importances in (
        FanovaImportanceEvaluator(seed=0).evaluate(mixed_study),
        get_param_importances(mixed_study, evaluator=FanovaImportanceEvaluator(seed=0)),
    ):
        values = list(importances.values())
        assert values == sorted(values, reverse=True)
        assert all(type(value) is float for value in values)
        assert all(type(name) is str for name in importances)
        # kind and lr lead clearly; x and n are close (0.083 and 0.1 of variance in truth).
        assert list(importances)[:2] == ["kind", "lr"]


def test_single_valued_distributions_get_zero(random_study: Callable[..., Study]) -> None:
    distributions = {
        **MIXED,
        "fixed_float": FloatDistribution(2.0, 2.0),
        "fixed_int": IntDistribution(3, 3),
        "fixed_choice": CategoricalDistribution(["only"]),
    }
    study = random_study(distributions, _mixed_objective, 150, seed=0)

    importances = FanovaImportanceEvaluator(seed=0).evaluate(study)

    assert set(importances) == set(distributions)
    assert importances["fixed_float"] == importances["fixed_int"] == 0.0
    assert importances["fixed_choice"] == 0.0
    assert all(importances[name] > 0.0 for name in MIXED)


class TestParams:
    def test_subset_in_any_order_names_the_right_parameters(self, mixed_study: Study) -> None:
        evaluator = FanovaImportanceEvaluator(seed=0)

        in_order = evaluator.evaluate(mixed_study, params=["kind", "x"])
        reversed_order = evaluator.evaluate(mixed_study, params=["x", "kind"])

        assert list(in_order.items()) == list(reversed_order.items())
        assert list(in_order) == ["kind", "x"]
        # Without n and lr, the forest explains the objective by kind and x alone.
        assert in_order["kind"] > 0.5 > in_order["x"] > 0.02

    def test_unsorted_params_match_the_full_evaluation(self, mixed_study: Study) -> None:
        evaluator = FanovaImportanceEvaluator(seed=0)

        selected = evaluator.evaluate(mixed_study, params=["x", "n", "lr", "kind"])

        assert selected == evaluator.evaluate(mixed_study)

    def test_empty_params(self, mixed_study: Study) -> None:
        assert FanovaImportanceEvaluator(seed=0).evaluate(mixed_study, params=[]) == {}

    @pytest.mark.parametrize("params", ["x", ("x", 3), [None]])
    def test_params_must_be_a_list_of_names(self, mixed_study: Study, params: Any) -> None:
        with pytest.raises(TypeError, match="params"):
            FanovaImportanceEvaluator(seed=0).evaluate(mixed_study, params=params)

    def test_unknown_parameter(self, mixed_study: Study) -> None:
        with pytest.raises(ValueError, match="missing"):
            FanovaImportanceEvaluator(seed=0).evaluate(mixed_study, params=["x", "missing"])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_trees": 0}, ValueError, "n_trees"),
        ({"n_trees": 1.5}, TypeError, "n_trees"),
        ({"n_trees": True}, TypeError, "n_trees"),
        ({"max_depth": -1}, ValueError, "max_depth"),
        ({"max_depth": "64"}, TypeError, "max_depth"),
        ({"n_threads": 0}, ValueError, "n_threads"),
        ({"n_threads": 2.0}, TypeError, "n_threads"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**64}, ValueError, "seed"),
        ({"seed": "a"}, TypeError, "seed"),
        ({"seed": 1.0}, TypeError, "seed"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any], error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        FanovaImportanceEvaluator(**kwargs)


def test_target_must_return_a_number(mixed_study: Study) -> None:
    with pytest.raises(TypeError, match="target"):
        FanovaImportanceEvaluator(seed=0).evaluate(mixed_study, target=lambda trial: "high")


def test_many_choices(random_study: Callable[..., Study]) -> None:
    # 40 choices seen about 5 times each: the choice sets the objective, x barely moves it.
    effects = dict(zip([f"c{i:02d}" for i in range(40)], np.random.default_rng(5).normal(size=40)))
    distributions = {
        "choice": CategoricalDistribution(list(effects)),
        "x": FloatDistribution(0.0, 1.0),
        "y": FloatDistribution(0.0, 1.0),
    }
    study = random_study(
        distributions, lambda params: effects[params["choice"]] + 0.1 * params["x"], 200, seed=0
    )

    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))

    assert next(iter(importances)) == "choice"
    assert importances["choice"] > 0.8


def test_import_does_not_load_optuna() -> None:
    code = "import hpimportance, sys; assert 'optuna' not in sys.modules, 'optuna imported'"

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr


def test_public_names() -> None:
    assert {"FanovaImportanceEvaluator", "__version__"} <= set(hpimportance.__all__)
    assert hpimportance.__version__ == importlib.metadata.version("hpimportance")
    assert issubclass(
        hpimportance.FanovaImportanceEvaluator, optuna.importance.BaseImportanceEvaluator
    )
    with pytest.raises(AttributeError, match="NoSuchEvaluator"):
        hpimportance.NoSuchEvaluator  # noqa: B018


def _log_uniform_study(study_from_rows: Callable[..., Study]) -> Study:
    # y = log10(lr) + 3 x with lr log-uniform on [1e-5, 1] and x uniform on [0, 1].
    rng = np.random.default_rng(3)
    exponents = rng.uniform(-5.0, 0.0, 1500)
    xs = rng.uniform(0.0, 1.0, 1500)
    distributions = {"lr": FloatDistribution(1e-5, 1.0, log=True), "x": FloatDistribution(0, 1)}
    rows = [{"lr": 10.0**e, "x": x} for e, x in zip(exponents, xs)]
    return study_from_rows(distributions, rows, (exponents + 3.0 * xs).tolist())


def test_log_scale_measures_log_parameters_on_their_log_range(
    study_from_rows: Callable[..., Study],
) -> None:
    study = _log_uniform_study(study_from_rows)
    default = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    raw = get_param_importances(
        study, evaluator=FanovaImportanceEvaluator(seed=0, log_scale=False)
    )
    logged = get_param_importances(
        study, evaluator=FanovaImportanceEvaluator(seed=0, log_scale=True)
    )

    assert raw == default
    # Over log10(lr) uniform on [-5, 0]: Var = 25/12 against 9/12 for 3x, shares 0.735/0.265.
    assert logged["lr"] == pytest.approx(25 / 34, abs=0.03)
    assert logged["x"] == pytest.approx(9 / 34, abs=0.03)
    # Over the raw range, 90% of the weight sits in [0.1, 1], where log10(lr) barely moves.
    assert raw["lr"] < 0.35


def test_log_scale_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="log_scale"):
        FanovaImportanceEvaluator(log_scale="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("returned", [None, "1.5", decimal.Decimal("1.5"), [1.0]])
def test_target_returning_a_non_number_is_a_type_error(
    mixed_study: Study, returned: object
) -> None:
    with pytest.raises(TypeError, match="must return a float"):
        FanovaImportanceEvaluator(seed=0).evaluate(mixed_study, target=lambda t: returned)


def test_saturating_and_absurd_settings(mixed_study: Study) -> None:
    reference = FanovaImportanceEvaluator(seed=0, n_trees=8).evaluate(mixed_study)
    # A depth beyond any tree's and more threads than trees change nothing.
    unlimited = FanovaImportanceEvaluator(seed=0, n_trees=8, max_depth=10**30, n_threads=10**30)
    assert unlimited.evaluate(mixed_study) == reference
    with pytest.raises(ValueError, match="n_trees"):
        FanovaImportanceEvaluator(n_trees=10**12)

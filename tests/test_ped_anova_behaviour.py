"""How PED-ANOVA handles its arguments, odd studies and arrays, beyond agreeing with Optuna."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.importance import get_param_importances
from optuna.samplers._tpe.sampler import _split_complete_trials_multi_objective
from optuna.trial import TrialState
import pytest

import hpimportance
from hpimportance import _native
from hpimportance import _optuna_ped_anova
from hpimportance import _trials
from hpimportance import Categorical
from hpimportance import Float
from hpimportance import Int
from hpimportance import ped_anova
from hpimportance import PedAnovaImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from optuna.study import Study


pytestmark = [
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
    pytest.mark.filterwarnings("ignore:PED-ANOVA takes lower target values:UserWarning"),
]

MIXED = {
    "x": FloatDistribution(0.0, 1.0),
    "lr": FloatDistribution(1e-3, 1.0, log=True),
    "n": IntDistribution(0, 10),
    "kind": CategoricalDistribution(["p", "q", "r"]),
}
MIXED_SPACE = [
    Float("x", 0.0, 1.0),
    Float("lr", 1e-3, 1.0, log=True),
    Int("n", 0, 10),
    Categorical("kind", ["p", "q", "r"]),
]


def _mixed_objective(params: dict[str, Any]) -> float:
    kind = {"p": 0.0, "q": 1.0, "r": 3.0}[params["kind"]]
    return params["x"] + 2.0 * params["lr"] + 0.1 * params["n"] + kind


@pytest.fixture
def mixed_study(random_study: Callable[..., Study]) -> Study:
    """300 random trials of a float, a log float, an int and a categorical, all of which
    matter, the categorical most."""
    return random_study(MIXED, _mixed_objective, 300, seed=0)


def _arrays(study: Study) -> tuple[np.ndarray, np.ndarray]:
    """The study's trials as the array API takes them (categoricals as choice indices)."""
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    x = np.array(
        [
            [
                MIXED[name].to_internal_repr(trial.params[name])
                if name in trial.params
                else np.nan
                for name in MIXED
            ]
            for trial in trials
        ]
    )
    return x, np.array([trial.value for trial in trials])


class TestSettings:
    @pytest.mark.parametrize(
        "kwargs",
        [
            {"target_quantile": 0.0},
            {"target_quantile": -0.1},
            {"target_quantile": 1.0},
            {"target_quantile": 0.5, "region_quantile": 0.5},
            {"target_quantile": 0.5, "region_quantile": 0.4},
            {"region_quantile": 1.5},
            {"target_quantile": math.nan},
            {"region_quantile": math.inf},
        ],
    )
    def test_quantiles_out_of_order_are_value_errors_naming_the_condition(
        self, kwargs: dict[str, Any]
    ) -> None:
        with pytest.raises(ValueError, match="0 < target_quantile < region_quantile <= 1"):
            PedAnovaImportanceEvaluator(**kwargs)
        with pytest.raises(ValueError, match="0 < target_quantile < region_quantile <= 1"):
            ped_anova(MIXED_SPACE, np.zeros((3, 4)), np.zeros(3), **kwargs)

    @pytest.mark.parametrize(
        ("kwargs", "name"),
        [
            ({"target_quantile": "0.1"}, "target_quantile"),
            ({"region_quantile": None}, "region_quantile"),
            ({"target_quantile": True}, "target_quantile"),
            ({"evaluate_on_local": "yes"}, "evaluate_on_local"),
            ({"evaluate_on_local": 1}, "evaluate_on_local"),
        ],
    )
    def test_wrong_types_are_type_errors(self, kwargs: dict[str, Any], name: str) -> None:
        with pytest.raises(TypeError, match=name):
            PedAnovaImportanceEvaluator(**kwargs)

    def test_numpy_scalars_are_accepted(self, mixed_study: Study) -> None:
        evaluator = PedAnovaImportanceEvaluator(
            target_quantile=np.float64(0.2), region_quantile=1, evaluate_on_local=np.bool_(True)
        )
        expected = PedAnovaImportanceEvaluator(target_quantile=0.2).evaluate(mixed_study)
        assert evaluator.evaluate(mixed_study) == expected

    def test_region_quantile_without_local_evaluation_warns(self) -> None:
        with pytest.warns(UserWarning, match="region_quantile=0.5 has no effect"):
            PedAnovaImportanceEvaluator(region_quantile=0.5, evaluate_on_local=False)

    def test_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            PedAnovaImportanceEvaluator(0.1)  # type: ignore[misc]


class TestOddStudies:
    def test_no_completed_trials(self) -> None:
        study = optuna.create_study()
        with pytest.warns(UserWarning, match="got 0"):
            assert PedAnovaImportanceEvaluator().evaluate(study) == {}
        with pytest.raises(ValueError, match=r"No completed trial has the parameters \['x'\]"):
            PedAnovaImportanceEvaluator().evaluate(study, params=["x"])

    def test_one_trial_gives_zeros_with_a_warning(
        self, study_from_rows: Callable[..., Study]
    ) -> None:
        study = study_from_rows(MIXED, [{"x": 0.5, "lr": 0.1, "n": 3, "kind": "q"}], [1.0])
        with pytest.warns(UserWarning, match="at least 2 completed trials"):
            result = PedAnovaImportanceEvaluator().evaluate(study)
        assert result == {"kind": 0.0, "lr": 0.0, "n": 0.0, "x": 0.0}

    @pytest.mark.parametrize("value", [0.0, 1e300, -3.5])
    def test_constant_objective_gives_zeros(
        self, random_study: Callable[..., Study], value: float
    ) -> None:
        study = random_study(MIXED, lambda params: value, 50, seed=1)
        with pytest.warns(UserWarning, match="same 50 trials"):
            result = PedAnovaImportanceEvaluator().evaluate(study)
        assert result == {"kind": 0.0, "lr": 0.0, "n": 0.0, "x": 0.0}

    def test_constant_objective_against_the_uniform_distribution(
        self, random_study: Callable[..., Study]
    ) -> None:
        # Nothing sets the top set apart from the rest, but it is not uniform either.
        study = random_study(MIXED, lambda params: 1.0, 50, seed=1)
        with pytest.warns(UserWarning, match="describe the region set"):
            result = PedAnovaImportanceEvaluator(evaluate_on_local=False).evaluate(study)
        assert all(math.isfinite(v) and v > 0.0 for v in result.values())

    @pytest.mark.parametrize("scale", [1e-300, 1e300])
    def test_extreme_objective_values(self, mixed_study: Study, scale: float) -> None:
        scaled = optuna.create_study()
        for trial in mixed_study.trials:
            scaled.add_trial(
                optuna.create_trial(
                    params=trial.params,
                    distributions=trial.distributions,
                    value=trial.value * scale,
                )
            )
        assert PedAnovaImportanceEvaluator().evaluate(scaled) == pytest.approx(
            PedAnovaImportanceEvaluator().evaluate(mixed_study), rel=1e-12
        )

    def test_values_are_floats_sorted_descending(self, mixed_study: Study) -> None:
        result = PedAnovaImportanceEvaluator().evaluate(mixed_study)
        assert set(result) == {"kind", "lr", "x", "n"}
        assert all(type(value) is float for value in result.values())
        assert list(result.values()) == sorted(result.values(), reverse=True)

    def test_study_is_not_modified(self, mixed_study: Study) -> None:
        before = copy.deepcopy(mixed_study.trials)
        PedAnovaImportanceEvaluator().evaluate(mixed_study, target=lambda t: t.params["x"])
        assert mixed_study.trials == before

    def test_repeated_names_count_once(self, mixed_study: Study) -> None:
        once = PedAnovaImportanceEvaluator().evaluate(mixed_study, params=["x", "kind"])
        twice = PedAnovaImportanceEvaluator().evaluate(mixed_study, params=["x", "kind", "x"])
        assert twice == once

    @pytest.mark.parametrize(
        ("params", "error"), [("x", TypeError), ([1], TypeError), (["x", "nope"], ValueError)]
    )
    def test_bad_params(self, mixed_study: Study, params: Any, error: type) -> None:
        with pytest.raises(error):
            PedAnovaImportanceEvaluator().evaluate(mixed_study, params=params)

    def test_target_must_return_a_number(self, mixed_study: Study) -> None:
        with pytest.raises(TypeError, match="must return a float"):
            PedAnovaImportanceEvaluator().evaluate(mixed_study, target=lambda t: "1.0")

    def test_target_warns_that_lower_is_better(self, mixed_study: Study) -> None:
        with pytest.warns(UserWarning, match="lower target values"):
            PedAnovaImportanceEvaluator().evaluate(mixed_study, target=lambda t: t.params["x"])

    def test_target_picks_the_parameter_it_reads(self, mixed_study: Study) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = PedAnovaImportanceEvaluator().evaluate(
                mixed_study, target=lambda t: t.params["n"]
            )
        assert next(iter(result)) == "n"

    def test_nan_choice_is_found_as_optuna_finds_it(self) -> None:
        # A NaN choice compares unequal to another NaN object; Optuna's lookup still finds it.
        choices = CategoricalDistribution([0.5, float("nan"), 2.0])
        study = optuna.create_study()
        rng = np.random.default_rng(0)
        for _ in range(40):
            index = int(rng.integers(3))
            value = float("nan") if index == 1 else choices.choices[index]
            study.add_trial(
                optuna.create_trial(
                    params={"c": value, "x": float(rng.uniform())},
                    distributions={"c": choices, "x": FloatDistribution(0, 1)},
                    value=float(index != 1) + float(rng.normal(0.0, 0.01)),
                )
            )
        ours = PedAnovaImportanceEvaluator().evaluate(study)
        theirs = optuna.importance.PedAnovaImportanceEvaluator().evaluate(study)
        assert ours == pytest.approx(theirs, rel=1e-12)
        assert ours["c"] > ours["x"]


class TestHandComputed:
    def test_two_choice_study(self, study_from_rows: Callable[..., Study]) -> None:
        # Choices 0, 0, 1, 1 scored 0, 0, 1, 1: the top set is the two trials at 0 (tied),
        # with Parzen estimates (2/3, 1/3) against (1/2, 1/2) for the region set. The Pearson
        # divergence is 1/2 (1/3)^2 + 1/2 (1/3)^2 = 1/9, scaled by (|T| / |R|)^2 = 1/4.
        distributions = {"c": CategoricalDistribution(["a", "b"])}
        rows = [{"c": "a"}, {"c": "a"}, {"c": "b"}, {"c": "b"}]
        study = study_from_rows(distributions, rows, [0.0, 0.0, 1.0, 1.0])
        result = PedAnovaImportanceEvaluator().evaluate(study)
        assert result["c"] == pytest.approx(1.0 / 36.0, rel=1e-10)
        x = np.array([[0.0], [0.0], [1.0], [1.0]])
        space = [Categorical("c", ["a", "b"])]
        assert ped_anova(space, x, [0.0, 0.0, 1.0, 1.0], normalize=False)["c"] == result["c"]

    def test_regime_weights(self, study_from_rows: Callable[..., Study]) -> None:
        # `c` is used by three trials and unused by three: the used regime holds both top
        # trials, so its divergence counts (|T_i| / |T|)^2 / (|R_i| / |R|) = 2 times, scaled by
        # (|T| / |R|)^2 = 1/9.
        used = {"c": CategoricalDistribution(["a", "b"]), "x": FloatDistribution(0.0, 1.0)}
        unused = {"x": FloatDistribution(0.0, 1.0)}
        trials = [
            ({"c": "a", "x": 0.1}, used, 0.0),
            ({"c": "a", "x": 0.2}, used, 0.0),
            ({"c": "b", "x": 0.3}, used, 2.0),
            ({"x": 0.4}, unused, 3.0),
            ({"x": 0.5}, unused, 3.0),
            ({"x": 0.6}, unused, 3.0),
        ]
        study = optuna.create_study()
        for params, distributions, value in trials:
            study.add_trial(
                optuna.create_trial(params=params, distributions=distributions, value=value)
            )
        regime = _native.ped_anova_divergences(
            [np.array([0.0, 0.0, 1.0])],
            [np.array([True, True, False])],
            [2],
            [0.0],
            [0.0],
            [True],
            evaluate_on_local=True,
        )[0]
        result = PedAnovaImportanceEvaluator(target_quantile=0.2).evaluate(study)
        assert result["c"] == pytest.approx(2.0 * regime / 9.0, rel=1e-14)


class TestArrayApi:
    def test_matches_the_evaluator(self, mixed_study: Study) -> None:
        x, y = _arrays(mixed_study)
        for settings in ({}, {"target_quantile": 0.3, "region_quantile": 0.6}):
            expected = PedAnovaImportanceEvaluator(**settings).evaluate(mixed_study)
            raw = ped_anova(MIXED_SPACE, x, y, normalize=False, **settings)
            assert list(raw) == list(MIXED)
            assert raw == pytest.approx(expected, rel=1e-14)
            shares = ped_anova(MIXED_SPACE, x, y, **settings)
            assert shares == pytest.approx({k: v / sum(raw.values()) for k, v in raw.items()})

    def test_nan_marks_an_unused_parameter(self, mixed_study: Study) -> None:
        # The same trials with `n` dropped wherever `kind` is "p": a conditional parameter.
        rebuilt = optuna.create_study()
        for trial in mixed_study.trials:
            params = dict(trial.params)
            distributions = dict(trial.distributions)
            if params["kind"] == "p":
                del params["n"], distributions["n"]
            rebuilt.add_trial(
                optuna.create_trial(params=params, distributions=distributions, value=trial.value)
            )
        x, y = _arrays(rebuilt)
        assert np.isnan(x[:, 2]).any()
        expected = PedAnovaImportanceEvaluator().evaluate(rebuilt)
        assert ped_anova(MIXED_SPACE, x, y, normalize=False) == pytest.approx(expected, rel=1e-14)

    def test_all_zero_stays_zero_when_normalized(self) -> None:
        with pytest.warns(UserWarning, match="same 3 trials"):
            result = ped_anova([Float("a", 0, 1)], [[0.1], [0.5], [0.9]], [1.0, 1.0, 1.0])
        assert result == {"a": 0.0}

    def test_too_few_trials(self) -> None:
        with pytest.warns(UserWarning, match="at least 2 trials"):
            assert ped_anova([Float("a", 0, 1)], np.zeros((1, 1)), [1.0]) == {"a": 0.0}

    @pytest.mark.parametrize(
        ("x", "y", "error", "match"),
        [
            ([[0.5], [np.inf]], [0.0, 1.0], ValueError, "infinite"),
            ([[0.5], [0.2]], [0.0, np.nan], ValueError, "non-finite"),
            ([[0.5], [0.2]], [0.0], ValueError, "rows"),
            ([0.5, 0.2], [0.0, 1.0], ValueError, "2-D"),
            ([["a"], ["b"]], [0.0, 1.0], TypeError, "numbers"),
        ],
    )
    def test_bad_arrays(self, x: Any, y: Any, error: type, match: str) -> None:
        with pytest.raises(error, match=match):
            ped_anova([Float("a", 0, 1)], x, y)

    def test_values_outside_the_range(self) -> None:
        # For a log parameter, that includes every value that has no logarithm.
        with pytest.raises(ValueError, match=r"Column 0 \('lr'\) holds 0.0, outside the"):
            ped_anova([Float("lr", 1e-3, 1.0, log=True)], [[0.5], [0.0]], [0.0, 1.0])
        with pytest.raises(ValueError, match=r"Column 0 \('x'\) holds 2.0, outside the"):
            ped_anova([Float("x", 0.0, 1.0)], [[np.nan], [2.0]], [0.0, 1.0])

    def test_bad_choice_index(self) -> None:
        with pytest.raises(ValueError, match="choice indices"):
            ped_anova([Categorical("c", ["a", "b"])], [[0.0], [2.0]], [0.0, 1.0])

    def test_bad_space_and_normalize(self) -> None:
        with pytest.raises(TypeError, match="space"):
            ped_anova("abc", [[0.0]], [0.0])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="normalize"):
            ped_anova([Float("a", 0, 1)], [[0.0]], [0.0], normalize=1)  # type: ignore[arg-type]

    def test_single_valued_parameter_gets_zero(self) -> None:
        rng = np.random.default_rng(0)
        x = np.column_stack([rng.uniform(size=60), np.full(60, 2.0)])
        result = ped_anova([Float("a", 0, 1), Float("b", 2, 2)], x, x[:, 0], normalize=False)
        assert result["a"] > 0.0 and result["b"] == 0.0


class TestNative:
    def test_thread_count_does_not_change_results(self) -> None:
        rng = np.random.default_rng(0)
        values = [rng.uniform(size=40_000), rng.integers(0, 5, 40_000).astype(float)]
        is_top = [rng.uniform(size=40_000) < 0.1, rng.uniform(size=40_000) < 0.2]
        results = [
            _native.ped_anova_divergences(
                values,
                is_top,
                [50, 5],
                [0.0, 0.0],
                [1.0, 0.0],
                [False, True],
                evaluate_on_local=True,
                n_threads=n_threads,
            )
            for n_threads in (1, 2, 3, None)
        ]
        assert all(np.array_equal(result, results[0]) for result in results)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"grid_size": [0]}, "problem 0: the grid has no points"),
            ({"low": [1.0], "high": [0.0]}, "bounds must be finite"),
            ({"values": [np.array([0.5, np.nan])]}, "value 1 is NaN"),
            ({"is_top": [np.array([True])]}, "2 values but 1 top-set flags"),
            ({"categorical": [True], "grid_size": [2]}, "not a choice index"),
            ({"low": [0.0, 1.0]}, "one entry per problem"),
            ({"values": [np.arange(4.0)[::2]]}, "contiguous"),
            ({"n_threads": 0}, "n_threads must be at least 1"),
        ],
    )
    def test_invalid_problems_are_value_errors(self, kwargs: dict[str, Any], match: str) -> None:
        arguments: dict[str, Any] = {
            "values": [np.array([0.5, 0.25])],
            "is_top": [np.array([True, False])],
            "grid_size": [5],
            "low": [0.0],
            "high": [1.0],
            "categorical": [False],
            "evaluate_on_local": True,
        }
        arguments.update(kwargs)
        with pytest.raises(ValueError, match=match):
            _native.ped_anova_divergences(**arguments)

    def test_frozen_trial_attributes_it_reads(self, mixed_study: Study) -> None:
        # The evaluator reads FrozenTrial's attributes behind its properties directly.
        trial = mixed_study.trials[0]
        assert _trials.PARAMS_OF(trial) is trial.params
        assert _trials.DISTRIBUTIONS_OF(trial) is trial.distributions
        assert _trials.VALUES_OF(trial) == trial.values


def test_multi_objective_selection_is_optunas(random_study: Callable[..., Study]) -> None:
    def objectives(params: dict[str, Any]) -> list[float]:
        # Rounded so that fronts hold duplicated points.
        return [round(params["x"], 1), round(params["lr"], 1), round(-params["n"] / 10, 1)]

    study = random_study(MIXED, objectives, 200, seed=4, directions=["minimize"] * 3)
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    loss = np.array([trial.values for trial in trials])
    for quantile in (0.05, 0.1, 0.33, 0.5, 0.9):
        n_below = math.ceil(quantile * len(trials))
        expected, _ = _split_complete_trials_multi_objective(trials, study, n_below)
        chosen = _optuna_ped_anova._best_fronts(loss, quantile)
        assert [t.number for t in expected] == [trials[i].number for i in np.flatnonzero(chosen)]


def test_public_names() -> None:
    assert {"PedAnovaImportanceEvaluator", "ped_anova"} <= set(hpimportance.__all__)
    assert issubclass(PedAnovaImportanceEvaluator, optuna.importance.BaseImportanceEvaluator)


def test_get_param_importances_normalizes_as_for_any_evaluator(mixed_study: Study) -> None:
    raw = get_param_importances(
        mixed_study, evaluator=PedAnovaImportanceEvaluator(), normalize=False
    )
    shares = get_param_importances(mixed_study, evaluator=PedAnovaImportanceEvaluator())
    assert shares == pytest.approx({k: v / sum(raw.values()) for k, v in raw.items()})

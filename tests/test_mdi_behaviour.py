"""How mean decrease impurity reads studies and arrays, and handles bad and degenerate input."""

from __future__ import annotations

import copy
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
from hpimportance import mean_decrease_impurity
from hpimportance import MeanDecreaseImpurityImportanceEvaluator


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


def _evaluate(study: Study, **kwargs: Any) -> dict[str, float]:
    return MeanDecreaseImpurityImportanceEvaluator(seed=0).evaluate(study, **kwargs)


class TestKnownAnswers:
    def test_a_step_in_one_float_gives_it_everything(
        self, random_study: Callable[..., Study]
    ) -> None:
        # Every tree's first cut separates the two levels, leaving nothing for other cuts.
        study = random_study(MIXED, lambda params: float(params["x"] > 0.5), 150, seed=0)

        assert _evaluate(study) == {"x": 1.0, "n": 0.0, "lr": 0.0, "kind": 0.0}

    def test_one_choice_that_differs_gives_the_categorical_everything(
        self, random_study: Callable[..., Study]
    ) -> None:
        study = random_study(MIXED, lambda params: float(params["kind"] == "q"), 150, seed=0)

        assert _evaluate(study) == {"kind": 1.0, "n": 0.0, "lr": 0.0, "x": 0.0}

    def test_ranking_follows_the_effects(self, mixed_study: Study) -> None:
        importances = get_param_importances(mixed_study, evaluator=_seeded(0))

        assert list(importances)[:2] == ["kind", "lr"]
        assert sum(importances.values()) == pytest.approx(1.0)
        assert all(type(value) is float and value > 0.0 for value in importances.values())


def _seeded(seed: int, **kwargs: Any) -> MeanDecreaseImpurityImportanceEvaluator:
    return MeanDecreaseImpurityImportanceEvaluator(seed=seed, **kwargs)


class TestDeterminism:
    def test_same_seed_gives_the_same_result_on_any_thread_count(self, mixed_study: Study) -> None:
        results = [
            _seeded(7, n_threads=n_threads).evaluate(mixed_study) for n_threads in (1, 2, 3, None)
        ]

        assert all(list(result.items()) == list(results[0].items()) for result in results)

    def test_repeated_evaluations_agree(self, mixed_study: Study) -> None:
        evaluator = _seeded(7)

        assert evaluator.evaluate(mixed_study) == evaluator.evaluate(mixed_study)

    def test_no_seed_draws_a_fresh_one_per_call(self, mixed_study: Study) -> None:
        evaluator = MeanDecreaseImpurityImportanceEvaluator()

        assert evaluator.evaluate(mixed_study) != evaluator.evaluate(mixed_study)


class TestDegenerateStudies:
    def test_constant_objective_gives_zeros(self, random_study: Callable[..., Study]) -> None:
        study = random_study(MIXED, lambda params: 3.0, 50, seed=0)

        assert _evaluate(study) == {name: 0.0 for name in MIXED}
        # Optuna then shares the importance out evenly instead of dividing by zero.
        normalized = get_param_importances(study, evaluator=_seeded(0))
        assert normalized == {name: 0.25 for name in MIXED}

    def test_one_trial_gives_zeros(self, random_study: Callable[..., Study]) -> None:
        study = random_study(MIXED, _mixed_objective, 1, seed=0)

        assert _evaluate(study) == {name: 0.0 for name in MIXED}

    def test_no_trial_gives_nothing(self) -> None:
        assert _evaluate(optuna.create_study()) == {}

    def test_identical_configurations_give_zeros(
        self, study_from_rows: Callable[..., Study]
    ) -> None:
        row = {"x": 0.5, "lr": 0.01, "n": 3, "kind": "q"}
        study = study_from_rows(MIXED, [row] * 20, [float(i) for i in range(20)])

        assert _evaluate(study) == {name: 0.0 for name in MIXED}

    def test_single_valued_distributions_get_zero(
        self, random_study: Callable[..., Study]
    ) -> None:
        distributions = {
            **MIXED,
            "fixed_float": FloatDistribution(2.0, 2.0),
            "fixed_int": IntDistribution(3, 3),
            "fixed_choice": CategoricalDistribution(["only"]),
        }
        study = random_study(distributions, _mixed_objective, 150, seed=0)

        importances = _evaluate(study)

        assert importances["fixed_float"] == importances["fixed_int"] == 0.0
        assert importances["fixed_choice"] == 0.0
        assert {name: importances[name] for name in MIXED} == _evaluate(study, params=list(MIXED))

    @pytest.mark.parametrize("scale", [1e300, -1e300, 1e-300])
    def test_huge_and_tiny_objective_values(
        self, mixed_study: Study, study_from_rows: Callable[..., Study], scale: float
    ) -> None:
        trials = mixed_study.trials
        scaled = study_from_rows(
            MIXED, [t.params for t in trials], [scale * t.value for t in trials]
        )

        result = _evaluate(scaled)

        assert all(math.isfinite(value) for value in result.values())
        # Rescaling changes the targets' last bits only, which cannot flip a cut.
        assert result == pytest.approx(_evaluate(mixed_study), abs=1e-9)

    def test_infinite_values_are_dropped(
        self, mixed_study: Study, study_from_rows: Callable[..., Study]
    ) -> None:
        trials = mixed_study.trials
        values = [math.inf if i % 5 == 0 else t.value for i, t in enumerate(trials)]
        with_infinities = study_from_rows(MIXED, [t.params for t in trials], values)
        finite = [(t.params, v) for t, v in zip(trials, values) if math.isfinite(v)]
        without = study_from_rows(MIXED, *zip(*finite))

        assert _evaluate(with_infinities) == _evaluate(without)


class TestStudyReading:
    def test_multi_objective_needs_a_target(self, study_from_rows: Callable[..., Study]) -> None:
        rows = [{"x": i / 10, "lr": 0.01, "n": i, "kind": "p"} for i in range(10)]
        study = study_from_rows(
            MIXED, rows, [[i, 10.0 - i] for i in range(10)], directions=["minimize"] * 2
        )

        with pytest.raises(ValueError, match="mean decrease impurity needs to know"):
            _evaluate(study)
        importances = _evaluate(study, target=lambda trial: trial.values[1])
        assert set(importances) == set(MIXED)

    def test_unsorted_params_name_the_right_parameters(self, mixed_study: Study) -> None:
        in_order = _evaluate(mixed_study, params=["kind", "lr", "x"])
        shuffled = _evaluate(mixed_study, params=["x", "kind", "lr"])

        assert list(in_order.items()) == list(shuffled.items())
        assert list(in_order) == ["kind", "lr", "x"]

    def test_empty_params(self, mixed_study: Study) -> None:
        assert _evaluate(mixed_study, params=[]) == {}

    @pytest.mark.parametrize("params", ["x", ("x", 3), [None]])
    def test_params_must_be_a_list_of_names(self, mixed_study: Study, params: Any) -> None:
        with pytest.raises(TypeError, match="params"):
            _evaluate(mixed_study, params=params)

    def test_unknown_parameter(self, mixed_study: Study) -> None:
        with pytest.raises(ValueError, match="missing"):
            _evaluate(mixed_study, params=["x", "missing"])

    def test_target_must_return_a_number(self, mixed_study: Study) -> None:
        with pytest.raises(TypeError, match="must return a float"):
            _evaluate(mixed_study, target=lambda trial: "high")

    def test_study_is_not_modified(self, mixed_study: Study) -> None:
        mixed_study.add_trial(
            optuna.create_trial(
                params={"x": 0.5, "lr": 0.1, "n": 3, "kind": "q"},
                distributions=MIXED,
                state=TrialState.PRUNED,
                user_attrs={"note": ["a", 1]},
                intermediate_values={0: 1.5},
            )
        )
        before = copy.deepcopy(mixed_study.get_trials(deepcopy=False))

        _evaluate(mixed_study)
        _evaluate(mixed_study, params=["n", "x"], target=lambda trial: trial.number)

        assert mixed_study.get_trials(deepcopy=False) == before


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_trees": 0}, ValueError, "n_trees"),
        ({"n_trees": 10**12}, ValueError, "n_trees"),
        ({"n_trees": 1.5}, TypeError, "n_trees"),
        ({"n_trees": True}, TypeError, "n_trees"),
        ({"max_depth": -1}, ValueError, "max_depth"),
        ({"max_depth": "64"}, TypeError, "max_depth"),
        ({"n_threads": 0}, ValueError, "n_threads"),
        ({"n_threads": 2.0}, TypeError, "n_threads"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**64}, ValueError, "seed"),
        ({"seed": 1.0}, TypeError, "seed"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any], error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        MeanDecreaseImpurityImportanceEvaluator(**kwargs)


def test_saturating_settings(mixed_study: Study) -> None:
    reference = _seeded(0, n_trees=8).evaluate(mixed_study)
    # A depth beyond any tree's and more threads than trees change nothing.
    unlimited = _seeded(0, n_trees=8, max_depth=10**30, n_threads=10**30)

    assert unlimited.evaluate(mixed_study) == reference


SPACE = [
    hpimportance.Float("a", 0.0, 1.0),
    hpimportance.Int("b", 1, 64, log=True),
    hpimportance.Categorical("c", ["p", "q", "r"]),
]


@pytest.fixture
def arrays() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.column_stack(
        [rng.uniform(0, 1, 200), rng.integers(1, 65, 200), rng.integers(0, 3, 200)]
    ).astype(np.float64)
    y = x[:, 0] + 0.01 * x[:, 1] + np.array([0.0, 1.0, 0.5])[x[:, 2].astype(int)]
    return x, y


class TestArrayApi:
    def test_importances_in_the_order_of_the_space(
        self, arrays: tuple[np.ndarray, np.ndarray]
    ) -> None:
        importances = mean_decrease_impurity(SPACE, *arrays, seed=0)

        assert list(importances) == ["a", "b", "c"]
        assert sum(importances.values()) == pytest.approx(1.0)
        assert all(type(value) is float and value > 0.0 for value in importances.values())
        assert importances["c"] > importances["b"]

    def test_a_step_in_one_parameter_gives_it_everything(
        self, arrays: tuple[np.ndarray, np.ndarray]
    ) -> None:
        x, _ = arrays

        importances = mean_decrease_impurity(SPACE, x, (x[:, 0] > 0.5).astype(float), seed=3)

        assert importances == {"a": 1.0, "b": 0.0, "c": 0.0}

    def test_same_seed_same_result_on_any_thread_count(
        self, arrays: tuple[np.ndarray, np.ndarray]
    ) -> None:
        results = [
            mean_decrease_impurity(SPACE, *arrays, seed=5, n_threads=n) for n in (1, 2, 3, None)
        ]

        assert all(result == results[0] for result in results)
        assert mean_decrease_impurity(SPACE, *arrays, seed=6) != results[0]

    def test_array_likes_and_memory_orders(self, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = arrays
        expected = mean_decrease_impurity(SPACE, x, y, seed=1)

        assert mean_decrease_impurity(SPACE, np.asfortranarray(x), y, seed=1) == expected
        assert mean_decrease_impurity(SPACE, x.tolist(), y.tolist(), seed=1) == expected
        assert mean_decrease_impurity(tuple(SPACE), x.astype(np.float32), y, seed=1) == expected

    @pytest.mark.parametrize("n_rows", [0, 1])
    def test_fewer_than_two_rows_give_zeros(self, n_rows: int) -> None:
        # Each value at its parameter's lower end.
        low = [getattr(param, "low", 0) for param in SPACE]
        x = np.array([low] * n_rows, dtype=np.float64).reshape(n_rows, 3)

        result = mean_decrease_impurity(SPACE, x, np.ones(n_rows), seed=0)

        assert result == {"a": 0.0, "b": 0.0, "c": 0.0}

    def test_constant_scores_give_zeros(self, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = arrays

        assert mean_decrease_impurity(SPACE, x, np.full_like(y, 2.5), seed=0) == {
            "a": 0.0,
            "b": 0.0,
            "c": 0.0,
        }

    def test_empty_space(self) -> None:
        assert mean_decrease_impurity([], np.zeros((5, 0)), np.arange(5.0), seed=0) == {}

    def test_extreme_scores_give_finite_importances(
        self, arrays: tuple[np.ndarray, np.ndarray]
    ) -> None:
        x, y = arrays
        extreme = y.copy()
        extreme[:3] = [1.7e308, -1.7e308, 1e-300]

        importances = mean_decrease_impurity(SPACE, x, extreme, seed=0)

        assert all(math.isfinite(value) and value >= 0.0 for value in importances.values())
        assert sum(importances.values()) == pytest.approx(1.0)

    @pytest.mark.parametrize(
        ("change", "error", "match"),
        [
            ({"space": "abc"}, TypeError, "space"),
            ({"space": [hpimportance.Float("a", 0, 1)] * 3}, ValueError, "more than once"),
            ({"x": np.zeros(200)}, ValueError, "2-D"),
            ({"x": np.zeros((200, 2))}, ValueError, "columns"),
            ({"y": np.zeros(199)}, ValueError, "rows"),
            ({"y": np.full(200, np.nan)}, ValueError, "non-finite"),
            ({"x_value": (0, 0, np.inf)}, ValueError, "Column 0"),
            ({"x_value": (0, 2, 3.0)}, ValueError, "choice indices"),
            ({"x_value": (0, 2, 0.5)}, ValueError, "choice indices"),
            ({"n_trees": 0}, ValueError, "n_trees"),
            ({"max_depth": "a"}, TypeError, "max_depth"),
            ({"seed": -1}, ValueError, "seed"),
            ({"n_threads": 0}, ValueError, "n_threads"),
        ],
    )
    def test_bad_arguments(
        self,
        arrays: tuple[np.ndarray, np.ndarray],
        change: dict[str, Any],
        error: type,
        match: str,
    ) -> None:
        x, y = arrays
        arguments: dict[str, Any] = {"space": SPACE, "x": x.copy(), "y": y, "seed": 0}
        if "x_value" in change:
            row, column, value = change.pop("x_value")
            arguments["x"][row, column] = value
        arguments.update(change)

        with pytest.raises(error, match=match):
            mean_decrease_impurity(**arguments)


def test_import_and_array_api_do_not_load_optuna() -> None:
    code = (
        "import sys\n"
        "import hpimportance\n"
        "space = [hpimportance.Float('a', 0, 1), hpimportance.Categorical('c', ['p', 'q'])]\n"
        "result = hpimportance.mean_decrease_impurity(\n"
        "    space, [[0.1, 0], [0.9, 1], [0.5, 1]], [1.0, 2.0, 3.0], seed=0\n"
        ")\n"
        "assert set(result) == {'a', 'c'}, result\n"
        "assert 'optuna' not in sys.modules, 'optuna imported'\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )

    assert completed.returncode == 0, completed.stderr


def test_public_names() -> None:
    assert {"MeanDecreaseImpurityImportanceEvaluator", "mean_decrease_impurity"} <= set(
        hpimportance.__all__
    )
    assert issubclass(
        hpimportance.MeanDecreaseImpurityImportanceEvaluator,
        optuna.importance.BaseImportanceEvaluator,
    )


def _target_of(trial: FrozenTrial) -> float:
    return trial.params["x"]


def test_target_replaces_the_objective(mixed_study: Study) -> None:
    importances = _evaluate(mixed_study, target=_target_of)

    assert next(iter(importances)) == "x"
    assert importances["x"] > 0.95

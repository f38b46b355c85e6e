"""The contract of every evaluator on odd studies, bad arguments and the study it reads.

What an evaluator returns for each kind of degenerate study is written in the README ("What you
get for odd studies"); each test here pins one row of that table for every evaluator in
``_evaluators.EVALUATORS``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
import sqlite3
from typing import TYPE_CHECKING
import warnings

from _evaluators import EVALUATORS
import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.exceptions import ExperimentalWarning
from optuna.importance import get_param_importances
from optuna.trial import TrialState
import pytest

from hpimportance import RangeChangedWarning
from hpimportance._cli import main
from hpimportance._trials import merge_distributions


if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping
    from collections.abc import Sequence
    from typing import Any

    from _evaluators import EvaluatorSpec
    from optuna.distributions import BaseDistribution
    from optuna.study import Study


SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(0.0, 1.0),
    "n": IntDistribution(1, 9),
    "c": CategoricalDistribution(["a", "b", "c"]),
}


def _objective(params: Mapping[str, Any]) -> float:
    return params["x"] + 0.2 * params["n"] + {"a": 0.0, "b": 1.0, "c": 3.0}[params["c"]]


@pytest.fixture(params=EVALUATORS, ids=lambda spec: spec.name)
def spec(request: pytest.FixtureRequest) -> EvaluatorSpec:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(
    params=[spec for spec in EVALUATORS if spec.fits_a_forest], ids=lambda spec: spec.name
)
def forest_spec(request: pytest.FixtureRequest) -> EvaluatorSpec:
    """The evaluators that leave out a parameter whose range changed, unless asked to merge."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(
    params=[spec for spec in EVALUATORS if not spec.fits_a_forest], ids=lambda spec: spec.name
)
def regime_spec(request: pytest.FixtureRequest) -> EvaluatorSpec:
    """The evaluators that measure each distribution of a parameter as a regime (PED-ANOVA)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def study(random_study: Callable[..., Study]) -> Study:
    """120 random trials of a float, an int and a categorical, all of which matter."""
    return random_study(SPACE, _objective, 120, seed=0)


def _rows(n_trials: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "x": float(rng.uniform()),
            "n": int(rng.integers(1, 10)),
            "c": ["a", "b", "c"][int(rng.integers(3))],
        }
        for _ in range(n_trials)
    ]


def _assert_importances(spec: EvaluatorSpec, result: dict[str, float], names: set[str]) -> None:
    """Importances of exactly ``names``: shares of variance in [0, 1] for a forest method,
    finite non-negative divergences for PED-ANOVA."""
    assert set(result) == names
    assert all(type(value) is float for value in result.values())
    upper = 1.0 if spec.fits_a_forest else math.inf
    assert all(0.0 <= value < math.inf and value <= upper for value in result.values()), result


def _assert_as_optuna(
    spec: EvaluatorSpec, result: dict[str, float], study: Study, **kwargs: Any
) -> None:
    """Where Optuna has a twin of the evaluator, it gives the same numbers on ``study``."""
    if spec.optuna_twin is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = spec.optuna_twin().evaluate(study, **kwargs)
        assert result == pytest.approx(expected, rel=1e-9, abs=1e-300)


class TestStudiesWithoutInformation:
    """No trials, no usable trials, one trial, identical trials, a constant objective."""

    def test_no_trials(self, spec: EvaluatorSpec) -> None:
        empty = optuna.create_study()

        assert spec.make().evaluate(empty) == {}
        assert get_param_importances(empty, evaluator=spec.make()) == {}

    def test_only_unfinished_trials(self, spec: EvaluatorSpec) -> None:
        unfinished = optuna.create_study()
        for state in (TrialState.FAIL, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING):
            unfinished.add_trial(
                optuna.create_trial(
                    params={"x": 0.5, "n": 3, "c": "a"}, distributions=SPACE, state=state
                )
            )

        assert spec.make().evaluate(unfinished) == {}
        # Naming a parameter no completed trial holds is an error, as Optuna's suite requires.
        with pytest.raises(ValueError, match=r"No completed trial has (all of )?the parameters"):
            spec.make().evaluate(unfinished, params=["x"])

    def test_one_usable_trial(self, spec: EvaluatorSpec, study_from_rows: Callable) -> None:
        rows = _rows(4, seed=1)
        # One finite value; infinite ones are dropped.
        one = study_from_rows(SPACE, rows, [1.5, math.inf, -math.inf, math.inf])
        one.add_trial(
            optuna.create_trial(params=rows[0], distributions=SPACE, state=TrialState.FAIL)
        )

        assert spec.make().evaluate(one) == {"x": 0.0, "n": 0.0, "c": 0.0}
        # Optuna then shares the importance out evenly rather than dividing by zero.
        shares = get_param_importances(one, evaluator=spec.make())
        assert shares == pytest.approx({"x": 1 / 3, "n": 1 / 3, "c": 1 / 3}, abs=1e-15)

    @pytest.mark.parametrize("values", [[1.0, 1.0], [1.0, 7.0]], ids=["same", "different"])
    def test_two_trials_with_one_configuration(
        self, spec: EvaluatorSpec, study_from_rows: Callable, values: list[float]
    ) -> None:
        row = {"x": 0.25, "n": 4, "c": "b"}
        twice = study_from_rows(SPACE, [row, dict(row)], values)

        result = spec.make().evaluate(twice)
        if spec.fits_a_forest or values[0] == values[1]:
            assert result == {"x": 0.0, "n": 0.0, "c": 0.0}
        else:
            # PED-ANOVA's top set is the better trial, its region both: their estimates differ
            # in how much of the prior they mix in, so Optuna's numbers are small but not 0.
            _assert_importances(spec, result, set(SPACE))
            _assert_as_optuna(spec, result, twice)

    def test_every_objective_value_equal(
        self, spec: EvaluatorSpec, random_study: Callable
    ) -> None:
        constant = random_study(SPACE, lambda params: -2.5, 80, seed=0)

        assert spec.make().evaluate(constant) == {"x": 0.0, "n": 0.0, "c": 0.0}


def test_single_valued_parameters_get_exactly_zero(
    spec: EvaluatorSpec, random_study: Callable
) -> None:
    fixed = {
        "float_point": FloatDistribution(0.5, 0.5),
        "float_step": FloatDistribution(0.5, 0.5, step=0.1),
        "int_point": IntDistribution(3, 3),
        "int_step": IntDistribution(4, 4, step=3),
        "one_choice": CategoricalDistribution(["only"]),
    }
    study = random_study({**SPACE, **fixed}, _objective, 120, seed=0)
    only_fixed = random_study(fixed, lambda params: 1.0, 20, seed=0)

    importances = spec.make().evaluate(study)

    _assert_importances(spec, importances, set(SPACE) | set(fixed))
    assert all(importances[name] == 0.0 for name in fixed)
    assert all(importances[name] > 0.0 for name in SPACE)
    assert spec.make().evaluate(only_fixed) == {name: 0.0 for name in fixed}


class TestExtremeObjectiveValues:
    @pytest.mark.parametrize(
        "scale",
        [
            lambda v: v * 1e300,
            lambda v: v * -1e300 + 1e300,
            lambda v: v * 1e-300,
            # Onto about [-1.7e308, 1.7e308] (the objective spans [0.2, 5.8]): differences
            # between values overflow.
            lambda v: (v - 3.0) / 2.9 * 1.7e308,
        ],
        ids=["1e300", "-1e300-plus-1e300", "1e-300", "1.7e308"],
    )
    def test_results_do_not_depend_on_the_scale(
        self,
        spec: EvaluatorSpec,
        study_from_rows: Callable,
        scale: Callable[[float], float],
    ) -> None:
        rows = _rows(150, seed=2)
        values = [_objective(row) for row in rows]
        scaled = [scale(v) for v in values]
        assert all(math.isfinite(v) for v in scaled)
        # A negative scale turns the best trials into the worst, which PED-ANOVA looks for;
        # a forest's variances do not change.
        sign = math.copysign(1.0, scale(1.0) - scale(0.0))

        reference = spec.make().evaluate(study_from_rows(SPACE, rows, [sign * v for v in values]))
        result = spec.make().evaluate(study_from_rows(SPACE, rows, scaled))

        _assert_importances(spec, result, set(SPACE))
        # Only the targets' last bits change (see the invariants in test_properties.py).
        assert result == pytest.approx(reference, abs=1e-9)

    def test_infinite_values_are_dropped(
        self, spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        rows = _rows(150, seed=3)
        values = [_objective(row) * 1e300 for row in rows]
        infinite_rows = _rows(30, seed=4)
        infinities = [math.inf if i % 2 else -math.inf for i in range(30)]

        with_infinities = study_from_rows(SPACE, rows + infinite_rows, values + infinities)
        without = study_from_rows(SPACE, rows, values)

        result = spec.make().evaluate(with_infinities)
        assert result == spec.make().evaluate(without)
        _assert_importances(spec, result, set(SPACE))


def _labelled(
    study_from_rows: Callable,
    choices: Sequence[Any],
    indices: Sequence[int],
    xs: Sequence[float],
    values: Sequence[float],
) -> Study:
    distributions = {"c": CategoricalDistribution(choices), "x": FloatDistribution(0.0, 1.0)}
    rows = [{"c": choices[i], "x": x} for i, x in zip(indices, xs)]
    return study_from_rows(distributions, rows, values)


class TestCategoricals:
    def test_choices_of_mixed_types_are_told_apart(
        self, spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        # True == 1 and False == 0 in Python, and Optuna's own choice lookup confuses them.
        mixed = [None, True, False, 0, 1, 2.5, "a", "1"]
        rng = np.random.default_rng(5)
        indices = rng.integers(0, len(mixed), 200).tolist()
        xs = rng.uniform(size=200).tolist()
        values = [[0.0, 3.0, 1.0, 2.0, 5.0, 4.0, 6.0, 7.0][i] + x for i, x in zip(indices, xs)]

        result = spec.make().evaluate(_labelled(study_from_rows, mixed, indices, xs, values))
        strings = [f"choice{i}" for i in range(len(mixed))]
        renamed = spec.make().evaluate(_labelled(study_from_rows, strings, indices, xs, values))

        # The same study up to the choices' names: the same numbers.
        assert result == renamed
        assert result["c"] > result["x"] > 0.0

    def test_a_hundred_choices(self, spec: EvaluatorSpec, study_from_rows: Callable) -> None:
        # Two 100-choice categoricals: a one-hot product grid would have 2^200 cells.
        rng = np.random.default_rng(6)
        n_trials = 2000
        first, second = rng.integers(0, 100, (2, n_trials)).tolist()
        xs = rng.uniform(size=n_trials).tolist()
        effects = rng.normal(size=100)
        values = [10.0 * effects[i] + x for i, x in zip(first, xs)]

        def study_with(choices: list[Any]) -> Study:
            distributions = {
                "first": CategoricalDistribution(choices),
                "second": CategoricalDistribution(choices),
                "x": FloatDistribution(0.0, 1.0),
            }
            rows = [
                {"first": choices[i], "second": choices[j], "x": x}
                for i, j, x in zip(first, second, xs)
            ]
            return study_from_rows(distributions, rows, values)

        study = study_with(list(range(100)))
        result = spec.make().evaluate(study)

        assert result == spec.make().evaluate(study_with([f"c{i}" for i in range(100)]))
        _assert_importances(spec, result, {"first", "second", "x"})
        if spec.fits_a_forest:
            assert next(iter(result)) == "first"
        else:
            # With 100 choices, PED-ANOVA's categorical kernel spreads each trial's weight so
            # widely that both categoricals score about 0.001; what it gives is Optuna's.
            _assert_as_optuna(spec, result, study)


def _changed_study(
    study_from_rows: Callable, distributions: Sequence[BaseDistribution], n_trials: int = 90
) -> tuple[Study, list[dict[str, Any]], list[float]]:
    """Trials whose ``x`` takes the given distributions in turn, in equal blocks; ``n`` and
    ``c`` keep theirs."""
    rng = np.random.default_rng(7)
    study = optuna.create_study()
    rows, values = [], []
    for i in range(n_trials):
        x_distribution = distributions[i * len(distributions) // n_trials]
        row = {
            "x": float(
                rng.uniform(x_distribution.low, x_distribution.high)  # type: ignore[attr-defined]
            ),
            "n": int(rng.integers(1, 10)),
            "c": ["a", "b", "c"][int(rng.integers(3))],
        }
        value = 3.0 * row["x"] + _objective(row)
        study.add_trial(
            optuna.create_trial(
                params=row, distributions={**SPACE, "x": x_distribution}, value=value
            )
        )
        rows.append(row)
        values.append(value)
    return study, rows, values


class TestChangedRanges:
    """A parameter whose distribution changed during the study, for a forest method: warned
    about, never dropped silently; analysed over the union of its ranges on request."""

    WIDENED = (FloatDistribution(0.0, 1.0), FloatDistribution(0.0, 2.0))

    def test_left_out_with_a_warning(
        self, forest_spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        study, rows, values = _changed_study(study_from_rows, self.WIDENED)
        without_x = {name: SPACE[name] for name in ("n", "c")}
        rows_without_x = [{"n": row["n"], "c": row["c"]} for row in rows]

        with pytest.warns(RangeChangedWarning) as record:
            result = forest_spec.make().evaluate(study)

        assert result == forest_spec.make().evaluate(
            study_from_rows(without_x, rows_without_x, values)
        )
        (warning,) = record
        message = str(warning.message)
        assert message.startswith("Parameter 'x' is left out of the importances")
        assert "FloatDistribution(high=1.0" in message and "FloatDistribution(high=2.0" in message
        assert "merge_ranges=True" in message
        # The warning points at the line that asked for the importances.
        assert warning.filename == __file__

    def test_merged_over_the_union_on_request(
        self, forest_spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        study, rows, values = _changed_study(study_from_rows, self.WIDENED)
        union = study_from_rows({**SPACE, "x": FloatDistribution(0.0, 2.0)}, rows, values)

        with warnings.catch_warnings():
            warnings.simplefilter("error", RangeChangedWarning)
            merged = forest_spec.make(merge_ranges=True).evaluate(study)
            chosen = forest_spec.make(merge_ranges=True).evaluate(study, params=["x", "c"])

        assert merged == forest_spec.make().evaluate(union)
        assert chosen == forest_spec.make().evaluate(union, params=["x", "c"])
        assert merged["x"] > 0.0

    def test_named_in_params_it_is_an_error_that_says_what_to_do(
        self, forest_spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        study, _, _ = _changed_study(study_from_rows, self.WIDENED)

        # Optuna's conformance suite requires the error.
        with pytest.raises(ValueError, match=r"merge_ranges=True .* \[0\.0, 2\.0\]"):
            forest_spec.make().evaluate(study, params=["x"])

    def test_disjoint_ranges_have_no_union(
        self, forest_spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        study, _, _ = _changed_study(
            study_from_rows, (FloatDistribution(0.0, 1.0), FloatDistribution(2.0, 3.0))
        )

        for evaluator in (forest_spec.make(), forest_spec.make(merge_ranges=True)):
            with pytest.warns(
                RangeChangedWarning, match=r"'x'.*\[0\.0, 1\.0\] and \[2\.0, 3\.0\]"
            ):
                assert set(evaluator.evaluate(study)) == {"n", "c"}
        with pytest.raises(ValueError, match="do not overlap"):
            forest_spec.make(merge_ranges=True).evaluate(study, params=["x"])

    def test_changed_choices_merge_into_their_union(
        self, forest_spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        # Optuna refuses to change a categorical's choices while optimizing, but trials added
        # from elsewhere (add_trial) can disagree.
        rng = np.random.default_rng(8)
        study = optuna.create_study()
        union = ["a", "b", 3, None]
        rows, values = [], []
        for i in range(60):
            choices = ["a", "b"] if i < 30 else ["a", 3, None]
            row = {"c": choices[int(rng.integers(len(choices)))], "x": float(rng.uniform())}
            value = {"a": 0.0, "b": 1.0, 3: 2.0, None: 3.0}[row["c"]] + row["x"]
            distributions = {"c": CategoricalDistribution(choices), "x": SPACE["x"]}
            study.add_trial(
                optuna.create_trial(params=row, distributions=distributions, value=value)
            )
            rows.append(row)
            values.append(value)

        with pytest.warns(RangeChangedWarning, match=r"'c'.*union of its choices"):
            assert set(forest_spec.make().evaluate(study)) == {"x"}
        expected = study_from_rows(
            {"c": CategoricalDistribution(union), "x": SPACE["x"]}, rows, values
        )
        assert forest_spec.make(merge_ranges=True).evaluate(study) == forest_spec.make().evaluate(
            expected
        )

    def test_conditional_parameters_are_not_range_changes(
        self, forest_spec: EvaluatorSpec, study: Study
    ) -> None:
        # "extra" is absent from most trials, and its range changes between the others: it is
        # conditional, and drops out silently as in Optuna.
        for high, value in ((1.0, 0.5), (2.0, 1.5)):
            study.add_trial(
                optuna.create_trial(
                    params={"x": 0.5, "n": 3, "c": "a", "extra": 0.5},
                    distributions={**SPACE, "extra": FloatDistribution(0.0, high)},
                    value=value,
                )
            )

        with warnings.catch_warnings():
            warnings.simplefilter("error", RangeChangedWarning)
            result = forest_spec.make().evaluate(study)
            merged = forest_spec.make(merge_ranges=True).evaluate(study)

        assert set(result) == set(merged) == set(SPACE)


class TestRangesAsRegimes:
    """PED-ANOVA measures a parameter under each distribution it had, as Optuna does: a changed
    range or a conditional parameter is measured, not left out."""

    def test_a_changed_range_is_measured_in_each_regime(
        self, regime_spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        study, _, _ = _changed_study(study_from_rows, TestChangedRanges.WIDENED)

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = regime_spec.make().evaluate(study)
            chosen = regime_spec.make().evaluate(study, params=["x"])

        _assert_importances(regime_spec, result, set(SPACE))
        assert result["x"] > 0.0 and chosen == {"x": result["x"]}
        _assert_as_optuna(regime_spec, result, study)

    @pytest.mark.parametrize(
        "distributions",
        [
            (FloatDistribution(0.0, 1.0), FloatDistribution(2.0, 3.0)),
            (FloatDistribution(0.0, 1.0), FloatDistribution(0.2, 0.6), FloatDistribution(0, 1)),
            (FloatDistribution(0.1, 1.0), FloatDistribution(0.1, 2.0, log=True)),
        ],
        ids=["disjoint", "narrowed-and-back", "log"],
    )
    def test_any_change_makes_regimes(
        self,
        regime_spec: EvaluatorSpec,
        study_from_rows: Callable,
        distributions: tuple[BaseDistribution, ...],
    ) -> None:
        study, _, _ = _changed_study(study_from_rows, distributions)

        result = regime_spec.make().evaluate(study)

        _assert_importances(regime_spec, result, set(SPACE))
        _assert_as_optuna(regime_spec, result, study)

    def test_conditional_parameters_are_measured(
        self, regime_spec: EvaluatorSpec, study: Study
    ) -> None:
        for i in range(6):
            study.add_trial(
                optuna.create_trial(
                    params={"x": 0.5, "n": 3, "c": "a", "extra": i / 6},
                    distributions={**SPACE, "extra": FloatDistribution(0.0, 1.0)},
                    value=float(i),
                )
            )

        result = regime_spec.make().evaluate(study)

        _assert_importances(regime_spec, result, {*SPACE, "extra"})
        _assert_as_optuna(regime_spec, result, study)


def test_a_trial_enqueued_outside_the_range(spec: EvaluatorSpec) -> None:
    # Optuna warns about a fixed value outside the distribution, and keeps it.
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"x": 5.0})
    study.enqueue_trial({"x": -2.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), 40)
    assert study.trials[0].params["x"] == 5.0

    result = spec.make().evaluate(study)

    _assert_importances(spec, result, {"x", "n"})
    assert result["x"] > 0.0 and result["n"] > 0.0
    _assert_as_optuna(spec, result, study)


class TestHowTrialsListTheirParameters:
    """Studies are read fastest when every trial lists the same parameters in the same order
    with equal distributions; anything else must give what the slower, general reading gives."""

    def test_the_order_of_a_trials_parameters_does_not_matter(self, spec: EvaluatorSpec) -> None:
        # Two floats, one of which matters far more: swapping their values would show.
        space = {**SPACE, "y": FloatDistribution(0.0, 1.0)}
        rng = np.random.default_rng(8)
        rows = [{**row, "y": float(rng.uniform())} for row in _rows(60, seed=8)]
        values = [_objective(row) + 5.0 * row["y"] for row in rows]

        def study_with(order: Callable[[int], tuple[list[str], list[str]]]) -> Study:
            study = optuna.create_study()
            for i, (row, value) in enumerate(zip(rows, values)):
                params_order, distributions_order = order(i)
                study.add_trial(
                    optuna.create_trial(
                        params={name: row[name] for name in params_order},
                        distributions={name: space[name] for name in distributions_order},
                        value=value,
                    )
                )
            return study

        names = list(space)
        reference = spec.make().evaluate(study_with(lambda i: (names, names)))
        # Every other trial lists its parameters backwards; or params and distributions
        # list them in different orders.
        alternating = study_with(lambda i: (names[:: 1 - 2 * (i % 2)],) * 2)
        mismatched = study_with(lambda i: (names, names[::-1]))

        _assert_importances(spec, reference, set(space))
        assert reference["y"] > reference["x"]
        assert spec.make().evaluate(alternating) == reference
        assert spec.make().evaluate(mismatched) == reference

    def test_an_int_distribution_is_not_a_float_one_with_the_same_numbers(
        self, spec: EvaluatorSpec, study_from_rows: Callable
    ) -> None:
        # FloatDistribution(1.0, 9.0, step=1.0) and IntDistribution(1, 9) hold equal
        # attributes (1 == 1.0); Optuna still tells them apart, and so must the reading.
        float_n = FloatDistribution(1.0, 9.0, step=1.0)
        study = optuna.create_study()
        rows = _rows(80, seed=9)
        for i, row in enumerate(rows):
            n_distribution = float_n if i % 2 else SPACE["n"]
            n_value = float(row["n"]) if i % 2 else row["n"]
            study.add_trial(
                optuna.create_trial(
                    params={**row, "n": n_value},
                    distributions={**SPACE, "n": n_distribution},
                    value=_objective(row),
                )
            )

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = spec.make().evaluate(study)

        if spec.fits_a_forest:
            assert set(result) == {"x", "c"}
            assert any(issubclass(w.category, RangeChangedWarning) for w in caught)
        else:
            _assert_importances(spec, result, set(SPACE))
            _assert_as_optuna(spec, result, study)


@pytest.mark.parametrize(
    ("distributions", "expected"),
    [
        (
            [FloatDistribution(0.0, 1.0), FloatDistribution(0.5, 2.0)],
            FloatDistribution(0.0, 2.0),
        ),
        (
            [FloatDistribution(0.0, 1.0, step=0.25), FloatDistribution(0.0, 2.0, step=0.25)],
            FloatDistribution(0.0, 2.0, step=0.25),
        ),
        (
            [FloatDistribution(0.0, 1.0, step=0.25), FloatDistribution(0.5, 2.0, step=0.25)],
            FloatDistribution(0.0, 2.0),
        ),
        (
            [FloatDistribution(1e-3, 1.0, log=True), FloatDistribution(1e-5, 1e-2, log=True)],
            FloatDistribution(1e-5, 1.0, log=True),
        ),
        # Every value lies on 0, 2, 4, ... or 3, 6, 9, ...: steps of 1 cover both.
        ([IntDistribution(0, 10, step=2), IntDistribution(3, 12, step=3)], IntDistribution(0, 12)),
        (
            [IntDistribution(0, 8, step=4), IntDistribution(4, 16, step=6)],
            IntDistribution(0, 16, step=2),
        ),
        ([IntDistribution(1, 4), IntDistribution(5, 9)], IntDistribution(1, 9)),
        (
            [CategoricalDistribution([1, "a"]), CategoricalDistribution([True, 1, math.nan])],
            CategoricalDistribution([1, "a", True, math.nan]),
        ),
        ([IntDistribution(1, 4), IntDistribution(6, 9)], "do not overlap"),
        ([FloatDistribution(0, 1), IntDistribution(0, 1)], "different kinds"),
        ([FloatDistribution(1, 2), FloatDistribution(1, 3, log=True)], "log-scaled"),
    ],
)
def test_merge_distributions(
    distributions: list[BaseDistribution], expected: BaseDistribution | str
) -> None:
    merged = merge_distributions(distributions)

    if isinstance(expected, str):
        assert isinstance(merged, str) and expected in merged
    else:
        assert merged == expected


class TestMultiObjective:
    def test_without_target(self, spec: EvaluatorSpec, random_study: Callable) -> None:
        two = random_study(
            SPACE, lambda p: [_objective(p), p["x"]], 60, seed=0, directions=["minimize"] * 2
        )

        if spec.needs_target_with_several_objectives:
            with pytest.raises(ValueError, match=r"target=lambda t: t\.values\[0\]"):
                spec.make().evaluate(two)
        else:
            _assert_importances(spec, spec.make().evaluate(two), set(SPACE))
        with_target = spec.make().evaluate(two, target=lambda t: t.values[1])
        _assert_importances(spec, with_target, set(SPACE))


def test_evaluating_in_a_callback_after_every_trial(spec: EvaluatorSpec) -> None:
    # Pruned, failed, infinite and conditional trials come and go; every call answers.
    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        c = trial.suggest_categorical("c", ["a", "b"])
        if c == "a":
            trial.suggest_float("y", 0.0, 1.0)
        if trial.number % 5 == 4:
            raise optuna.TrialPruned
        if trial.number % 7 == 3:
            raise RuntimeError("a failed trial")
        return math.inf if trial.number == 2 else x + (c == "a")

    seen: list[tuple[set[str], dict[str, float]]] = []

    def callback(study: Study, trial: optuna.trial.FrozenTrial) -> None:
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        # Forest methods analyse the parameters every trial holds; PED-ANOVA any trial's.
        combine = set.intersection if spec.fits_a_forest else set.union
        held = combine(*(set(t.params) for t in complete)) if complete else set()
        seen.append((held, spec.make().evaluate(study)))

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=25, callbacks=[callback], catch=(RuntimeError,))

    assert len(seen) == 25
    for held, importances in seen:
        _assert_importances(spec, importances, held)
    # The first trial alone gives zeros; later ones give information.
    assert all(value == 0.0 for value in seen[0][1].values())
    assert sum(seen[-1][1].values()) > 0.0


class TestBadArguments:
    @pytest.mark.parametrize("params", ["x", ("x", 3), [None], 3, {"x": 1}])
    def test_params_must_be_a_list_of_names(
        self, spec: EvaluatorSpec, study: Study, params: Any
    ) -> None:
        with pytest.raises(TypeError, match=r"params must (be a list of parameter names|hold)"):
            spec.make().evaluate(study, params=params)

    def test_unknown_parameter_names(self, spec: EvaluatorSpec, study: Study) -> None:
        with pytest.raises(ValueError, match=r"parameters \[('x', )?'nope'\]"):
            spec.make().evaluate(study, params=["x", "nope"])

    @pytest.mark.parametrize("target", [0, "values[0]", [lambda t: t.value]])
    def test_target_must_be_callable(self, spec: EvaluatorSpec, study: Study, target: Any) -> None:
        # Checked before anything else, so a study with nothing to analyse refuses it too.
        for studied in (study, optuna.create_study()):
            with pytest.raises(TypeError, match=r"target must be None or a callable.*got "):
                spec.make().evaluate(studied, target=target)

    def test_target_must_return_a_number(self, spec: EvaluatorSpec, study: Study) -> None:
        with pytest.raises(TypeError, match=r"target returned 'high' for trial \d+"):
            spec.make().evaluate(study, target=lambda trial: "high")
        with pytest.raises(ValueError, match=r"a number too large for a float for trial \d+"):
            spec.make().evaluate(study, target=lambda trial: 10**400)

    @pytest.mark.parametrize("not_a_study", [None, "sqlite:///example.db", [1, 2]])
    def test_study_must_be_a_study(self, spec: EvaluatorSpec, not_a_study: Any) -> None:
        with pytest.raises(TypeError, match="study must be an optuna.study.Study, got"):
            spec.make().evaluate(not_a_study)

    def test_constructor_arguments(self, spec: EvaluatorSpec) -> None:
        for arguments, error, message in spec.bad_arguments:
            with pytest.raises(error, match=message):
                spec.make(**arguments)


def _sqlite_state(path: Path) -> tuple[str, list[str]]:
    """The file's hash and a dump of its tables."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        dump = list(connection.iterdump())
    connection.close()
    return digest, dump


def _snapshot(study: Study) -> Any:
    trials = [
        (
            trial.number,
            trial.state,
            trial.params,
            trial.distributions,
            trial.values,
            trial.intermediate_values,
            trial.user_attrs,
            trial.system_attrs,
            trial.datetime_start,
            trial.datetime_complete,
        )
        for trial in study.get_trials(deepcopy=True)
    ]
    storage = study._storage
    return (
        study.study_name,
        study.directions,
        study.user_attrs,
        storage.get_study_system_attrs(study._study_id),
        trials,
    )


@pytest.mark.parametrize("in_sqlite", [False, True], ids=["in-memory", "sqlite"])
def test_the_study_is_left_as_it_was(
    spec: EvaluatorSpec, in_sqlite: bool, tmp_path: Path, random_study: Callable
) -> None:
    path = tmp_path / "study.db"
    storage = f"sqlite:///{path}" if in_sqlite else None
    study = random_study(SPACE, _objective, 40, seed=0, storage=storage)
    study.set_user_attr("owner", {"team": ["tests"]})
    study._storage.set_study_system_attr(study._study_id, "origin", [1, 2])
    for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.WAITING):
        study.add_trial(
            optuna.create_trial(
                params={"x": 1.5, "n": 3, "c": "b", "extra": 2},
                # A widened range and a conditional parameter.
                distributions={
                    **SPACE,
                    "x": FloatDistribution(0, 2),
                    "extra": IntDistribution(0, 9),
                },
                value=4.0 if state == TrialState.COMPLETE else None,
                state=state,
                user_attrs={"note": ["a", 1]},
                system_attrs={"from": {"k": 2}},
                intermediate_values={0: 1.5, 3: 0.5},
            )
        )
    calls: list[Callable[[], object]] = [
        lambda: spec.make().evaluate(study),
        lambda: spec.make().evaluate(study, params=["n", "c"]),
        lambda: spec.make().evaluate(study, target=lambda t: t.number),
        lambda: get_param_importances(study, evaluator=spec.make()),
        lambda: get_param_importances(study, evaluator=spec.make(), normalize=False),
    ]
    failing_calls: list[Callable[[], object]] = [
        lambda: spec.make().evaluate(study, params=["nope"]),
        lambda: spec.make().evaluate(study, target=lambda t: "not a number"),
    ]
    if spec.fits_a_forest:
        calls += [
            lambda: spec.make(merge_ranges=True).evaluate(study),
            lambda: spec.make(merge_ranges=True).evaluate(study, params=["x"]),
        ]
        failing_calls.append(lambda: spec.make().evaluate(study, params=["x"]))
    else:
        calls.append(lambda: spec.make().evaluate(study, params=["x", "extra"]))
    before = copy.deepcopy(_snapshot(study))
    live_trials = study.get_trials(deepcopy=False)
    live_before = copy.deepcopy(live_trials)
    file_before = _sqlite_state(path) if in_sqlite else None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RangeChangedWarning)
        warnings.simplefilter("ignore", ExperimentalWarning)
        for call in calls:
            call()
        for call in failing_calls:
            with pytest.raises((TypeError, ValueError)):
                call()

    assert live_trials == live_before
    assert _snapshot(study) == before
    if in_sqlite:
        assert _sqlite_state(path) == file_before
        reloaded = optuna.load_study(study_name=study.study_name, storage=storage)
        assert _snapshot(reloaded) == before
        assert len(optuna.get_all_study_summaries(storage)) == 1


def test_command_line_warns_and_merges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "changed.db"
    study = optuna.create_study(study_name="changed", storage=f"sqlite:///{path}")
    for i in range(40):
        high = 1.0 if i < 20 else 2.0
        x = high * (i % 20) / 20
        study.add_trial(
            optuna.create_trial(
                params={"x": x, "y": i % 3},
                distributions={"x": FloatDistribution(0.0, high), "y": IntDistribution(0, 2)},
                value=x + 0.1 * (i % 3),
            )
        )

    assert main([str(path), "--json", "--evaluator", "fanova"]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)["importances"]) == {"y"}
    assert captured.err.startswith("hpimportance: warning: Parameter 'x' is left out")
    assert "--merge-ranges" in captured.err

    assert main([str(path), "--json", "--evaluator", "fanova", "--merge-ranges"]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)["importances"]) == {"x", "y"}
    assert captured.err == ""

    # PED-ANOVA, the default, measures each range as a regime of its own: nothing is left out.
    assert main([str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)["importances"]) == {"x", "y"}
    assert captured.err == ""

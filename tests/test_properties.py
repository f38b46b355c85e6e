"""Property-based tests: arbitrary input gives a defined answer or a typed error, never a crash.

Three entry points, each with thousands of generated cases:

- the native function ``hpimportance._native.fanova``, over arbitrary shapes, values (NaN,
  infinities, subnormals, duplicates, values outside their bounds), bounds and choice counts;
- the array API's space description and checks (``hpimportance._space``), whose accepted arrays
  the native function must accept too;
- every evaluator of ``_evaluators.EVALUATORS``, over small studies of every kind of
  distribution, trial state and objective value, with the invariants: permuting the trials and
  rescaling the objective change nothing.

By default the examples are derandomized (the same ones on every run, as CI wants) and there are
2,000 per test (500 for the invariances, which build several studies per example);
``HYPOTHESIS_PROFILE=hpimportance-explore`` draws ten times as many fresh ones.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING
import warnings

from _evaluators import EVALUATORS
from hypothesis import assume
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import note
from hypothesis import settings
from hypothesis import strategies as st
import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.trial import TrialState
import pytest

from hpimportance import _native
from hpimportance import Categorical
from hpimportance import Float
from hpimportance import Int
from hpimportance._space import check_arrays
from hpimportance._space import check_space


if TYPE_CHECKING:
    from typing import Any

    from _evaluators import EvaluatorSpec
    from optuna.distributions import BaseDistribution


settings.register_profile(
    "hpimportance-ci",
    max_examples=2000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "hpimportance-explore",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hpimportance-ci"))
# Building Optuna studies costs milliseconds per example: the invariance tests, which build
# two or three per example, get a quarter as many.
STUDY_EXAMPLES = max(settings.default.max_examples // 4, 1)

MAX_CHOICES = 2**32 - 1
SPECIAL = [
    0.0,
    -0.0,
    1.0,
    math.nan,
    math.inf,
    -math.inf,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    2.2250738585072014e-308,
    5e-324,
    -5e-324,
    1e300,
    -1e300,
]
# Floats from everywhere, finite or not; and finite ones of every magnitude.
ANY_FLOAT = st.one_of(st.floats(), st.sampled_from(SPECIAL), st.floats(-3.0, 3.0))
FINITE_FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([v for v in SPECIAL if math.isfinite(v)]),
    st.floats(-3.0, 3.0),
)


@st.composite
def native_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments of ``_native.fanova``: mostly valid, with a corrupted value now and then."""
    n_params = draw(st.integers(0, 4))
    n_rows = draw(st.integers(0, 12))
    low, high, n_choices = [], [], []
    for _ in range(n_params):
        kind = draw(st.sampled_from(["numeric", "point", "any-bounds", "categorical", "huge"]))
        if kind == "numeric":
            a, b = draw(FINITE_FLOAT), draw(FINITE_FLOAT)
            bounds, choices = (min(a, b), max(a, b)), 0
        elif kind == "point":
            value = draw(FINITE_FLOAT)
            bounds, choices = (value, value), 0
        elif kind == "any-bounds":
            bounds, choices = (draw(ANY_FLOAT), draw(ANY_FLOAT)), 0
        else:
            choices = draw(st.integers(1, 6))
            if kind == "huge":
                choices = draw(st.sampled_from([0, 2**31, MAX_CHOICES, MAX_CHOICES + 1, 2**62]))
            bounds = (draw(FINITE_FLOAT), draw(FINITE_FLOAT))
        low.append(bounds[0])
        high.append(bounds[1])
        n_choices.append(choices)

    # Numeric cells: a bound, a value of a small pool (repeats, constant columns) or, for one
    # selector in eight, a finite float of any size (outside the bounds, say).
    selectors = np.array(
        draw(st.lists(st.integers(0, 7), min_size=n_rows * n_params, max_size=n_rows * n_params)),
        dtype=np.int64,
    ).reshape(n_rows, n_params)
    x = np.empty((n_rows, n_params))
    for j in range(n_params):
        if n_choices[j]:
            x[:, j] = selectors[:, j] % min(n_choices[j], 7)
            continue
        pool = np.array([low[j], high[j], -0.5, -0.25, 0.0, 0.25, 0.5, draw(FINITE_FLOAT)])
        with np.errstate(invalid="ignore"):
            x[:, j] = pool[selectors[:, j]]
    y = np.array(
        draw(
            st.lists(
                st.one_of(st.integers(-3, 3).map(float), FINITE_FLOAT),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
    corruption = draw(st.sampled_from(["none", "none", "none", "x", "y", "shape"]))
    if corruption == "x" and x.size:
        x[draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_params - 1))] = draw(ANY_FLOAT)
    elif corruption == "y" and y.size:
        y[draw(st.integers(0, n_rows - 1))] = draw(ANY_FLOAT)
    elif corruption == "shape":
        y = np.append(y, 0.0)
    return {
        "x": x,
        "y": y,
        "low": low,
        "high": high,
        "n_choices": n_choices,
        "n_trees": draw(st.integers(1, 4)),
        "max_depth": draw(st.one_of(st.integers(1, 8), st.just(2**64 - 1))),
        "seed": draw(st.integers(0, 2**64 - 1)),
        "n_threads": draw(st.sampled_from([None, 1, 2])),
    }


def _should_accept(inputs: dict[str, Any]) -> bool:
    """Whether the native function must accept ``inputs``, from its documentation."""
    x, y = inputs["x"], inputs["y"]
    for j, (low, high, choices) in enumerate(
        zip(inputs["low"], inputs["high"], inputs["n_choices"])
    ):
        if choices == 0:
            if not (math.isfinite(low) and math.isfinite(high) and low <= high):
                return False
            if not np.isfinite(x[:, j]).all():
                return False
        elif not 1 <= choices <= MAX_CHOICES:
            return False
        else:
            column = x[:, j]
            if not ((column >= 0) & (column < choices) & (column == np.floor(column))).all():
                return False
    return len(y) == len(x) and bool(np.isfinite(y).all())


def _assert_valid_result(result: tuple[np.ndarray, np.ndarray, int], n_params: int) -> None:
    importances, std, n_trees_used = result
    assert importances.shape == std.shape == (n_params,)
    assert ((importances >= 0.0) & (importances <= 1.0)).all(), importances
    assert ((std >= 0.0) & (std <= 0.5)).all(), std
    # The mean over trees of shares of each tree's variance.
    assert importances.sum() <= 1.0 + 1e-12, importances
    if n_trees_used == 0:
        assert (importances == 0.0).all()


@given(native_inputs())
def test_native_fanova_answers_or_refuses(inputs: dict[str, Any]) -> None:
    accept = _should_accept(inputs)
    arguments = dict(inputs)
    positional = [arguments.pop(key) for key in ("x", "y", "low", "high", "n_choices")]

    # A PanicException is a BaseException: it would escape this and fail the test.
    try:
        result = _native.fanova(*positional, **arguments)
    except ValueError:
        assert not accept
        return
    assert accept
    _assert_valid_result(result, len(inputs["low"]))
    assert result[2] <= inputs["n_trees"]


ANY_ARGUMENT = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    ANY_FLOAT,
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)


@given(
    kind=st.sampled_from([Float, Int]),
    name=st.one_of(st.text(max_size=3), ANY_ARGUMENT),
    low=st.one_of(ANY_ARGUMENT, st.integers(-5, 5)),
    high=st.one_of(ANY_ARGUMENT, st.integers(-5, 5)),
    log=st.one_of(st.booleans(), ANY_ARGUMENT),
    step=st.one_of(st.none(), st.integers(1, 3), ANY_ARGUMENT),
)
def test_numeric_parameters_are_valid_or_refused(
    kind: type, name: Any, low: Any, high: Any, log: Any, step: Any
) -> None:
    arguments = {"log": log} if step is None and kind is Float else {"log": log, "step": step}
    try:
        param = kind(name, low, high, **arguments)
    except (TypeError, ValueError):
        return

    assert isinstance(param.name, str)
    assert math.isfinite(param.low) and math.isfinite(param.high) and param.low <= param.high
    assert not param.log or param.low > 0
    if kind is Int:
        assert all(type(v) is int for v in (param.low, param.high, param.step))
        assert param.step >= 1 and (not param.log or param.step == 1)
    else:
        assert param.step is None or (param.step > 0 and not param.log)


@given(name=st.one_of(st.text(max_size=3), ANY_ARGUMENT), choices=ANY_ARGUMENT)
def test_categorical_parameters_are_valid_or_refused(name: Any, choices: Any) -> None:
    try:
        param = Categorical(name, choices)
    except (TypeError, ValueError):
        return

    assert isinstance(param.name, str)
    assert isinstance(param.choices, tuple) and len(param.choices) >= 1


@st.composite
def spaces_and_arrays(draw: st.DrawFn) -> tuple[list[Any], Any, Any]:
    """A valid space, and arrays that may or may not fit it."""
    space: list[Any] = []
    for j in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from([Float, Int, Categorical]))
        if kind is Categorical:
            space.append(Categorical(f"p{j}", list(range(draw(st.integers(1, 4))))))
        elif kind is Int:
            low = draw(st.integers(-3, 3))
            space.append(Int(f"p{j}", low, low + draw(st.integers(0, 4))))
        else:
            a, b = draw(FINITE_FLOAT), draw(FINITE_FLOAT)
            space.append(Float(f"p{j}", min(a, b), max(a, b)))
    n_rows = draw(st.integers(0, 8))
    n_columns = draw(st.sampled_from([len(space), len(space), len(space) + 1]))
    cell = st.one_of(st.integers(0, 3).map(float), ANY_FLOAT)
    x = draw(
        st.one_of(
            st.lists(
                st.lists(cell, min_size=n_columns, max_size=n_columns),
                min_size=n_rows,
                max_size=n_rows,
            ),
            st.lists(cell, max_size=4),
            ANY_ARGUMENT,
        )
    )
    y = draw(
        st.one_of(
            st.lists(
                st.one_of(st.integers(-2, 2).map(float), ANY_FLOAT),
                min_size=n_rows,
                max_size=n_rows,
            ),
            ANY_ARGUMENT,
        )
    )
    return space, x, y


@given(spaces_and_arrays())
def test_arrays_the_checks_accept_are_accepted_by_the_core(
    case: tuple[list[Any], Any, Any],
) -> None:
    space, x, y = case
    check_space(space)
    try:
        x_array, y_array = check_arrays(space, x, y)
    except (TypeError, ValueError):
        return

    def bounds(param: Any) -> tuple[float, float, int]:
        if isinstance(param, Categorical):
            return 0.0, 0.0, len(param.choices)
        return float(param.low), float(param.high), 0

    low, high, n_choices = (list(v) for v in zip(*map(bounds, space))) if space else ([], [], [])
    result = _native.fanova(
        x_array, y_array, low, high, n_choices, n_trees=2, max_depth=64, seed=0
    )
    _assert_valid_result(result, len(space))


# Distributions of every kind, single-valued ones included, and categoricals of mixed types.
DISTRIBUTIONS = st.sampled_from(
    [
        FloatDistribution(0.0, 1.0),
        FloatDistribution(1e-5, 1.0, log=True),
        FloatDistribution(-2.0, 2.0, step=0.5),
        FloatDistribution(3.0, 3.0),
        IntDistribution(0, 10),
        IntDistribution(1, 64, log=True),
        IntDistribution(0, 9, step=3),
        IntDistribution(5, 5),
        CategoricalDistribution(["a", "b", "c"]),
        CategoricalDistribution([None, True, False, 0, 1, 2.5, "a", "1"]),
        CategoricalDistribution(["only"]),
    ]
)
VALUES = st.one_of(
    st.integers(-20, 20).map(float),
    FINITE_FLOAT,
    st.sampled_from([math.inf, -math.inf]),
)


def _draw_value(draw: st.DrawFn, distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return draw(st.sampled_from(distribution.choices))
    if isinstance(distribution, IntDistribution):
        n_steps = (distribution.high - distribution.low) // distribution.step
        return distribution.low + distribution.step * draw(st.integers(0, n_steps))
    assert isinstance(distribution, FloatDistribution)
    if distribution.step is not None:
        n_steps = round((distribution.high - distribution.low) / distribution.step)
        return distribution.low + distribution.step * draw(st.integers(0, n_steps))
    return draw(st.floats(distribution.low, distribution.high))


@st.composite
def studies(draw: st.DrawFn, values: st.SearchStrategy[float] = VALUES) -> dict[str, Any]:
    """Trials of up to four parameters, one of them held by some trials only (conditional),
    in every state, with objective values of any size or infinite; and a ``params`` argument."""
    names = [f"p{j}" for j in range(draw(st.integers(1, 4)))]
    distributions = {name: draw(DISTRIBUTIONS) for name in names}
    conditional = draw(DISTRIBUTIONS)
    trials = []
    for _ in range(draw(st.integers(0, 14))):
        params = {name: _draw_value(draw, d) for name, d in distributions.items()}
        trial_distributions = dict(distributions)
        if draw(st.booleans()):
            params["cond"] = _draw_value(draw, conditional)
            trial_distributions["cond"] = conditional
        state = draw(st.sampled_from([TrialState.COMPLETE] * 4 + [TrialState.FAIL]))
        trials.append((params, trial_distributions, state, draw(values)))
    params = draw(st.one_of(st.none(), st.lists(st.sampled_from(names), unique=True)))
    return {"trials": trials, "params": params}


def _build(trials: list[tuple[Any, ...]], order: list[int] | None = None) -> optuna.Study:
    study = optuna.create_study()
    for index in order if order is not None else range(len(trials)):
        params, distributions, state, value = trials[index]
        study.add_trial(
            optuna.create_trial(
                params=params,
                distributions=distributions,
                value=value if state == TrialState.COMPLETE else None,
                state=state,
            )
        )
    return study


# A parametrization, not a fixture: hypothesis reruns the test body, not function fixtures.
over_evaluators = pytest.mark.parametrize("spec", EVALUATORS, ids=lambda spec: spec.name)

# What PED-ANOVA says about the tiny or tied studies generated here, hundreds of times; each
# warning is tested where it is due (test_ped_anova_behaviour.py).
quiet_about_degenerate_studies = pytest.mark.filterwarnings(
    "ignore:The top and region sets hold the same:UserWarning",
    "ignore:PED-ANOVA needs at least 2 completed trials:UserWarning",
    r"ignore:Parameters \[.*\] have regimes:UserWarning",
)


@over_evaluators
@quiet_about_degenerate_studies
@given(case=studies())
def test_evaluators_answer_any_study(spec: EvaluatorSpec, case: dict[str, Any]) -> None:
    study = _build(case["trials"])
    complete = [t for t in case["trials"] if t[2] == TrialState.COMPLETE]
    params = case["params"]

    if params and not complete:
        # Optuna's suite requires an error for parameters no completed trial holds.
        with pytest.raises(ValueError, match="No completed trial"):
            spec.make().evaluate(study, params=params)
        return
    result = spec.make().evaluate(study, params=params)

    # Forest methods analyse the parameters every trial holds; PED-ANOVA any trial's.
    combine = set.intersection if spec.fits_a_forest else set.union
    held = combine(*(set(t[0]) for t in complete)) if complete else set()
    assert set(result) == (held if params is None else set(params))
    upper = 1.0 if spec.fits_a_forest else math.inf
    assert all(type(v) is float and 0.0 <= v < math.inf for v in result.values()), result
    assert all(v <= upper for v in result.values()), result
    finite = [t for t in complete if math.isfinite(t[3])]
    if len(finite) <= 1:
        assert all(v == 0.0 for v in result.values())


@over_evaluators
@quiet_about_degenerate_studies
@settings(max_examples=STUDY_EXAMPLES)
@given(case=studies(), data=st.data())
def test_the_order_of_the_trials_does_not_matter(
    spec: EvaluatorSpec, case: dict[str, Any], data: st.DataObject
) -> None:
    assume(case["params"] is None)
    order = data.draw(st.permutations(range(len(case["trials"]))))

    shuffled = spec.make().evaluate(_build(case["trials"], order))

    assert shuffled == spec.make().evaluate(_build(case["trials"]))


@over_evaluators
@quiet_about_degenerate_studies
@settings(max_examples=STUDY_EXAMPLES)
@given(
    case=studies(values=st.integers(-20, 20).map(float)),
    scale=st.floats(1e-3, 1e3),
    shift=st.integers(-(10**6), 10**6),
)
def test_rescaling_the_objective_does_not_matter(
    spec: EvaluatorSpec, case: dict[str, Any], scale: float, shift: int
) -> None:
    # Integer objectives shifted by an integer are exact; scaled, they stay distinct and change
    # in their last bits only. The forest's near-tied cut scores count as ties, so the trees
    # are the same and the importances agree to rounding.
    assume(case["params"] is None)
    trials = case["trials"]
    expected = spec.make().evaluate(_build(trials))

    for rescaled in (
        [(p, d, s, v * scale) for p, d, s, v in trials],
        [(p, d, s, v + shift) for p, d, s, v in trials],
    ):
        result = spec.make().evaluate(_build(rescaled))
        assert set(result) == set(expected)
        assert result == pytest.approx(expected, abs=1e-9)


_CONFUSED_CHOICES = (True, False)  # Optuna files them under the equal choices 1 and 0


@pytest.mark.parametrize(
    "spec", [spec for spec in EVALUATORS if spec.optuna_twin], ids=lambda spec: spec.name
)
@settings(max_examples=STUDY_EXAMPLES)
@given(case=studies())
def test_optunas_twin_gives_the_same_numbers(spec: EvaluatorSpec, case: dict[str, Any]) -> None:
    assert spec.optuna_twin is not None
    # Where Optuna tells True from 1 wrongly, hpimportance differs on purpose.
    assume(
        not any(
            isinstance(d, CategoricalDistribution)
            and any(c is choice for c in d.choices for choice in _CONFUSED_CHOICES)
            for t in case["trials"]
            for d in t[1].values()
        )
    )
    study = _build(case["trials"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = spec.optuna_twin().evaluate(study, params=case["params"])
        except Exception as error:  # then ours must refuse too, with a clear error
            with pytest.raises((ValueError, TypeError)):
                spec.make().evaluate(study, params=case["params"])
            note(f"Optuna raised {error!r}")
            return
        result = spec.make().evaluate(study, params=case["params"])

    assert result == pytest.approx(expected, rel=1e-9, abs=1e-300)

"""Turning an Optuna study into arrays: which parameters and trials count, and their values.

These are Optuna's rules for its forest-based evaluators, kept here so that every evaluator of
this package reads studies the same way. Reading is column by column, so 100,000 trials take a
fraction of a second.
"""

from __future__ import annotations

import itertools
import math
import numbers
import operator
from typing import Any
from typing import NamedTuple
from typing import TYPE_CHECKING

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.trial import TrialState

from hpimportance._space import Categorical
from hpimportance._space import Float
from hpimportance._space import Int
from hpimportance._space import Param
from hpimportance._warnings import RangeChangedWarning
from hpimportance._warnings import warn


if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from optuna.distributions import BaseDistribution
    from optuna.study import Study
    from optuna.trial import FrozenTrial


# FrozenTrial's own attributes behind its `params`, `distributions` and `values` properties:
# reading them directly saves a Python call per trial.
PARAMS_OF = operator.attrgetter("_params")
DISTRIBUTIONS_OF = operator.attrgetter("_distributions")
VALUES_OF = operator.attrgetter("_values")
_ATTRIBUTES_OF = operator.attrgetter("__dict__")

# Trials read per step where a study is read chunk by chunk: their objects stay in the CPU
# cache between the passes over them, which makes reading about twice as fast as whole columns
# at a time.
CHUNK = 256


def check_params_argument(params: object) -> list[str] | None:
    """Validate the ``params`` argument of ``evaluate`` and return it as a list."""
    if params is None:
        return None
    if not isinstance(params, (list, tuple)):
        raise TypeError(
            f"params must be a list of parameter names or None, got {type(params).__name__}: "
            f"{params!r}."
        )
    not_names = [p for p in params if not isinstance(p, str)]
    if not_names:
        raise TypeError(f"params must hold parameter names (str), got {not_names!r}.")
    return list(params)


def check_study(study: object) -> None:
    """Refuse anything but an Optuna study, before any work is done."""
    if not isinstance(study, optuna.study.Study):
        raise TypeError(
            f"study must be an optuna.study.Study, got {type(study).__name__}: {study!r:.80}"
        )


def completed_trials(study: Study) -> list[FrozenTrial]:
    """The study's COMPLETE trials, without copying them."""
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def check_target(target: object) -> None:
    """Refuse a ``target`` that is neither :obj:`None` nor callable, before any work is done."""
    if target is not None and not callable(target):
        raise TypeError(
            "target must be None or a callable taking a FrozenTrial and returning a float, "
            f"got {target!r}."
        )


def search_space(
    trials: Sequence[FrozenTrial], params: list[str] | None, *, merge_ranges: bool = False
) -> dict[str, BaseDistribution]:
    """The distributions to analyse, sorted by name.

    Without ``params``: the parameters that every completed trial holds with the same
    distribution. Conditional parameters (absent from some trials) drop out silently. A
    parameter that every trial holds but whose distribution changed during the study (its range
    was edited, say) drops out too, as in Optuna, but with a :class:`RangeChangedWarning` naming
    it; with ``merge_ranges``, it is analysed over the union of its distributions instead where
    that union is one distribution (see :func:`merge_distributions`).

    With ``params``: those parameters, over the completed trials that hold all of them. Their
    distributions must agree across those trials, or, with ``merge_ranges``, have a union.

    Raises:
        ValueError: If no completed trial holds every name in ``params``, or if the trials that
            do disagree on a distribution (without ``merge_ranges``, or without a union).
    """
    if params is None:
        return dict(sorted(_intersection_search_space(trials, merge_ranges).items()))
    if not params:
        return {}

    holding = [
        trial.distributions
        for trial in trials
        if all(name in trial.distributions for name in params)
    ]
    if not holding:
        raise ValueError(
            f"No completed trial has all of the parameters {params}. Pass names of parameters "
            "that completed trials suggested, or None for all of them."
        )
    distributions: dict[str, BaseDistribution] = {}
    for name in params:
        column = [trial_distributions[name] for trial_distributions in holding]
        if all_same(column, column[0]):
            distributions[name] = column[0]
            continue
        distinct = _distinct(column)
        merged = merge_distributions(distinct)
        if merge_ranges and not isinstance(merged, str):
            distributions[name] = merged
            continue
        if isinstance(merged, str):
            advice = (
                f"and they cannot be merged: {merged}. Leave it out of params, or analyse a "
                "study holding only the trials of one of them"
            )
        else:
            advice = (
                "so its importance is not defined on one range. Pass merge_ranges=True to the "
                "evaluator (--merge-ranges on the command line) to analyse it over "
                f"{_describe_union(merged)}, or leave it out of params"
            )
        raise ValueError(
            f"Parameter {name!r} has different distributions in different trials "
            f"({_describe(distinct)}), {advice}."
        )
    return dict(sorted(distributions.items()))


def merge_distributions(distributions: Sequence[BaseDistribution]) -> BaseDistribution | str:
    """One distribution covering all of ``distributions``, or why there is none.

    Numeric distributions merge when they are all floats or all integers, all log-scaled or
    none, and their ranges overlap or touch: the result spans the union of the ranges, with the
    largest step that every distribution's values lie on (for floats, the common step when every
    range starts at the same value, else none). Categorical distributions merge into the union
    of their choices, in order of first appearance (choices are told apart by type, so ``1``,
    ``1.0`` and ``True`` are three choices). Anything else has no union: a parameter suggested
    as a float in some trials and an integer in others, say, or on disjoint ranges, whose union
    is not one range.
    """
    kinds = sorted({type(distribution).__name__ for distribution in distributions})
    if len(kinds) > 1:
        return f"they are of different kinds ({', '.join(kinds)})"
    first = distributions[0]
    if isinstance(first, CategoricalDistribution):
        choices: dict[tuple[type, object], object] = {}
        for distribution in distributions:
            for choice in distribution.choices:  # type: ignore[attr-defined]
                choices.setdefault(_merge_key(choice), choice)
        return CategoricalDistribution(list(choices.values()))  # type: ignore[arg-type]
    if not isinstance(first, (FloatDistribution, IntDistribution)):
        return f"hpimportance does not know how to merge a {type(first).__name__}"

    numeric: list[FloatDistribution | IntDistribution]
    numeric = list(distributions)  # type: ignore[arg-type]
    if len({distribution.log for distribution in numeric}) > 1:
        return "some are log-scaled and some are not"
    ranges = sorted((distribution.low, distribution.high) for distribution in numeric)
    low = ranges[0][0]
    # Integers on [1, 4] and [5, 9] leave no value out: a gap is more than one step wide.
    int_step = 0
    if isinstance(first, IntDistribution):
        offsets = (int(distribution.low) - int(low) for distribution in numeric)
        int_step = math.gcd(*(int(distribution.step or 1) for distribution in numeric), *offsets)
    high = ranges[0][1]
    for next_low, next_high in ranges[1:]:
        if next_low > high + int_step:
            return (
                f"the ranges [{low}, {high}] and [{next_low}, {next_high}] do not overlap, so "
                "their union is not one range"
            )
        high = max(high, next_high)
    if isinstance(first, IntDistribution):
        return IntDistribution(int(low), int(high), log=first.log, step=int_step)
    steps = {distribution.step for distribution in numeric}
    same_start = len({distribution.low for distribution in numeric}) == 1
    float_step = first.step if len(steps) == 1 and same_start else None
    return FloatDistribution(low, high, log=first.log, step=float_step)


def _merge_key(choice: object) -> tuple[type, object]:
    # Every NaN is the same choice, although NaN != NaN.
    if isinstance(choice, float) and math.isnan(choice):
        return (float, "nan")
    return choice_key(choice)


def _distinct(distributions: Sequence[BaseDistribution]) -> list[BaseDistribution]:
    """The distinct distributions, in order of first appearance (hashing: linear time)."""
    return list(dict.fromkeys(distributions))


def _describe(distributions: Sequence[BaseDistribution]) -> str:
    # The first two only, so that the message stays the same as trials come in.
    shown = " and ".join(map(str, distributions[:2]))
    return shown + (" among others" if len(distributions) > 2 else "")


def _describe_union(merged: BaseDistribution) -> str:
    if isinstance(merged, CategoricalDistribution):
        return f"the union of its choices, {list(merged.choices)}"
    return f"the union of its ranges, [{merged.low}, {merged.high}]"  # type: ignore[attr-defined]


def _warn_range_changed(name: str, distinct: list[BaseDistribution], merged: object) -> None:
    changed = (
        f"Parameter {name!r} is left out of the importances: its distribution changed during "
        f"the study ({_describe(distinct)})"
    )
    if isinstance(merged, str):
        message = (
            f"{changed}, and they cannot be merged: {merged}. To analyse it, copy the trials "
            "that share one of its distributions into a new study (optuna.create_study, then "
            "study.add_trials)."
        )
    else:
        message = (
            f"{changed}. Construct the evaluator with merge_ranges=True (--merge-ranges on the "
            "command line) to analyse it over the union of its "
            f"{'choices' if isinstance(merged, CategoricalDistribution) else 'ranges'}."
        )
    warn(message, RangeChangedWarning)


def _same_distribution(a: BaseDistribution, b: BaseDistribution) -> bool:
    """``a == b`` as Optuna defines it, with cheap answers for the common cases.

    Every trial holds its own distribution objects, so a study of 100,000 trials asks this
    hundreds of thousands of times: comparing attribute dictionaries directly is several times
    faster than the general ``__eq__``.
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if a.__dict__ == b.__dict__:
        return True
    # Tuple equality misses NaN choices (NaN != NaN); Optuna's comparison handles them.
    return isinstance(a, CategoricalDistribution) and a == b


def all_same(
    distributions: Sequence[BaseDistribution | None], reference: BaseDistribution
) -> bool:
    """Whether every entry equals ``reference`` (``None`` marks a trial without the parameter).

    The comparisons run in C (``list.count`` of types, then of attribute dictionaries); only
    when that finds a difference does the exact, slower comparison decide.
    """
    n = len(distributions)
    if list(map(type, distributions)).count(type(reference)) != n:
        return False
    if list(map(_ATTRIBUTES_OF, distributions)).count(reference.__dict__) == n:
        return True
    return all(_same_distribution(d, reference) for d in distributions)  # type: ignore[arg-type]


def _intersection_search_space(
    trials: Sequence[FrozenTrial], merge_ranges: bool
) -> dict[str, BaseDistribution]:
    """The distributions that every trial holds, equal in all of them.

    This is :func:`optuna.search_space.intersection_search_space` for completed trials, whose
    distributions it returns (the latest trial's objects), computed parameter by parameter
    with the comparisons in C: a study of 100,000 trials takes a fraction of a second. A
    parameter that every trial holds with different distributions is merged (with
    ``merge_ranges``, where possible) or left out with a warning.
    """
    if not trials:
        return {}
    per_trial = list(map(DISTRIBUTIONS_OF, trials))
    space = {}
    for name, reference in per_trial[-1].items():
        column = list(map(dict.get, per_trial, itertools.repeat(name)))
        if all_same(column, reference):
            space[name] = reference
            continue
        if None in column:
            continue  # conditional: some trials do not hold it
        distinct = _distinct(column)  # type: ignore[arg-type]
        merged = merge_distributions(distinct)
        if merge_ranges and not isinstance(merged, str):
            space[name] = merged
        else:
            _warn_range_changed(name, distinct, merged)
    return space


def target_values(
    trials: Sequence[FrozenTrial], target: Callable[[FrozenTrial], float] | None
) -> np.ndarray:
    """One float per trial: ``target(trial)``, or the objective value without a target."""
    if target is None:
        # A single-objective study's completed trials hold one value each.
        objectives = itertools.chain.from_iterable(map(VALUES_OF, trials))
        return np.fromiter(objectives, dtype=np.float64, count=len(trials))
    check_target(target)
    values = np.empty(len(trials), dtype=np.float64)
    for i, trial in enumerate(trials):
        value = target(trial)
        # numpy would quietly turn None into NaN (dropping the trial) and "1.5" into 1.5.
        if not isinstance(value, numbers.Real):
            raise TypeError(
                f"target returned {value!r} for trial {trial.number}; it must return a float."
            )
        try:
            values[i] = value
        except OverflowError:
            raise ValueError(
                f"target returned a number too large for a float for trial {trial.number}; "
                "it must return a float."
            ) from None
    return values


def usable_trials(
    trials: Sequence[FrozenTrial],
    names: Sequence[str] | None,
    target: Callable[[FrozenTrial], float] | None,
) -> tuple[list[FrozenTrial], np.ndarray]:
    """The trials holding every parameter in ``names`` (:obj:`None`: known to hold them all)
    with a finite target, and those targets."""
    holding = list(trials)
    if names is not None:
        wanted = set(names)
        holding = [trial for trial in trials if wanted <= PARAMS_OF(trial).keys()]
    values = target_values(holding, target)
    finite = np.isfinite(values)
    if finite.all():
        return holding, values
    kept = [trial for trial, keep in zip(holding, finite) if keep]
    return kept, values[finite]


ChoiceLookup = dict[tuple[type, object], int]
"""(type, choice) -> index of the choice, as :func:`choice_lookup` builds it."""


def choice_key(value: object) -> tuple[type, object]:
    """What a categorical value is looked up by among the choices.

    Keyed by type too, so that ``True``, ``1`` and ``1.0`` are three choices (Optuna's
    ``choices.index`` would take a trial's ``True`` for an earlier choice ``1``).
    """
    return (type(value), value)


def choice_lookup(distribution: CategoricalDistribution) -> ChoiceLookup:
    """The index of each choice by :func:`choice_key`, the first of equal choices winning."""
    lookup: ChoiceLookup = {}
    for index, choice in enumerate(distribution.choices):
        lookup.setdefault(choice_key(choice), index)
    return lookup


def choice_indices(distribution: CategoricalDistribution, values: list[object]) -> np.ndarray:
    """The index of each value among the choices: the first choice of the same type that
    equals it, and NaN equal to NaN."""
    keys = map(choice_key, values)
    indices: list[int | float | None] = list(map(choice_lookup(distribution).get, keys))
    if None in indices:
        # A NaN that is not the very object among the choices: Optuna's own lookup knows it.
        to_index = distribution.to_internal_repr
        indices = [
            to_index(value) if index is None else index  # type: ignore[arg-type]
            for value, index in zip(values, indices)
        ]
    return np.array(indices, dtype=np.float64)


def parameter_column(
    trials: Sequence[FrozenTrial], name: str, distribution: BaseDistribution
) -> np.ndarray:
    """The values of one parameter over ``trials``: raw numbers, or choice indices."""
    return _column([trial.params[name] for trial in trials], distribution)


def _column(values: list[Any], distribution: BaseDistribution) -> np.ndarray:
    """Values of a parameter as a column: raw numbers, or choice indices."""
    if isinstance(distribution, CategoricalDistribution):
        return choice_indices(distribution, values)
    return np.asarray(values, dtype=np.float64)


def bounds(distribution: BaseDistribution) -> tuple[float, float, int]:
    """``(low, high, n_choices)`` of a distribution, ``n_choices`` being 0 for numbers."""
    if isinstance(distribution, CategoricalDistribution):
        return (0.0, 0.0, len(distribution.choices))
    low = float(distribution.low)  # type: ignore[attr-defined]
    high = float(distribution.high)  # type: ignore[attr-defined]
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{distribution} has non-finite bounds; importances need a finite range.")
    return (low, high, 0)


def sort_by_importance(importances: dict[str, float]) -> dict[str, float]:
    """Most important first. Ties come out in reverse insertion order, as in Optuna."""
    ascending = sorted(importances.items(), key=lambda item: item[1])
    return dict(ascending[::-1])


def to_param(name: str, distribution: BaseDistribution) -> Param:
    """The array API's description of an Optuna distribution."""
    if isinstance(distribution, CategoricalDistribution):
        return Categorical(name, distribution.choices)
    if isinstance(distribution, (IntDistribution, FloatDistribution)):
        kind = Int if isinstance(distribution, IntDistribution) else Float
        low, high = distribution.low, distribution.high
        return kind(name, low, high, distribution.log, distribution.step)  # type: ignore[arg-type]
    raise TypeError(
        f"Parameter {name!r} has a distribution hpimportance does not know: {distribution!r}. "
        "Only Optuna's FloatDistribution, IntDistribution and CategoricalDistribution are "
        "supported."
    )


class UniformReference:
    """A trial's parameters and distributions, to read other trials against chunk by chunk.

    Most studies never change their search space: every trial holds the same parameters, in
    the same order, with equal distributions. :meth:`chunk_values` checks that of a chunk of
    trials with a few C-level passes over all their parameters at once (list comparisons of
    names, types and attribute dictionaries) and returns their values, so that reading a study
    costs little more than touching each trial's objects once.
    """

    def __init__(self, distributions: dict[str, BaseDistribution]) -> None:
        self.names = list(distributions)
        self._types = list(map(type, distributions.values()))
        self._attributes = list(map(_ATTRIBUTES_OF, distributions.values()))

    def chunk_values(
        self,
        chunk_params: Sequence[dict[str, Any]],
        chunk_distributions: Sequence[dict[str, BaseDistribution]],
    ) -> list[Any] | None:
        """The parameter values of a chunk's trials, trial after trial, each trial's in the
        order of :attr:`names`; or :obj:`None` unless every trial holds exactly these
        parameters, in this order, with distributions equal to the reference's (same type,
        same attributes: Optuna's equality, except that a NaN choice must be the very same
        object; callers then take the slower way, which tells NaNs apart as Optuna does)."""
        n_trials = len(chunk_distributions)
        names = self.names * n_trials
        # Iterating a dictionary gives its keys.
        if list(itertools.chain.from_iterable(chunk_distributions)) != names:
            return None
        if list(itertools.chain.from_iterable(chunk_params)) != names:
            return None
        distributions = list(itertools.chain.from_iterable(map(dict.values, chunk_distributions)))
        if list(map(type, distributions)) != self._types * n_trials:
            return None
        if list(map(_ATTRIBUTES_OF, distributions)) != self._attributes * n_trials:
            return None
        return list(itertools.chain.from_iterable(map(dict.values, chunk_params)))


def values_to_column(
    values: Sequence[Any], distribution: BaseDistribution, lookup: ChoiceLookup | None
) -> np.ndarray:
    """One parameter's values as floats: numbers as they are, a categorical's choices (with
    ``lookup``, its :func:`choice_lookup`) as their indices.

    Raises:
        KeyError: If a categorical value is not found by ``lookup`` (a NaN that is not the very
            NaN object among the choices, which :func:`choice_indices` finds).
    """
    if lookup is None:
        return np.fromiter(values, np.float64, len(values))
    keys = zip(map(type, values), values)  # choice_key of each value, without a Python call
    return np.fromiter(map(lookup.__getitem__, keys), np.float64, len(values))


def _uniform_forest_arrays(
    trials: Sequence[FrozenTrial], names_asked: list[str] | None
) -> tuple[dict[str, BaseDistribution], dict[str, np.ndarray]] | None:
    """The search space and every parameter's column (choice indices for categoricals) of a
    study whose trials all hold the first trial's parameters with equal distributions (see
    :class:`UniformReference`), when ``names_asked`` (if given) are among them; otherwise
    :obj:`None`."""
    first = DISTRIBUTIONS_OF(trials[0])
    if names_asked is not None and not set(names_asked) <= first.keys():
        return None
    reference = UniformReference(first)
    flat: list[Any] = []
    for start in range(0, len(trials), CHUNK):
        chunk = trials[start : start + CHUNK]
        params = list(map(PARAMS_OF, chunk))
        values = reference.chunk_values(params, list(map(DISTRIBUTIONS_OF, chunk)))
        if values is None:
            return None
        flat += values
    names = reference.names if names_asked is None else list(dict.fromkeys(names_asked))
    distributions = {name: first[name] for name in sorted(names)}
    n_names = len(reference.names)
    columns = {}
    try:
        for position, name in enumerate(reference.names):
            distribution = first[name]
            if name not in distributions or distribution.single():
                continue
            lookup = (
                choice_lookup(distribution)
                if isinstance(distribution, CategoricalDistribution)
                else None
            )
            columns[name] = values_to_column(flat[position::n_names], distribution, lookup)
    except KeyError:
        return None  # a NaN choice that only Optuna's comparison finds
    return distributions, columns


class ForestArrays(NamedTuple):
    """What a forest-based evaluator analyses in a study.

    Attributes:
        names: Every parameter assessed, sorted by name.
        space: The parameters among them that can vary, one per column of ``x``; the others'
            importance is 0.
        x: The configurations of the usable trials, one row each, categoricals as choice
            indices.
        y: The target of each usable trial.
    """

    names: list[str]
    space: list[Param]
    x: np.ndarray
    y: np.ndarray


def forest_arrays(
    study: Study,
    params: object,
    target: Callable[[FrozenTrial], float] | None,
    *,
    method: str,
    merge_ranges: bool = False,
) -> ForestArrays:
    """The arrays that Optuna's forest-based evaluators (fANOVA, MDI) fit their forest to.

    The parameters are those of :func:`search_space`; those with a single possible value are
    left out of ``space``. The trials are the completed ones that hold every parameter and have
    a finite target. When no parameter varies, or at most one trial is usable, ``space`` is
    empty and ``x`` and ``y`` have no rows: every importance is then 0.

    Raises:
        TypeError: If ``params`` is not a list of names, or ``target`` is not callable or does
            not return a number.
        ValueError: If a multi-objective study comes without ``target`` (``method`` names the
            evaluator in the message), or as :func:`search_space`.
    """
    check_study(study)
    names_asked = check_params_argument(params)
    if target is None and study._is_multi_objective():
        raise ValueError(
            f"The study has several objectives, so {method} needs to know which one to "
            "analyse: pass target, for example target=lambda t: t.values[0] for the first."
        )

    check_target(target)

    trials = completed_trials(study)
    uniform = _uniform_forest_arrays(trials, names_asked) if trials else None
    if uniform is not None:
        distributions, columns = uniform
    else:
        distributions = search_space(trials, names_asked, merge_ranges=merge_ranges)
    names = list(distributions)
    varying = {name: dist for name, dist in distributions.items() if not dist.single()}
    nothing = ForestArrays(names, [], np.empty((0, 0)), np.empty(0))
    if not varying:
        return nothing
    if uniform is None:
        # Without params, the parameters are those that every completed trial holds.
        trials, values = usable_trials(trials, None if names_asked is None else names, target)
        # Each trial's parameters read once, each column then gathered by a loop in C.
        rows = list(map(PARAMS_OF, trials))
        columns = {
            name: _column(list(map(operator.itemgetter(name), rows)), distribution)
            for name, distribution in varying.items()
        }
    else:
        # Every trial holds every parameter; only the target can rule a trial out.
        values = target_values(trials, target)
        finite = np.isfinite(values)
        if not finite.all():
            values = values[finite]
            columns = {name: column[finite] for name, column in columns.items()}
    if len(values) <= 1:
        return nothing
    space = [to_param(name, distribution) for name, distribution in varying.items()]
    x = np.column_stack([columns[name] for name in varying])
    return ForestArrays(names, space, x, values)

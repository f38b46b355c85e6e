"""fANOVA on arrays of configurations and scores, without Optuna."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
import math
import random
from typing import Literal
from typing import TYPE_CHECKING
from typing import Union

import numpy as np

from hpimportance import _native
from hpimportance._checks import check_forest_settings
from hpimportance._space import Categorical
from hpimportance._space import check_arrays
from hpimportance._space import check_space
from hpimportance._space import column_bounds
from hpimportance._space import Float
from hpimportance._space import Int
from hpimportance._space import Param


if TYPE_CHECKING:
    import numpy.typing as npt


# The default number of values a marginal curve is evaluated at.
_CURVE_POINTS = 100
# A default curve over a categorical lists every choice; beyond this many, pass the choices.
_MAX_DEFAULT_CHOICES = 10_000

PairsArgument = Union[Literal["all"], Sequence[tuple[str, str]], None]
MarginalsArgument = Union[Literal["all"], Sequence[str], Mapping[str, "npt.ArrayLike"], None]


@dataclass(frozen=True)
class Marginal:
    """A parameter's marginal: the forest's prediction averaged over every other parameter.

    Attributes:
        values: The parameter's values (choice indices for a categorical).
        mean: The forest's marginal at each value: the mean over trees, in the units of ``y``.
        std: The standard deviation of the trees' marginals at each value.
    """

    values: np.ndarray
    mean: np.ndarray
    std: np.ndarray


@dataclass(frozen=True)
class FanovaResult:
    """What :func:`fanova` computed. Every dict follows the order of the search space.

    Attributes:
        importances: Each parameter's share of the forest's variance that it explains on its
            own (its first-order Sobol index under the forest), averaged over trees. The shares
            sum to at most 1; the rest is interaction.
        std: The standard deviation of each share across trees.
        pairwise: For each pair asked for, the share of variance the two parameters explain
            together beyond their own shares (the variance of their joint marginal minus both
            main effects, per tree), averaged over trees.
        pairwise_std: The standard deviation of each pairwise share across trees.
        marginals: The marginal curve of each parameter asked for.
        n_trees_used: The number of trees averaged: trees that predict a constant carry no
            variance to share and are left out (0 when ``y`` is constant).
    """

    importances: dict[str, float]
    std: dict[str, float]
    pairwise: dict[tuple[str, str], float]
    pairwise_std: dict[tuple[str, str], float]
    marginals: dict[str, Marginal]
    n_trees_used: int


def fanova(
    space: Sequence[Param],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    n_trees: int = 64,
    max_depth: int = 64,
    seed: int | None = None,
    n_threads: int | None = None,
    log_scale: bool = False,
    pairs: PairsArgument = None,
    marginals: MarginalsArgument = None,
) -> FanovaResult:
    """fANOVA importances of the parameters of ``space`` from configurations ``x``, scores ``y``.

    A random forest is fitted to the configurations and scores (squared-error trees on
    bootstrap samples, every parameter considered at every node, fully grown), and each tree's
    variance over the search space is decomposed: a parameter's importance is the share it
    explains on its own, averaged over the trees. A numeric parameter is averaged uniformly over
    ``[low, high]``, a categorical uniformly over its choices.

    Args:
        space: The parameters, one per column of ``x``.
        x: The configurations, shape ``(n_trials, len(space))``. A categorical column holds
            the index of the choice taken.
        y: The score of each configuration, shape ``(n_trials,)``; all finite.
        n_trees: The number of trees, at most 1,000,000.
        max_depth: The maximum depth of the trees.
        seed: Seed of the forest, in ``[0, 2**64 - 1]``; :obj:`None` draws a fresh one.
        n_threads: The number of threads; :obj:`None` uses every core. The result does not
            depend on it.
        log_scale: Average parameters with ``log=True`` uniformly over the logarithm of their
            range (the measure a log-uniform sampler draws from) instead of the raw range.
        pairs: Pairs of parameter names whose pairwise importance to compute, or ``"all"`` for
            every pair. Each pair costs ``O(L log L)`` per tree of ``L`` leaves.
        marginals: The parameters whose marginal curves to compute: ``"all"``, a list of names
            (evaluated at 100 values across the range, log-spaced for log parameters, or at
            every integer or step or choice where there are at most 100), or a mapping from
            names to the values at which to evaluate (choice indices for a categorical).

    Returns:
        The importances, with the pairwise importances and marginal curves asked for.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If the arrays do not fit the space, a setting is out of range, or a name is
            not in the space.
    """
    return _fanova(
        space,
        x,
        y,
        n_trees=n_trees,
        max_depth=max_depth,
        seed=seed,
        n_threads=n_threads,
        log_scale=log_scale,
        pairs=pairs,
        marginals=marginals,
        within_ranges=True,
    )


def _fanova(
    space: Sequence[Param],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    n_trees: int,
    max_depth: int,
    seed: int | None,
    n_threads: int | None,
    log_scale: bool,
    pairs: PairsArgument,
    marginals: MarginalsArgument,
    within_ranges: bool,
) -> FanovaResult:
    """:func:`fanova`; with ``within_ranges=False``, numeric values may lie outside their
    parameter's range (see :func:`~hpimportance._space.check_arrays`)."""
    params = check_space(space)
    x_array, y_array = check_arrays(params, x, y, within_ranges=within_ranges)
    n_trees, max_depth, checked_seed, threads = check_forest_settings(
        n_trees, max_depth, seed, n_threads
    )
    chosen_seed = random.getrandbits(64) if checked_seed is None else checked_seed
    if not isinstance(log_scale, bool):
        raise TypeError(f"log_scale must be True or False, got {log_scale!r}.")

    names = [param.name for param in params]
    pair_names = _pairs(names, pairs)
    curves = _marginal_values(params, marginals)
    is_log = [log_scale and not isinstance(p, Categorical) and p.log for p in params]
    if any(is_log):
        x_array = x_array.copy()
        x_array[:, is_log] = np.log(x_array[:, is_log])
    low, high, n_choices = column_bounds(params)
    for column, log in enumerate(is_log):
        if log:
            low[column], high[column] = math.log(low[column]), math.log(high[column])

    settings = {"n_trees": n_trees, "max_depth": max_depth, "seed": chosen_seed}
    if not pair_names and not curves:
        importances, std, n_used = _native.fanova(
            x_array, y_array, low, high, n_choices, **settings, n_threads=threads
        )
        pair_shares: list[float] = []
        pair_std: list[float] = []
        curve_means: list[np.ndarray] = []
        curve_std: list[np.ndarray] = []
    else:
        index = {name: column for column, name in enumerate(names)}
        points = [
            (index[name], (np.log(values) if is_log[index[name]] else values).tolist())
            for name, values in curves.items()
        ]
        (importances, std, n_used), (pair_array, pair_std_array, curve_means, curve_std) = (
            _native.fanova_detail(
                x_array,
                y_array,
                low,
                high,
                n_choices,
                **settings,
                n_threads=threads,
                pairs=[(index[a], index[b]) for a, b in pair_names],
                points=points,
            )
        )
        pair_shares, pair_std = pair_array.tolist(), pair_std_array.tolist()

    return FanovaResult(
        importances=dict(zip(names, importances.tolist())),
        std=dict(zip(names, std.tolist())),
        pairwise=dict(zip(pair_names, pair_shares)),
        pairwise_std=dict(zip(pair_names, pair_std)),
        marginals={
            name: Marginal(values, mean, spread)
            for (name, values), mean, spread in zip(curves.items(), curve_means, curve_std)
        },
        n_trees_used=n_used,
    )


def _check_name(names: Sequence[str], name: object, argument: str) -> str:
    if name not in names:
        raise ValueError(
            f"{argument} names {name!r}, which is not in the space; use one of {names}."
        )
    return name  # type: ignore[return-value]


def _pairs(names: list[str], pairs: PairsArgument) -> list[tuple[str, str]]:
    if pairs is None:
        return []
    if isinstance(pairs, str):
        if pairs != "all":
            raise ValueError(f"pairs must be 'all', a list of name pairs or None, got {pairs!r}.")
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    result = []
    for pair in pairs:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise TypeError(f"pairs must hold (name, name) tuples, got {pair!r}.")
        first, second = (_check_name(names, name, "pairs") for name in pair)
        if first == second:
            raise ValueError(f"A pair needs two different parameters, got {pair!r}.")
        result.append((first, second))
    return result


def _marginal_values(
    params: Sequence[Param], marginals: MarginalsArgument
) -> dict[str, np.ndarray]:
    by_name = {param.name: param for param in params}
    names = list(by_name)
    if marginals is None:
        return {}
    if isinstance(marginals, str):
        if marginals != "all":
            raise ValueError(
                f"marginals must be 'all', a list of names, a mapping of names to values or "
                f"None, got {marginals!r}."
            )
        return {name: _default_values(by_name[name]) for name in names}
    if isinstance(marginals, Mapping):
        result = {}
        for name, values in marginals.items():
            param = by_name[_check_name(names, name, "marginals")]
            array = np.array(values, dtype=np.float64, ndmin=1)
            if array.ndim != 1:
                raise ValueError(f"The values for the marginal of {name!r} must be 1-D.")
            if isinstance(param, Categorical):
                ok = (array >= 0) & (array < len(param.choices)) & (array == np.floor(array))
                if not ok.all():
                    raise ValueError(
                        f"The marginal of categorical {name!r} is evaluated at choice indices "
                        f"in 0..{len(param.choices) - 1}, got {float(array[~ok][0])!r}."
                    )
            else:
                inside = (array >= param.low) & (array <= param.high)
                if not inside.all():
                    raise ValueError(
                        f"The marginal of {name!r} is evaluated within its range "
                        f"[{param.low}, {param.high}], got {float(array[~inside][0])!r}."
                    )
            result[name] = array
        return result
    if isinstance(marginals, Sequence):
        return {
            name: _default_values(by_name[_check_name(names, name, "marginals")])
            for name in marginals
        }
    raise TypeError(
        f"marginals must be 'all', a list of names, a mapping of names to values or None, "
        f"got {type(marginals).__name__}."
    )


def _default_values(param: Param) -> np.ndarray:
    """Where to draw a parameter's marginal curve by default."""
    if isinstance(param, Categorical):
        if len(param.choices) > _MAX_DEFAULT_CHOICES:
            raise ValueError(
                f"Categorical {param.name!r} has {len(param.choices):,} choices; pass the choice "
                "indices to evaluate its marginal at as marginals={name: indices}."
            )
        return np.arange(len(param.choices), dtype=np.float64)
    # As floats: an integer range may exceed what numpy's integers hold.
    low, high = float(param.low), float(param.high)
    if isinstance(param, Int) or (isinstance(param, Float) and param.step is not None):
        step = float(param.step) if param.step is not None else 1.0
        n_values = math.floor((high - low) / step + 1e-9) + 1
        if n_values <= _CURVE_POINTS:
            return low + step * np.arange(n_values, dtype=np.float64)
    if param.log:
        values = np.geomspace(low, high, _CURVE_POINTS)
    else:
        values = np.linspace(low, high, _CURVE_POINTS)
    if isinstance(param, Int):
        values = np.unique(np.round(values))
    return values

"""Mean decrease impurity on arrays of configurations and scores, without Optuna."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from hpimportance import _native
from hpimportance._checks import check_forest_settings
from hpimportance._space import check_arrays
from hpimportance._space import check_space
from hpimportance._space import column_bounds


if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from hpimportance._space import Param


def mean_decrease_impurity(
    space: Sequence[Param],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    n_trees: int = 64,
    max_depth: int = 64,
    seed: int | None = None,
    n_threads: int | None = None,
) -> dict[str, float]:
    """Mean decrease impurity (MDI) of the parameters of ``space``.

    A random forest is fitted to the configurations ``x`` and scores ``y`` (squared-error trees
    on bootstrap samples, every parameter considered at every node, fully grown), and each
    parameter is credited with the squared error that the cuts on it remove, as scikit-learn's
    ``feature_importances_`` of a regression forest defines it: per tree as a share of all the
    error its cuts remove, then averaged over the trees and normalized. A categorical's cuts
    single out one choice, so its importance is the sum of its one-hot columns' in
    scikit-learn.

    MDI is cheap, but it measures how well fully grown trees fit the sample, which favours
    parameters with many distinct values; :func:`fanova` measures the variance each parameter
    explains over the search space.

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

    Returns:
        Each parameter's importance, in the order of ``space``: the importances sum to 1, or
        are all 0 when no cut reduces the error (a constant ``y``, fewer than two trials, or
        configurations that are all the same).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If the arrays do not fit the space or a setting is out of range.
    """
    return _mean_decrease_impurity(
        space,
        x,
        y,
        n_trees=n_trees,
        max_depth=max_depth,
        seed=seed,
        n_threads=n_threads,
        within_ranges=True,
    )


def _mean_decrease_impurity(
    space: Sequence[Param],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    n_trees: int,
    max_depth: int,
    seed: int | None,
    n_threads: int | None,
    within_ranges: bool,
) -> dict[str, float]:
    """:func:`mean_decrease_impurity`; with ``within_ranges=False``, numeric values may lie
    outside their parameter's range (see :func:`~hpimportance._space.check_arrays`)."""
    params = check_space(space)
    x_array, y_array = check_arrays(params, x, y, within_ranges=within_ranges)
    settings = check_forest_settings(n_trees, max_depth, seed, n_threads)
    chosen_seed = settings.seed if settings.seed is not None else random.getrandbits(64)

    low, high, n_choices = column_bounds(params)
    importances, _n_trees_used = _native.mean_decrease_impurity(
        x_array,
        y_array,
        low,
        high,
        n_choices,
        n_trees=settings.n_trees,
        max_depth=settings.max_depth,
        seed=chosen_seed,
        n_threads=settings.n_threads,
    )
    return {param.name: importance for param, importance in zip(params, importances.tolist())}

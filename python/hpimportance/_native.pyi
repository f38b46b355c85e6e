"""Type stub of the native module built from ``rust/hpimportance-python``."""

import numpy as np
import numpy.typing as npt

# PyO3 lists every name the module adds in `__all__`; stubtest checks that this list matches.
__all__ = [
    "__version__",
    "fanova",
    "fanova_detail",
    "mean_decrease_impurity",
    "ped_anova_divergences",
]

__version__: str

def fanova(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    low: list[float],
    high: list[float],
    n_choices: list[int],
    *,
    n_trees: int,
    max_depth: int,
    seed: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]:
    """fANOVA importances of a forest fitted to ``x`` (rows: trials) and ``y``.

    ``n_choices[j] == 0`` marks a numeric column on ``[low[j], high[j]]``; otherwise column ``j``
    holds choice indices of a categorical with that many choices. Returns the mean and the
    standard deviation over trees of each column's importance, and the number of trees with
    non-negligible variance that they average (see ``NEGLIGIBLE_VARIANCE`` in the core).
    """

def fanova_detail(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    low: list[float],
    high: list[float],
    n_choices: list[int],
    *,
    n_trees: int,
    max_depth: int,
    seed: int,
    n_threads: int | None = None,
    pairs: list[tuple[int, int]],
    points: list[tuple[int, list[float]]],
) -> tuple[
    tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int],
    tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        list[npt.NDArray[np.float64]],
        list[npt.NDArray[np.float64]],
    ],
]:
    """``fanova`` plus pairwise importances and marginal curves.

    Returns ``fanova``'s arrays, then the mean and standard deviation over trees of each pair's
    importance beyond its two main effects (``pairs`` holds column indices), and for each
    ``(column, values)`` of ``points`` the forest's marginal at those values: its mean over
    trees and the trees' standard deviation, in the units of ``y``.
    """

def mean_decrease_impurity(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    low: list[float],
    high: list[float],
    n_choices: list[int],
    *,
    n_trees: int,
    max_depth: int,
    seed: int,
    n_threads: int | None = None,
) -> tuple[npt.NDArray[np.float64], int]:
    """Mean decrease impurity of a forest fitted to ``x`` (rows: trials) and ``y``.

    Columns are described as for :func:`fanova`. Returns each column's importance (summing to
    1, or all 0 when no tree has a cut that reduces the error) and the number of trees with at
    least one cut that they average.
    """

def ped_anova_divergences(
    values: list[npt.NDArray[np.float64]],
    is_top: list[npt.NDArray[np.bool_]],
    grid_size: list[int],
    low: list[float],
    high: list[float],
    categorical: list[bool],
    *,
    evaluate_on_local: bool,
    n_threads: int | None = None,
) -> npt.NDArray[np.float64]:
    """PED-ANOVA's Pearson divergence of each problem, in order.

    Problem ``i`` holds the region set's values ``values[i]`` and which of them are in the top
    set, ``is_top[i]``, on a grid of ``grid_size[i]`` points: choice indices where
    ``categorical[i]``, otherwise points evenly spaced from ``low[i]`` to ``high[i]`` (log
    values and bounds for a log scale). The top set's Parzen estimate is compared with the
    region set's (``evaluate_on_local``) or with the uniform distribution on the grid.
    """

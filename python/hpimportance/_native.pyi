"""Type stub of the native module built from ``rust/hpimportance-python``."""

import numpy as np
import numpy.typing as npt

__all__ = [
    "__version__",
    "fanova",
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
    non-zero variance that they average.
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

"""Type stub of the native module built from ``rust/hpimportance-python``."""

import numpy as np
import numpy.typing as npt

# PyO3 lists every name the module adds in `__all__`; stubtest checks that this list matches.
__all__ = [
    "__version__",
    "fanova",
    "mean_decrease_impurity",
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

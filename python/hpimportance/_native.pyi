"""Type stub of the native module built from ``rust/hpimportance-python``."""

import numpy as np
import numpy.typing as npt

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

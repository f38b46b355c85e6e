"""PED-ANOVA on arrays: which parameters set the best configurations apart from the others.

PED-ANOVA (`Watanabe, Bansal and Hutter, IJCAI 2023 <https://arxiv.org/abs/2304.10255>`__)
compares two sets of trials: the *top set*, the best ``target_quantile`` of them, and the
*region set*, the best ``region_quantile`` (by default all). For each parameter it builds a
Parzen estimate of the values each set took on a grid, and measures the Pearson divergence of
the top set's estimate from the region set's: a parameter whose best values look like all its
values does not matter. A conditional parameter is measured in each of its *regimes* (the trials
that used it with one domain) and the regimes are averaged
(`Conditional PED-ANOVA, KDD 2026 <https://arxiv.org/abs/2601.20800>`__).

The numbers are those of Optuna 5.0's ``PedAnovaImportanceEvaluator``; the numeric work (grid
counts, kernels, divergences) runs in the Rust core, all parameters and regimes in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
import decimal
import math
import numbers
from typing import NamedTuple
from typing import TYPE_CHECKING
import warnings

import numpy as np

from hpimportance import _native
from hpimportance._space import Categorical
from hpimportance._space import check_arrays
from hpimportance._space import check_space
from hpimportance._space import Int


if TYPE_CHECKING:
    from collections.abc import Mapping

    from hpimportance._space import Param


# Optuna's settings: grid points of a continuous parameter, and the fewest trials a regime
# needs to be measured.
N_GRID_POINTS = 50
MIN_TRIALS_IN_REGIME = 2


class Settings(NamedTuple):
    """Checked PED-ANOVA settings."""

    target_quantile: float
    region_quantile: float
    evaluate_on_local: bool


def check_settings(
    target_quantile: object, region_quantile: object, evaluate_on_local: object, *, stacklevel: int
) -> Settings:
    """The settings, or a ``TypeError``/``ValueError`` that names the one at fault.

    Warns, at ``stacklevel`` above the caller, when ``region_quantile`` cannot matter.
    """
    quantiles = []
    for name, value in (
        ("target_quantile", target_quantile),
        ("region_quantile", region_quantile),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number, got {value!r}.")
        quantiles.append(float(value))
    target, region = quantiles
    if not 0.0 < target < region <= 1.0:
        raise ValueError(
            "PED-ANOVA needs 0 < target_quantile < region_quantile <= 1, got "
            f"target_quantile={target_quantile!r} and region_quantile={region_quantile!r}."
        )
    if not isinstance(evaluate_on_local, (bool, np.bool_)):
        raise TypeError(f"evaluate_on_local must be True or False, got {evaluate_on_local!r}.")
    evaluate_on_local = bool(evaluate_on_local)
    if region != 1.0 and not evaluate_on_local:
        warnings.warn(
            f"region_quantile={region_quantile!r} has no effect with evaluate_on_local=False: "
            "the top set is then compared with the uniform distribution, not the region set.",
            stacklevel=stacklevel + 1,
        )
    return Settings(target, region, evaluate_on_local)


def best_quantile(loss: np.ndarray, quantile: float) -> np.ndarray:
    """Which entries of ``loss`` (lower is better) are in its best ``quantile``.

    The cut is the ``ceil(quantile * n)``-th smallest loss, and every loss equal to it is kept,
    so ties can make the set larger than ``ceil(quantile * n)``.
    """
    if quantile == 1.0 or loss.size == 0:
        return np.ones(loss.size, dtype=bool)
    cutoff_index = math.ceil(quantile * loss.size) - 1
    cutoff = np.partition(loss, cutoff_index)[cutoff_index]
    return np.asarray(loss <= cutoff)


class Regime(NamedTuple):
    """The trials of the region set that used one parameter with one domain.

    Attributes:
        param: The domain, or :obj:`None` for the trials that did not use the parameter (or a
            regime too small to be measured, whose size is all that counts).
        values: The values those trials took (choice indices for a categorical), or
            :obj:`None` with ``param``.
        is_top: Per trial, whether it is in the top set.
    """

    param: Param | None
    values: np.ndarray | None
    is_top: np.ndarray


def is_single(param: Param) -> bool:
    """Whether ``param`` can take only one value, as Optuna's ``single()`` decides it."""
    if isinstance(param, Categorical):
        return len(param.choices) == 1
    if param.low == param.high:
        return True
    if isinstance(param, Int):
        return not param.log and param.high - param.low < param.step
    if param.step is None:
        return False
    # Optuna compares decimal forms: with low 0.1, high 0.3 and step 0.2, floats would find
    # 0.3 - 0.1 < 0.2 and call the parameter single-valued.
    low, high, step = (decimal.Decimal(str(v)) for v in (param.low, param.high, param.step))
    return high - low < step


def grid_of(param: Param) -> tuple[int, float, float]:
    """``(n_points, low, high)`` of the grid ``param``'s values are snapped to.

    Numeric grids have 50 points, fewer for integers and stepped floats (one per step, or one
    per doubling of an integer range on a log scale); their bounds are logarithms for a log
    scale. A categorical grid has one point per choice.
    """
    if isinstance(param, Categorical):
        return len(param.choices), 0.0, 0.0
    n_points = N_GRID_POINTS
    if isinstance(param, Int) and param.log:
        # The same double-precision expression as Optuna's: a range of exactly 2**29 values
        # gives 31 points, not 30.
        doublings = np.ceil(np.log(param.high - param.low + 1) / np.log(2))
        n_points = min(int(doublings) + 1, N_GRID_POINTS)
    elif param.step is not None:
        n_points = min(round((param.high - param.low) / param.step) + 1, N_GRID_POINTS)
    if param.log:
        return n_points, math.log(param.low), math.log(param.high)
    return n_points, float(param.low), float(param.high)


def regime_importances(
    regimes: Mapping[str, Sequence[Regime]],
    n_top: int,
    n_region: int,
    *,
    evaluate_on_local: bool,
    n_threads: int | None = None,
    stacklevel: int = 1,
) -> dict[str, float]:
    """Raw PED-ANOVA importance of each parameter from its regimes.

    With ``T`` the top set and ``R`` the region set, a regime ``i`` holding ``R_i`` of the
    region set and ``T_i`` of the top set adds ``(|T_i| / |T|)**2 / (|R_i| / |R|) * D_i``, where
    ``D_i`` is the Pearson divergence of the top estimate from the region estimate on the
    regime's own grid, and the sum is scaled by ``(|T| / |R|)**2``. Regimes of fewer than two
    trials are dropped with a warning (they still count in ``|T|`` and ``|R|``); regimes where
    the parameter is unused or single-valued, or without a top trial, add nothing.

    Args:
        regimes: Per parameter, its regimes in the order their first trials came in.
        n_top: ``|T|``, at least 1.
        n_region: ``|R|``.
        evaluate_on_local: Compare with the region set's estimate (:obj:`True`) or with the
            uniform distribution on the grid.
        n_threads: Threads of the Rust core (:obj:`None`: every core); results never depend on
            it.
        stacklevel: Where the warning about small regimes points, counted from the caller.
    """
    measured: list[tuple[str, float]] = []
    values: list[np.ndarray] = []
    is_top: list[np.ndarray] = []
    sizes: list[int] = []
    lows: list[float] = []
    highs: list[float] = []
    categorical: list[bool] = []
    small: list[str] = []
    for name, param_regimes in regimes.items():
        if any(regime.is_top.size < MIN_TRIALS_IN_REGIME for regime in param_regimes):
            small.append(name)
        for regime in param_regimes:
            regime_size = regime.is_top.size
            regime_top = int(np.count_nonzero(regime.is_top))
            param = regime.param
            if regime_size < MIN_TRIALS_IN_REGIME or param is None or regime.values is None:
                continue
            if regime_top == 0 or is_single(param):
                continue
            n_points, low, high = grid_of(param)
            regime_values = np.ascontiguousarray(regime.values, dtype=np.float64)
            if not isinstance(param, Categorical) and param.log:
                # numpy's log, as Optuna's: it differs from libm's in the last bit for about 1
                # value in 5,000, which could move a value across a grid midpoint.
                regime_values = np.log(regime_values)
            values.append(regime_values)
            is_top.append(np.ascontiguousarray(regime.is_top, dtype=bool))
            sizes.append(n_points)
            lows.append(low)
            highs.append(high)
            categorical.append(isinstance(param, Categorical))
            weight = (regime_top / n_top) ** 2 / (regime_size / n_region)
            measured.append((name, weight))
    if small:
        warnings.warn(
            f"Parameters {small} have regimes (sets of trials that used the parameter with one "
            f"domain, or did not use it) of fewer than {MIN_TRIALS_IN_REGIME} trials; those "
            "regimes are left out, so these importances may be inaccurate.",
            stacklevel=stacklevel + 1,
        )

    divergences = _native.ped_anova_divergences(
        values,
        is_top,
        sizes,
        lows,
        highs,
        categorical,
        evaluate_on_local=evaluate_on_local,
        n_threads=n_threads,
    )
    importances = {name: 0.0 for name in regimes}
    for (name, weight), divergence in zip(measured, divergences.tolist()):
        importances[name] += weight * divergence
    scale = (n_top / n_region) ** 2
    return {name: importance * scale for name, importance in importances.items()}


def ped_anova(
    space: Sequence[Param],
    x: object,
    y: object,
    *,
    target_quantile: float = 0.1,
    region_quantile: float = 1.0,
    evaluate_on_local: bool = True,
    normalize: bool = True,
) -> dict[str, float]:
    """PED-ANOVA importance of each parameter of ``space`` from trials ``x`` and scores ``y``.

    The top set is the best ``target_quantile`` of the trials, the region set the best
    ``region_quantile``; every trial tied with the last one in is kept. A parameter's
    importance is how far the distribution of its values in the top set departs from their
    distribution in the region set (or, with ``evaluate_on_local=False``, from the uniform
    distribution on its range), both estimated with Parzen windows on a grid. The numbers are
    those of Optuna 5.0's ``PedAnovaImportanceEvaluator`` on the same trials.

    Args:
        space: The parameters, one per column of ``x``:
            :class:`Float`, :class:`Int` or :class:`Categorical`.
        x: One row per trial and one column per parameter: the values tried, or for a
            categorical the index of the choice. NaN marks a parameter the trial did not use
            (a conditional parameter); those trials form a regime of their own.
        y: One score per trial, lower is better (negate a score to maximize).
        target_quantile: The fraction of trials in the top set, ``0 < target_quantile <
            region_quantile``.
        region_quantile: The fraction of trials in the region set, at most 1.
        evaluate_on_local: Compare the top set with the region set (:obj:`True`) or with the
            uniform distribution on each parameter's range.
        normalize: Divide the importances by their sum (all zero stays all zero).

    Returns:
        The importance of each parameter, in the order of ``space``. At most one trial, or
        a score that never varies, gives all zeros.
    """
    params = check_space(space)
    settings = check_settings(target_quantile, region_quantile, evaluate_on_local, stacklevel=2)
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be True or False, got {normalize!r}.")
    # In range, a log parameter's values are positive (its low bound is).
    x_array, y_array = check_arrays(params, x, y, allow_nan=True)

    zeros = {param.name: 0.0 for param in params}
    if y_array.size <= 1:
        warnings.warn(
            f"PED-ANOVA needs at least 2 trials, got {y_array.size}; every importance is 0.",
            stacklevel=2,
        )
        return zeros
    top = best_quantile(y_array, settings.target_quantile)
    region = best_quantile(y_array, settings.region_quantile)
    n_top, n_region = int(np.count_nonzero(top)), int(np.count_nonzero(region))
    if n_top == n_region:
        warn_same_sets(n_top, settings.evaluate_on_local, stacklevel=2)

    x_region = x_array if n_region == y_array.size else x_array[region]
    is_top = top[region]
    regimes = {
        param.name: column_regimes(param, x_region[:, column], is_top)
        for column, param in enumerate(params)
    }
    importances = regime_importances(
        regimes, n_top, n_region, evaluate_on_local=settings.evaluate_on_local, stacklevel=2
    )
    return normalized(importances) if normalize else importances


def column_regimes(param: Param, column: np.ndarray, is_top: np.ndarray) -> list[Regime]:
    """The regimes of one column: the trials that used the parameter and those that did not
    (NaN), in the order their first trials came in."""
    used = ~np.isnan(column)
    if used.all():
        return [Regime(param, column, is_top)]
    if not used.any():
        return [Regime(None, None, is_top)]
    active = Regime(param, column[used], is_top[used])
    inactive = Regime(None, None, is_top[~used])
    return [active, inactive] if used[0] else [inactive, active]


def warn_same_sets(n_trials: int, evaluate_on_local: bool, *, stacklevel: int) -> None:
    """Warn that the quantiles select the same trials (ties, or too few trials to tell)."""
    consequence = (
        "so nothing sets the top set apart and every importance is 0"
        if evaluate_on_local
        else "so the importances describe the region set, not its best part"
    )
    warnings.warn(
        f"The top and region sets hold the same {n_trials} trials (their scores tie, or there "
        f"are too few trials to tell the two quantiles apart), {consequence}.",
        stacklevel=stacklevel + 1,
    )


def normalized(importances: dict[str, float]) -> dict[str, float]:
    """Shares of the sum; all zeros stay zeros."""
    total = sum(importances.values())
    if total == 0.0:
        return dict(importances)
    return {name: value / total for name, value in importances.items()}

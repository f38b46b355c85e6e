"""Describing a search space without Optuna: the parameters and the ranges they were tuned over.

A configuration matrix has one column per parameter, in the order of the space. A numeric
column holds the values tried; a categorical column holds the index of the choice tried, so a
categorical of choices ``["adam", "sgd"]`` is a column of 0.0 and 1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math
import numbers
import operator
from typing import Union

import numpy as np


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"A parameter name must be a str, got {name!r}.")
    return name


def _check_bound(name: str, which: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{which} of parameter {name!r} must be a number, got {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{which} of parameter {name!r} must be finite, got {number}.")
    return number


def _check_numeric(name: str, low: object, high: object, log: object) -> tuple[float, float]:
    low_value = _check_bound(name, "low", low)
    high_value = _check_bound(name, "high", high)
    if low_value > high_value:
        raise ValueError(
            f"Parameter {name!r} has low > high ({low_value} > {high_value}); swap them."
        )
    if not isinstance(log, bool):
        raise TypeError(f"log of parameter {name!r} must be True or False, got {log!r}.")
    if log and low_value <= 0.0:
        raise ValueError(f"Parameter {name!r} has log=True, so low must be > 0, got {low_value}.")
    return low_value, high_value


@dataclass(frozen=True)
class Float:
    """A real-valued parameter tried on ``[low, high]``.

    Args:
        name: The parameter's name.
        low: The lower end of the range.
        high: The upper end of the range (``high == low`` is a parameter that never varied).
        log: Whether the tuner drew the parameter on a log scale.
        step: The spacing of the values the tuner could draw, or :obj:`None` for any value.
    """

    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        low, high = _check_numeric(self.name, self.low, self.high, self.log)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        if self.step is not None:
            step = _check_bound(self.name, "step", self.step)
            if step <= 0.0:
                raise ValueError(f"step of parameter {self.name!r} must be > 0, got {step}.")
            if self.log:
                raise ValueError(f"Parameter {self.name!r} cannot have both log=True and a step.")
            object.__setattr__(self, "step", step)


@dataclass(frozen=True)
class Int:
    """An integer parameter tried on ``low, low + step, ..., high``.

    Args:
        name: The parameter's name.
        low: The smallest value.
        high: The largest value.
        log: Whether the tuner drew the parameter on a log scale (then ``step`` must be 1).
        step: The spacing of the values.
    """

    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        _check_name(self.name)
        for which in ("low", "high", "step"):
            value = getattr(self, which)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(
                    f"{which} of integer parameter {self.name!r} must be an int, got {value!r}."
                )
            object.__setattr__(self, which, operator.index(value))
        _check_numeric(self.name, self.low, self.high, self.log)
        if self.step < 1:
            raise ValueError(f"step of parameter {self.name!r} must be >= 1, got {self.step}.")
        if self.log and self.step != 1:
            raise ValueError(f"Parameter {self.name!r} has log=True, so step must be 1.")


@dataclass(frozen=True)
class Categorical:
    """A parameter that takes one of ``choices``; its column holds the index of the choice.

    Args:
        name: The parameter's name.
        choices: The choices, in the order their indices refer to.
    """

    name: str
    choices: tuple[object, ...]

    def __post_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Sequence):
            raise TypeError(
                f"choices of parameter {self.name!r} must be a list or tuple, "
                f"got {self.choices!r}."
            )
        object.__setattr__(self, "choices", tuple(self.choices))
        if not self.choices:
            raise ValueError(f"Categorical parameter {self.name!r} needs at least one choice.")


Param = Union[Float, Int, Categorical]
"""One parameter of a search space."""


def check_space(space: object) -> tuple[Param, ...]:
    """``space`` as a tuple of parameters with distinct names; raises on anything else."""
    if isinstance(space, (str, bytes)) or not isinstance(space, Sequence):
        raise TypeError(
            "space must be a list of hpimportance.Float, Int or Categorical, "
            f"got {type(space).__name__}."
        )
    params = tuple(space)
    for param in params:
        if not isinstance(param, (Float, Int, Categorical)):
            raise TypeError(
                f"space must hold hpimportance.Float, Int or Categorical, got {param!r}."
            )
    names = [param.name for param in params]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"space names parameters more than once: {duplicates}.")
    return params


def check_arrays(
    space: Sequence[Param],
    x: object,
    y: object,
    *,
    allow_nan: bool = False,
    within_ranges: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` as C-contiguous float64 arrays that fit ``space``.

    ``x`` must have one row per entry of ``y`` and one column per parameter; every target must
    be finite. NaN in ``x`` marks an inactive parameter where ``allow_nan`` is set; otherwise
    every value must be finite. Categorical columns must hold choice indices, integer columns
    whole numbers, and numeric columns values within their parameter's range, unless
    ``within_ranges`` is off: an Optuna study holds values outside their distribution where a
    trial was enqueued with one (Optuna warns and keeps it), and the forest methods fit their
    forest to such values as Optuna's do, while measuring over the range.
    """
    for name, value in (("x", x), ("y", y)):
        if value is None:
            raise TypeError(f"{name} must be an array of numbers, got None.")
    try:
        x_array = np.ascontiguousarray(x, dtype=np.float64)
        y_array = np.ascontiguousarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"x and y must be arrays of numbers: {error}") from None
    if x_array.ndim != 2:
        raise ValueError(f"x must be 2-D (one row per trial), got shape {x_array.shape}.")
    if y_array.ndim != 1:
        raise ValueError(f"y must be 1-D (one score per trial), got shape {y_array.shape}.")
    if x_array.shape[0] != y_array.shape[0]:
        raise ValueError(
            f"x has {x_array.shape[0]} rows but y has {y_array.shape[0]} values; "
            "they need one row per score."
        )
    if x_array.shape[1] != len(space):
        raise ValueError(
            f"x has {x_array.shape[1]} columns but the space has {len(space)} parameters; "
            "they need one column per parameter, in the order of the space."
        )
    bad_targets = np.flatnonzero(~np.isfinite(y_array))
    if bad_targets.size:
        raise ValueError(
            f"y holds {bad_targets.size} non-finite values (the first at row {bad_targets[0]}); "
            "drop those rows, as Optuna does with such trials."
        )
    for column, param in enumerate(space):
        values = x_array[:, column]
        active = values[~np.isnan(values)] if allow_nan else values
        if not np.isfinite(active).all():
            what = "infinite" if allow_nan else "NaN or infinite"
            hint = " (NaN marks a parameter a trial did not use)" if allow_nan else ""
            raise ValueError(f"Column {column} ({param.name!r}) holds {what} values{hint}.")
        if isinstance(param, Categorical):
            n_choices = len(param.choices)
            is_index = (active >= 0) & (active < n_choices) & (active == np.floor(active))
            if not is_index.all():
                raise ValueError(
                    f"Column {column} ({param.name!r}) must hold choice indices in "
                    f"0..{n_choices - 1}, got {float(active[~is_index][0])!r}."
                )
            continue
        low, high = float(param.low), float(param.high)
        outside = (active < low) | (active > high)
        if within_ranges and outside.any():
            raise ValueError(
                f"Column {column} ({param.name!r}) holds {float(active[outside][0])!r}, outside "
                f"the parameter's range [{param.low}, {param.high}]; widen the range or drop "
                "the trial."
            )
        if within_ranges and isinstance(param, Int) and (active != np.floor(active)).any():
            fraction = active[active != np.floor(active)][0]
            raise ValueError(
                f"Column {column} ({param.name!r}) is an integer parameter but holds "
                f"{float(fraction)!r}."
            )
    return x_array, y_array


def column_bounds(space: Sequence[Param]) -> tuple[list[float], list[float], list[int]]:
    """``(low, high, n_choices)`` per parameter as the native module takes them: the range of a
    numeric parameter with ``n_choices`` 0, or ``(0, 0, len(choices))`` for a categorical."""
    low: list[float] = []
    high: list[float] = []
    n_choices: list[int] = []
    for param in space:
        if isinstance(param, Categorical):
            low.append(0.0)
            high.append(0.0)
            n_choices.append(len(param.choices))
        else:
            low.append(float(param.low))
            high.append(float(param.high))
            n_choices.append(0)
    return low, high, n_choices

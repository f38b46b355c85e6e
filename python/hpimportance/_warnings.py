"""The package's warnings, importable without Optuna."""

from __future__ import annotations

import os
import sys
import warnings


class RangeChangedWarning(UserWarning):
    """A parameter is left out of the importances because its distribution changed during the
    study (its range was edited between trials, say).

    The message names the parameter and says whether the evaluator's ``merge_ranges=True``
    would analyse it over the union of its ranges. Filter it like any warning::

        warnings.filterwarnings("ignore", category=hpimportance.RangeChangedWarning)
    """


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` attributed to the innermost caller outside this package and Optuna.

    The warning then points at the user's line (their call of ``get_param_importances``, or
    the callback that evaluates after every trial), and the default filter shows it once per
    such line rather than on every call.
    """
    internal = tuple(
        os.path.dirname(module.__file__) + os.sep
        for module in (sys.modules.get("hpimportance"), sys.modules.get("optuna"))
        if module is not None and module.__file__ is not None
    )
    # Level 1 is this function; level 2 its caller.
    level = 2
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(internal):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)

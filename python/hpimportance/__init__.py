"""Fast, trustworthy hyperparameter importance.

``hpimportance.FanovaImportanceEvaluator`` is a drop-in evaluator for
:func:`optuna.importance.get_param_importances`, computed by a multithreaded Rust core.

Importing this package does not import Optuna; the evaluator classes load it when first used.
"""

from __future__ import annotations

from typing import Any

from hpimportance._native import __version__


__all__ = ["FanovaImportanceEvaluator", "__version__"]


def __getattr__(name: str) -> Any:
    # The evaluators subclass Optuna's base class, so they import Optuna: load them on demand.
    if name == "FanovaImportanceEvaluator":
        from hpimportance._fanova import FanovaImportanceEvaluator

        return FanovaImportanceEvaluator
    raise AttributeError(f"module 'hpimportance' has no attribute {name!r}")

"""Fast, trustworthy hyperparameter importance.

Two ways in:

- Optuna evaluators for :func:`optuna.importance.get_param_importances`:
  ``FanovaImportanceEvaluator``, ``PedAnovaImportanceEvaluator`` and
  ``MeanDecreaseImpurityImportanceEvaluator``.
- Functions on arrays of configurations and scores, for any tuner: describe the search space
  with :class:`Float`, :class:`Int` and :class:`Categorical`, then call :func:`fanova`,
  :func:`ped_anova` or :func:`mean_decrease_impurity`.

Importing this package does not import Optuna; the evaluator classes load it when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from hpimportance._fanova import fanova
from hpimportance._fanova import FanovaResult
from hpimportance._fanova import Marginal
from hpimportance._mdi import mean_decrease_impurity
from hpimportance._native import __version__
from hpimportance._ped_anova import ped_anova
from hpimportance._space import Categorical
from hpimportance._space import Float
from hpimportance._space import Int
from hpimportance._space import Param
from hpimportance._warnings import RangeChangedWarning


__all__ = [
    "Categorical",
    "FanovaImportanceEvaluator",
    "FanovaResult",
    "Float",
    "Int",
    "Marginal",
    "MeanDecreaseImpurityImportanceEvaluator",
    "Param",
    "PedAnovaImportanceEvaluator",
    "RangeChangedWarning",
    "__version__",
    "fanova",
    "mean_decrease_impurity",
    "ped_anova",
]

# The evaluators subclass Optuna's base class, so they import Optuna: they load on first use.
_EVALUATORS = {
    "FanovaImportanceEvaluator": "hpimportance._optuna_fanova",
    "MeanDecreaseImpurityImportanceEvaluator": "hpimportance._optuna_mdi",
    "PedAnovaImportanceEvaluator": "hpimportance._optuna_ped_anova",
}


def __getattr__(name: str) -> Any:
    module = _EVALUATORS.get(name)
    if module is None:
        raise AttributeError(f"module 'hpimportance' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

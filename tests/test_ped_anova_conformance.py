"""Optuna's own contract for importance evaluators, run against our PED-ANOVA.

Optuna runs the same three suites against its ``PedAnovaImportanceEvaluator``. The suite for
non-conditional evaluators does not apply: PED-ANOVA measures parameters whose range changed
during a study instead of refusing them.
"""

from __future__ import annotations

from optuna.testing.pytest_importance import BasicImportanceEvaluatorTestCase
from optuna.testing.pytest_importance import ConditionalImportanceEvaluatorTestCase
from optuna.testing.pytest_importance import MultiObjectiveImportanceEvaluatorTestCase
import pytest

from hpimportance import PedAnovaImportanceEvaluator


# Optuna's cases pass ``normalize``, which Optuna itself flags as experimental, and evaluate
# studies of a few trials, about which PED-ANOVA warns.
pytestmark = [
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


class TestPedAnovaImportanceEvaluator(
    BasicImportanceEvaluatorTestCase,
    ConditionalImportanceEvaluatorTestCase,
    MultiObjectiveImportanceEvaluatorTestCase,
):
    @pytest.fixture
    def evaluator(self) -> type[PedAnovaImportanceEvaluator]:
        return PedAnovaImportanceEvaluator

"""Optuna's own contract for importance evaluators, run against the MDI evaluator."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from optuna.testing.pytest_importance import BasicImportanceEvaluatorTestCase
from optuna.testing.pytest_importance import NonConditionalImportanceEvaluatorTestCase
import pytest

from hpimportance import MeanDecreaseImpurityImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable


# Optuna's cases pass ``normalize``, which Optuna itself flags as experimental.
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


class TestMeanDecreaseImpurityImportanceEvaluator(
    BasicImportanceEvaluatorTestCase, NonConditionalImportanceEvaluatorTestCase
):
    @pytest.fixture
    def evaluator(self) -> Callable[..., MeanDecreaseImpurityImportanceEvaluator]:
        # A fixed seed: some cases evaluate twice and compare the results.
        return functools.partial(MeanDecreaseImpurityImportanceEvaluator, seed=0)

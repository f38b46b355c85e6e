"""Optuna's own contract for importance evaluators, run against ours."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from optuna.testing.pytest_importance import BasicImportanceEvaluatorTestCase
from optuna.testing.pytest_importance import NonConditionalImportanceEvaluatorTestCase
import pytest

from hpimportance import FanovaImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable


# Optuna's cases pass ``normalize``, which Optuna itself flags as experimental.
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


class TestFanovaImportanceEvaluator(
    BasicImportanceEvaluatorTestCase, NonConditionalImportanceEvaluatorTestCase
):
    @pytest.fixture
    def evaluator(self) -> Callable[..., FanovaImportanceEvaluator]:
        # A fixed seed: some cases evaluate twice and compare the results.
        return functools.partial(FanovaImportanceEvaluator, seed=0)

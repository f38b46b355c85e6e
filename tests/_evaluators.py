"""The evaluators that the contract suites run against.

``test_hostile.py`` (degenerate studies, bad arguments, the study left untouched),
``test_properties.py`` (property-based tests) and ``test_control.py`` (Ctrl-C, threads, fork)
are parametrized over :data:`EVALUATORS`: adding an evaluator to the list runs all of them on
it. What differs between evaluators (their own constructor arguments, whether a multi-objective
study needs ``target``) is written in its :class:`EvaluatorSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from optuna.importance import BaseImportanceEvaluator


@dataclass(frozen=True)
class EvaluatorSpec:
    """How the contract tests make and misuse one evaluator."""

    name: str
    make: Callable[..., BaseImportanceEvaluator]
    """An evaluator whose randomness, if any, is fixed; keyword arguments go to the constructor.
    Every evaluator takes ``merge_ranges``."""
    bad_arguments: tuple[tuple[dict[str, Any], type[Exception], str], ...]
    """Constructor arguments it must refuse: the arguments, the exception, and a pattern its
    message must match (naming the argument and what is allowed)."""
    needs_target_with_several_objectives: bool = True
    """Whether ``evaluate`` refuses a multi-objective study without ``target`` (with a
    ``ValueError``) rather than analysing it."""


def _fanova(**options: Any) -> BaseImportanceEvaluator:
    from hpimportance import FanovaImportanceEvaluator

    return FanovaImportanceEvaluator(**{"seed": 0, **options})


FANOVA = EvaluatorSpec(
    name="fanova",
    make=_fanova,
    bad_arguments=(
        ({"n_trees": 0}, ValueError, r"n_trees must be at least 1, got 0"),
        ({"n_trees": 10**7}, ValueError, r"n_trees must be at most 1,000,000, got 10000000"),
        ({"n_trees": 2.5}, TypeError, r"n_trees must be a positive integer, got 2\.5"),
        ({"n_trees": True}, TypeError, r"n_trees must be a positive integer, got True"),
        ({"max_depth": -1}, ValueError, r"max_depth must be at least 1, got -1"),
        ({"max_depth": None}, TypeError, r"max_depth must be a positive integer, got None"),
        ({"n_threads": 0}, ValueError, r"n_threads must be at least 1, got 0"),
        ({"seed": -1}, ValueError, r"seed must be in \[0, 2\*\*64 - 1\], got -1"),
        ({"seed": "0"}, TypeError, r"seed must be an integer or None, got '0'"),
        ({"log_scale": 1}, TypeError, r"log_scale must be True or False, got 1"),
        ({"merge_ranges": "yes"}, TypeError, r"merge_ranges must be True or False, got 'yes'"),
    ),
)


def _mdi(**options: Any) -> BaseImportanceEvaluator:
    from hpimportance import MeanDecreaseImpurityImportanceEvaluator

    return MeanDecreaseImpurityImportanceEvaluator(**{"seed": 0, **options})


MDI = EvaluatorSpec(
    name="mean-decrease-impurity",
    make=_mdi,
    bad_arguments=(
        ({"n_trees": 0}, ValueError, r"n_trees must be at least 1, got 0"),
        ({"n_trees": 10**7}, ValueError, r"n_trees must be at most 1,000,000, got 10000000"),
        ({"n_trees": 2.5}, TypeError, r"n_trees must be a positive integer, got 2\.5"),
        ({"max_depth": -1}, ValueError, r"max_depth must be at least 1, got -1"),
        ({"max_depth": None}, TypeError, r"max_depth must be a positive integer, got None"),
        ({"n_threads": 0}, ValueError, r"n_threads must be at least 1, got 0"),
        ({"seed": -1}, ValueError, r"seed must be in \[0, 2\*\*64 - 1\], got -1"),
        ({"seed": "0"}, TypeError, r"seed must be an integer or None, got '0'"),
        ({"merge_ranges": "yes"}, TypeError, r"merge_ranges must be True or False, got 'yes'"),
    ),
)

EVALUATORS = [FANOVA, MDI]

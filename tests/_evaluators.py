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
    """An evaluator whose randomness, if any, is fixed; keyword arguments go to the constructor."""
    bad_arguments: tuple[tuple[dict[str, Any], type[Exception], str], ...]
    """Constructor arguments it must refuse: the arguments, the exception, and a pattern its
    message must match (naming the argument and what is allowed)."""
    needs_target_with_several_objectives: bool = True
    """Whether ``evaluate`` refuses a multi-objective study without ``target`` (with a
    ``ValueError``) rather than analysing it."""
    fits_a_forest: bool = True
    """A forest method (fANOVA, MDI): it analyses the parameters every completed trial holds
    with one distribution, leaves a parameter whose range changed out with a
    ``RangeChangedWarning`` unless given ``merge_ranges=True``, and returns importances in
    [0, 1] that do not change when the target is negated. Otherwise PED-ANOVA: it analyses every
    parameter of any completed trial, each distribution a parameter had as a regime of its own,
    returns non-negative divergences, and looks for the lowest target values."""
    optuna_twin: Callable[[], BaseImportanceEvaluator] | None = None
    """Optuna's evaluator that must give the same numbers (to 1e-9 relative), if any."""


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


def _ped_anova(**options: Any) -> BaseImportanceEvaluator:
    from hpimportance import PedAnovaImportanceEvaluator

    return PedAnovaImportanceEvaluator(**options)


def _optuna_ped_anova() -> BaseImportanceEvaluator:
    from optuna.importance import PedAnovaImportanceEvaluator

    return PedAnovaImportanceEvaluator()


PED_ANOVA = EvaluatorSpec(
    name="ped-anova",
    make=_ped_anova,
    bad_arguments=(
        (
            {"target_quantile": 0.0},
            ValueError,
            r"needs 0 < target_quantile < region_quantile <= 1, got target_quantile=0\.0",
        ),
        (
            {"target_quantile": 0.5, "region_quantile": 0.4},
            ValueError,
            r"needs 0 < target_quantile < region_quantile <= 1, got target_quantile=0\.5 "
            r"and region_quantile=0\.4",
        ),
        (
            {"region_quantile": 1.5},
            ValueError,
            r"needs 0 < target_quantile < region_quantile <= 1, .*region_quantile=1\.5",
        ),
        ({"target_quantile": "0.1"}, TypeError, r"target_quantile must be a number, got '0\.1'"),
        ({"evaluate_on_local": 1}, TypeError, r"evaluate_on_local must be True or False, got 1"),
    ),
    needs_target_with_several_objectives=False,
    fits_a_forest=False,
    optuna_twin=_optuna_ped_anova,
)

EVALUATORS = [FANOVA, MDI, PED_ANOVA]

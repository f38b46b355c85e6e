"""Agreement with Optuna's fANOVA, through optuna-fast-fanova (the same numbers, 30x faster).

The two forests draw different random numbers, and categoricals are averaged differently
(uniformly over the choices here, over a one-hot hypercube there), so agreement is statistical:
the normalized importances of each evaluator are averaged over seeds 0-4 and compared per
parameter.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.importance import get_param_importances
from optuna_fast_fanova import FanovaImportanceEvaluator as OptunaFanovaImportanceEvaluator
import pytest

from hpimportance import FanovaImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from optuna.importance import BaseImportanceEvaluator
    from optuna.study import Study
    from optuna.trial import FrozenTrial


SEEDS = range(5)
N_TRIALS = 400
TOLERANCE = 0.05


def _optimizer_matters(params: dict[str, Any]) -> float:
    effect = {"sgd": 0.0, "adam": 1.0, "rmsprop": 0.8, "adagrad": 0.3}[params["optimizer"]]
    return effect + 0.3 * params["dropout"] + 0.001 * params["units"] + 2.0 * params["lr"]


OPTIMIZER_MATTERS = {
    "optimizer": CategoricalDistribution(["sgd", "adam", "rmsprop", "adagrad"]),
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "units": IntDistribution(16, 256),
    "dropout": FloatDistribution(0.0, 0.5),
}


def _learning_rate_matters(params: dict[str, Any]) -> float:
    # Both evaluators average a log parameter over its raw range, where most of [1e-5, 1]
    # lies far above the optimum at 1e-2: lr still dominates.
    nesterov = 0.3 if params["nesterov"] else 0.0
    return (
        (math.log10(params["lr"]) + 2.0) ** 2
        + 0.2 * math.log2(params["batch_size"])
        + 0.5 * params["momentum"]
        + nesterov
    )


LEARNING_RATE_MATTERS = {
    "lr": FloatDistribution(1e-5, 1.0, log=True),
    "batch_size": IntDistribution(8, 512, log=True),
    "momentum": FloatDistribution(0.0, 0.99, step=0.01),
    "nesterov": CategoricalDistribution([True, False]),
}


def _interacting(params: dict[str, Any]) -> float:
    # The categorical only flips the sign and scale of x's effect: a pure interaction.
    sign = {"a": 1.0, "b": -1.0, "c": 0.5}[params["c"]]
    return sign * params["x"] + 0.5 * params["k"] + 0.2 * (params["depth"] - 4) ** 2


INTERACTING = {
    "x": FloatDistribution(-2.0, 2.0),
    "k": IntDistribution(0, 10, step=2),
    "c": CategoricalDistribution(["a", "b", "c"]),
    "depth": IntDistribution(1, 8),
    "unused": FloatDistribution(0.0, 1.0),
}


def _first_objective(trial: FrozenTrial) -> float:
    return trial.values[0]


def _second_objective(trial: FrozenTrial) -> float:
    return trial.values[1]


SYNTHETIC = {
    "optimizer-matters": (OPTIMIZER_MATTERS, _optimizer_matters),
    "learning-rate-matters": (LEARNING_RATE_MATTERS, _learning_rate_matters),
    "interacting": (INTERACTING, _interacting),
}
# Real studies: (file and study name, target).
SHIPPED = {
    "digits-svc": ("digits-svc", None),
    "wine-rf-mo-cost": ("wine-rf-mo", _second_objective),
    "wine-rf-mo-accuracy": ("wine-rf-mo", _first_objective),
}
# Largest differences measured, in the order above: 0.008, 0.002, 0.003, 0.003, 0.001 and 0.027
# (data seeds 0-2 of the synthetic studies gave at most 0.008, 0.003 and 0.007).
CASES = [*SYNTHETIC, *SHIPPED]
# Optuna itself puts max_features (0.445) and max_depth (0.427) of wine-rf-mo-accuracy within
# its own seed noise (0.438 and 0.434 over seeds 10-14): no ranking of the two is meaningful.
CASES_WITH_CLEAR_TOP = [case for case in CASES if case != "wine-rf-mo-accuracy"]


def _mean_importances(
    evaluator_class: type[BaseImportanceEvaluator],
    study: Study,
    target: Callable[[FrozenTrial], float] | None,
) -> dict[str, float]:
    runs = [
        get_param_importances(study, evaluator=evaluator_class(seed=seed), target=target)
        for seed in SEEDS
    ]
    return {name: float(np.mean([run[name] for run in runs])) for name in runs[0]}


@pytest.fixture(scope="module")
def compare(
    random_study: Callable[..., Study], shipped_study: Callable[[str], Study]
) -> Callable[[str], tuple[dict[str, float], dict[str, float]]]:
    """``compare(case)``: (ours, Optuna's) normalized importances averaged over ``SEEDS``,
    computed once per case (Optuna's take 1-6 s)."""
    results: dict[str, tuple[dict[str, float], dict[str, float]]] = {}

    def run(case: str) -> tuple[dict[str, float], dict[str, float]]:
        if case not in results:
            if case in SYNTHETIC:
                distributions, objective = SYNTHETIC[case]
                study = random_study(distributions, objective, N_TRIALS, seed=0)
                target = None
            else:
                name, target = SHIPPED[case]
                study = shipped_study(name)
            results[case] = (
                _mean_importances(FanovaImportanceEvaluator, study, target),
                _mean_importances(OptunaFanovaImportanceEvaluator, study, target),
            )
        return results[case]

    return run


@pytest.mark.parametrize("case", CASES)
def test_importances_agree(
    compare: Callable[[str], tuple[dict[str, float], dict[str, float]]], case: str
) -> None:
    ours, theirs = compare(case)

    assert set(ours) == set(theirs)
    differences = {name: ours[name] - theirs[name] for name in theirs}
    assert max(abs(d) for d in differences.values()) <= TOLERANCE, (ours, theirs)


@pytest.mark.parametrize("case", CASES_WITH_CLEAR_TOP)
def test_top_parameter_agrees(
    compare: Callable[[str], tuple[dict[str, float], dict[str, float]]], case: str
) -> None:
    ours, theirs = compare(case)

    assert max(ours, key=ours.__getitem__) == max(theirs, key=theirs.__getitem__), (ours, theirs)

"""Agreement with Optuna's mean decrease impurity and with scikit-learn's definition of it.

The forests draw different random numbers, so agreement is statistical: the normalized
importances of each evaluator are averaged over seeds 0-4 and compared per parameter.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.importance import get_param_importances
from optuna.importance import MeanDecreaseImpurityImportanceEvaluator as OptunaMdiEvaluator
import pytest
from sklearn.ensemble import RandomForestRegressor

import hpimportance
from hpimportance import MeanDecreaseImpurityImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from optuna.importance import BaseImportanceEvaluator
    from optuna.study import Study
    from optuna.trial import FrozenTrial


SEEDS = range(5)
N_TRIALS = 400
TOLERANCE = 0.05


def _every_kind(params: dict[str, Any]) -> float:
    optimizer = {"sgd": 0.0, "adam": 1.5, "rmsprop": 1.0, "adagrad": 0.3}[params["optimizer"]]
    return (
        optimizer
        + params["x"] ** 2
        + 0.5 * math.log10(params["lr"])
        + 0.004 * params["units"]
        + 0.1 * params["layers"]
        + 0.5 * params["momentum"]
        + (0.3 if params["nesterov"] else 0.0)
    )


# Every kind of distribution: float, log float, int, log int, stepped float, categoricals.
EVERY_KIND = {
    "x": FloatDistribution(-2.0, 2.0),
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "units": IntDistribution(16, 256),
    "layers": IntDistribution(1, 8, log=True),
    "momentum": FloatDistribution(0.0, 0.99, step=0.01),
    "optimizer": CategoricalDistribution(["sgd", "adam", "rmsprop", "adagrad"]),
    "nesterov": CategoricalDistribution([True, False]),
}

CHOICE_EFFECTS = dict(zip("abcdef", [0.0, 2.0, -1.0, 0.5, 3.0, -2.0]))


def _choice_dominates(params: dict[str, Any]) -> float:
    return CHOICE_EFFECTS[params["choice"]] + 0.2 * params["depth"] + params["noise"] ** 3


CHOICE_DOMINATES = {
    "choice": CategoricalDistribution(list(CHOICE_EFFECTS)),
    "depth": IntDistribution(1, 10, step=3),
    "noise": FloatDistribution(-1.0, 1.0),
}


def _first_objective(trial: FrozenTrial) -> float:
    return trial.values[0]


def _second_objective(trial: FrozenTrial) -> float:
    return trial.values[1]


SYNTHETIC = {
    "every-kind": (EVERY_KIND, _every_kind),
    "choice-dominates": (CHOICE_DOMINATES, _choice_dominates),
}
# Real studies: (file and study name, target). diabetes-knn (10,139 trials) would take Optuna
# half a minute per seed, diabetes-enet (3,000) ten seconds for five seeds.
SHIPPED = {
    "digits-svc": ("digits-svc", None),
    "wine-rf-mo-accuracy": ("wine-rf-mo", _first_objective),
    "wine-rf-mo-cost": ("wine-rf-mo", _second_objective),
}
# Largest differences measured, in this order: 0.002, 0.0002, 0.003, 0.004 and 0.002.
CASES = [*SYNTHETIC, *SHIPPED]


def _mean_importances(
    make: Callable[[int], BaseImportanceEvaluator],
    study: Study,
    target: Callable[[FrozenTrial], float] | None = None,
    params: list[str] | None = None,
) -> dict[str, float]:
    runs = [
        get_param_importances(study, evaluator=make(seed), target=target, params=params)
        for seed in SEEDS
    ]
    return {name: float(np.mean([run[name] for run in runs])) for name in runs[0]}


def _ours(seed: int) -> BaseImportanceEvaluator:
    return MeanDecreaseImpurityImportanceEvaluator(seed=seed)


def _optuna(seed: int) -> BaseImportanceEvaluator:
    return OptunaMdiEvaluator(seed=seed)


@pytest.fixture(scope="module")
def compare(
    random_study: Callable[..., Study], shipped_study: Callable[[str], Study]
) -> Callable[[str], tuple[dict[str, float], dict[str, float]]]:
    """``compare(case)``: (ours, Optuna's) normalized importances averaged over ``SEEDS``,
    computed once per case."""
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
                _mean_importances(_ours, study, target),
                _mean_importances(_optuna, study, target),
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


@pytest.mark.parametrize("case", CASES)
def test_top_parameter_agrees(
    compare: Callable[[str], tuple[dict[str, float], dict[str, float]]], case: str
) -> None:
    ours, theirs = compare(case)

    assert max(ours, key=ours.__getitem__) == max(theirs, key=theirs.__getitem__), (ours, theirs)


def _graded(params: dict[str, Any]) -> float:
    # a matters most, m less, z least: any swap of names shows.
    return 3.0 * params["a"] + params["m"] + 0.2 * params["z"]


GRADED = {name: FloatDistribution(0.0, 1.0) for name in ("a", "m", "z")}


def test_each_name_carries_its_own_importance_with_unsorted_params(
    random_study: Callable[..., Study],
) -> None:
    study = random_study(GRADED, _graded, N_TRIALS, seed=1)
    unsorted = ["z", "a", "m"]

    ours = _mean_importances(_ours, study, params=unsorted)
    # Optuna pairs the importances of the sorted names with the names in the order passed,
    # so its correct reference is the one computed from the sorted list.
    reference = _mean_importances(_optuna, study, params=sorted(unsorted))

    assert ours["a"] > ours["m"] > ours["z"]
    for name in unsorted:
        assert ours[name] == pytest.approx(reference[name], abs=TOLERANCE), (ours, reference)
    evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=0)
    assert evaluator.evaluate(study, params=unsorted) == evaluator.evaluate(
        study, params=sorted(unsorted)
    )


def test_array_api_follows_scikit_learns_definition() -> None:
    # The array function against scikit-learn's feature_importances_ on the same arrays, the
    # categorical one-hot encoded there and its columns summed.
    rng = np.random.default_rng(2)
    n = 500
    x = np.column_stack(
        [rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.integers(0, 5, n).astype(float)]
    )
    effects = np.array([0.0, 0.4, -0.3, 0.8, 0.1])
    y = 2.0 * x[:, 0] + np.sin(6.0 * x[:, 1]) + effects[x[:, 2].astype(int)]
    space = [
        hpimportance.Float("a", 0.0, 1.0),
        hpimportance.Float("b", 0.0, 1.0),
        hpimportance.Categorical("c", list("pqrst")),
    ]
    one_hot = np.column_stack([x[:, :2], np.eye(5)[x[:, 2].astype(int)]])

    ours = np.mean(
        [list(hpimportance.mean_decrease_impurity(space, x, y, seed=s).values()) for s in SEEDS],
        axis=0,
    )
    theirs = []
    for seed in SEEDS:
        forest = RandomForestRegressor(n_estimators=64, max_depth=64, random_state=seed)
        columns = forest.fit(one_hot, y).feature_importances_
        theirs.append([columns[0], columns[1], columns[2:].sum()])

    # Measured: at most 0.0013 apart.
    assert ours == pytest.approx(np.mean(theirs, axis=0), abs=0.02)
    assert ours.sum() == pytest.approx(1.0)

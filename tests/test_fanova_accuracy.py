"""Importances against closed-form truths (ALGORITHMS.md, section e).

fANOVA's unnormalized importance of a parameter estimates its first-order Sobol index under
the forest; the normalized one (what ``get_param_importances`` returns) estimates
``S_i / sum_j S_j``. Fully grown trees on 1,000 noise-free points are biased in ways that do
not vanish with more trees (a weak parameter gets cut late, in different places in different
branches, so part of its effect is booked as interaction), and Optuna's own fANOVA carries the
same bias: on the first 20 data seeds of the Ishigami case below, optuna-fast-fanova and this
package gave the same mean and the same extremes to 4 decimals. Each tolerance is therefore
set from the largest deviation measured over data seeds 0-29 (seed 0 is the one tested), and
the ranking is asserted as well.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.importance import get_param_importances
import pytest

from hpimportance import FanovaImportanceEvaluator


if TYPE_CHECKING:
    from collections.abc import Callable

    from optuna.study import Study


N_TRIALS = 1000


def _study_of_floats(
    study_from_rows: Callable[..., Study],
    names: list[str],
    x: np.ndarray,
    y: np.ndarray,
    *,
    low: float,
    high: float,
) -> Study:
    distributions = {name: FloatDistribution(low, high) for name in names}
    rows = [dict(zip(names, row)) for row in x.tolist()]
    return study_from_rows(distributions, rows, y.tolist())


def _normalized(study: Study, names: list[str]) -> np.ndarray:
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert set(importances) == set(names)
    return np.array([importances[name] for name in names])


def test_ishigami(study_from_rows: Callable[..., Study]) -> None:
    # f = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1: x3 acts only through its interaction with x1.
    names = ["x1", "x2", "x3"]
    x = np.random.default_rng(0).uniform(-math.pi, math.pi, size=(N_TRIALS, 3))
    y = np.sin(x[:, 0]) + 7.0 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    study = _study_of_floats(study_from_rows, names, x, y, low=-math.pi, high=math.pi)

    importances = _normalized(study, names)

    # Data seed 0 deviates by (-0.006, -0.013, +0.019); seeds 0-29 by up to 0.096 (x2, whose
    # mean deviation is -0.051: the forest books part of it as interaction).
    np.testing.assert_allclose(importances, [0.41504, 0.58496, 0.0], atol=0.1)
    assert importances[1] > importances[0] > importances[2]


def test_sobol_g_function(study_from_rows: Callable[..., Study]) -> None:
    a = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0])
    names = [f"x{i}" for i in range(1, 9)]
    x = np.random.default_rng(0).uniform(0.0, 1.0, size=(N_TRIALS, 8))
    y = np.prod((np.abs(4.0 * x - 2.0) + a) / (1.0 + a), axis=1)
    study = _study_of_floats(study_from_rows, names, x, y, low=0.0, high=1.0)

    importances = _normalized(study, names)

    first_order = np.array([0.716192, 0.179048, 0.023676, 0.007162] + [0.000072] * 4)
    # Data seed 0 deviates by up to 0.066 (x1); seeds 0-29 by up to 0.079 (x1, mean +0.061).
    np.testing.assert_allclose(importances, first_order / 0.926364, atol=0.09)
    assert importances[0] > importances[1] > max(importances[2:])
    assert max(importances[4:]) < 0.005


def _ishigami(trial: optuna.trial.Trial) -> float:
    x1, x2, x3 = (trial.suggest_float(name, -math.pi, math.pi) for name in ("x1", "x2", "x3"))
    return math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)


def _g_function(trial: optuna.trial.Trial) -> float:
    a = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0])
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(1, 9)])
    return float(np.prod((np.abs(4.0 * x - 2.0) + a) / (1.0 + a)))


@pytest.mark.parametrize(
    ("objective", "names", "truth", "tolerance"),
    [
        (_ishigami, ["x1", "x2", "x3"], [0.41504, 0.58496, 0.0], 0.05),
        (
            _g_function,
            [f"x{i}" for i in range(1, 9)],
            [0.716192, 0.179048, 0.023676, 0.007162] + [0.000072] * 4,
            0.07,
        ),
    ],
    ids=["ishigami", "g-function"],
)
def test_optimized_with_random_sampler(
    objective: Callable[[optuna.trial.Trial], float],
    names: list[str],
    truth: list[float],
    tolerance: float,
) -> None:
    # A study as a user makes it: 1,000 trials of Optuna's RandomSampler(seed=0), importances
    # averaged over 5 forest seeds. Measured deviations: Ishigami (+0.008, -0.024, +0.016)
    # (Optuna's fANOVA, one seed: (0.421, 0.563, 0.016)); G-function at most 0.053. Sampler
    # seeds 1-3 give up to 0.066 and 0.062: the bias of fully grown forests, which Optuna's
    # fANOVA shares (see the data-seed tests above).
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=N_TRIALS)

    runs = [
        get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed))
        for seed in range(5)
    ]
    importances = np.array([[run[name] for name in names] for run in runs]).mean(axis=0)

    expected = np.array(truth) / sum(truth)
    np.testing.assert_allclose(importances, expected, atol=tolerance)
    assert names[int(np.argmax(importances))] == names[int(np.argmax(expected))]


def test_additive_quadratic_and_dummy(study_from_rows: Callable[..., Study]) -> None:
    # f = x1^2 + 2 x2^2 + 3 x3^2 on U(-1, 1): S_i = c_i^2 / 14; "dummy" is never used.
    names = ["x1", "x2", "x3", "dummy"]
    x = np.random.default_rng(0).uniform(-1.0, 1.0, size=(N_TRIALS, 4))
    y = x[:, 0] ** 2 + 2.0 * x[:, 1] ** 2 + 3.0 * x[:, 2] ** 2
    study = _study_of_floats(study_from_rows, names, x, y, low=-1.0, high=1.0)

    importances = _normalized(study, names)

    # Data seed 0 deviates by (-0.045, -0.004, +0.049); seeds 0-29 by up to 0.072 (x3). The
    # dummy got at most 0.0003.
    np.testing.assert_allclose(importances, [1 / 14, 4 / 14, 9 / 14, 0.0], atol=0.08)
    assert importances[2] > importances[1] > importances[0] > importances[3]
    assert importances[3] < 0.002


def test_categorical_is_averaged_uniformly_over_choices(
    study_from_rows: Callable[..., Study],
) -> None:
    # f = g(c) + 2x with g = (0, 1, 4): Var(g) = 26/9 over the three choices, Var(2x) = 1/3.
    # Optuna's one-hot fANOVA weighs the choices unevenly and gets about 0.903 for c.
    n_trials = 2000
    rng = np.random.default_rng(0)
    choice = rng.integers(0, 3, size=n_trials)
    x = rng.uniform(0.0, 1.0, size=n_trials)
    y = np.array([0.0, 1.0, 4.0])[choice] + 2.0 * x
    distributions = {
        "c": CategoricalDistribution(["A", "B", "C"]),
        "x": FloatDistribution(0.0, 1.0),
    }
    rows = [{"c": "ABC"[k], "x": value} for k, value in zip(choice.tolist(), x.tolist())]
    study = study_from_rows(distributions, rows, y.tolist())

    importances = FanovaImportanceEvaluator(seed=0).evaluate(study)

    truth_c = (26 / 9) / (26 / 9 + 1 / 3)
    # Seeds 0-29 deviate by at most 3.4e-5 at 2,000 trials (3e-3 at 300 trials).
    assert importances["c"] == pytest.approx(truth_c, abs=1e-3)
    assert importances["x"] == pytest.approx(1.0 - truth_c, abs=1e-3)


def test_parameters_that_cannot_matter_get_nothing(
    shipped_study: Callable[[str], Study],
) -> None:
    # In diabetes-knn, leaf_size and algorithm change how neighbours are found, never which.
    study = shipped_study("diabetes-knn")

    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))

    assert next(iter(importances)) == "n_neighbors"
    # Measured: 7e-7 and 2e-7 for seeds 0-2.
    assert importances["leaf_size"] < 1e-4
    assert importances["algorithm"] < 1e-4

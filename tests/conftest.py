"""Shared fixtures: studies built from known inputs, and the real studies shipped in ``data/``."""

from __future__ import annotations

import math
from pathlib import Path
import shutil
from typing import TYPE_CHECKING

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
import pytest


if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping
    from collections.abc import Sequence
    from typing import Any

    from optuna.distributions import BaseDistribution
    from optuna.study import Study


DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# Fitting a forest logs nothing, but building studies trial by trial would flood the output.
optuna.logging.set_verbosity(optuna.logging.WARNING)


def _sample(rng: np.random.Generator, distribution: BaseDistribution) -> Any:
    """One value drawn the way Optuna's RandomSampler draws it: log-uniform on log scales."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[int(rng.integers(len(distribution.choices)))]
    if isinstance(distribution, IntDistribution):
        if distribution.log:
            log_value = rng.uniform(
                math.log(distribution.low - 0.5), math.log(distribution.high + 0.5)
            )
            return min(max(round(math.exp(log_value)), distribution.low), distribution.high)
        n_steps = (distribution.high - distribution.low) // distribution.step
        return distribution.low + distribution.step * int(rng.integers(n_steps + 1))
    if isinstance(distribution, FloatDistribution):
        if distribution.log:
            log_low, log_high = math.log(distribution.low), math.log(distribution.high)
            return min(math.exp(rng.uniform(log_low, log_high)), distribution.high)
        if distribution.step is not None:
            n_steps = round((distribution.high - distribution.low) / distribution.step)
            return distribution.low + distribution.step * int(rng.integers(n_steps + 1))
        return float(rng.uniform(distribution.low, distribution.high))
    raise TypeError(f"no sampler for {distribution!r}")


def _add_trials(
    study: Study,
    distributions: Mapping[str, BaseDistribution],
    rows: Sequence[Mapping[str, Any]],
    values: Sequence[float | Sequence[float]],
) -> None:
    trials = []
    for params, value in zip(rows, values):
        if isinstance(value, (list, tuple)):
            trial = optuna.create_trial(
                params=dict(params), distributions=dict(distributions), values=list(value)
            )
        else:
            trial = optuna.create_trial(
                params=dict(params), distributions=dict(distributions), value=float(value)
            )
        trials.append(trial)
    study.add_trials(trials)


@pytest.fixture(scope="session")
def study_from_rows() -> Callable[..., Study]:
    """``make(distributions, rows, values, *, directions=None, storage=None)``: a study whose
    COMPLETE trials have exactly these params (one mapping per trial) and these values (a float,
    or a list of floats for a multi-objective study)."""

    def make(
        distributions: Mapping[str, BaseDistribution],
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[float | Sequence[float]],
        *,
        directions: list[str] | None = None,
        storage: str | None = None,
    ) -> Study:
        study = optuna.create_study(storage=storage, directions=directions or ["minimize"])
        _add_trials(study, distributions, rows, values)
        return study

    return make


@pytest.fixture(scope="session")
def random_study() -> Callable[..., Study]:
    """``make(distributions, objective, n_trials, seed, **study_kwargs)``: ``n_trials`` random
    configurations (drawn as Optuna's RandomSampler would, from ``numpy``'s generator seeded with
    ``seed``) scored by ``objective(params)``."""

    def make(
        distributions: Mapping[str, BaseDistribution],
        objective: Callable[[dict[str, Any]], float | Sequence[float]],
        n_trials: int,
        seed: int,
        *,
        directions: list[str] | None = None,
        storage: str | None = None,
    ) -> Study:
        rng = np.random.default_rng(seed)
        rows = [
            {name: _sample(rng, d) for name, d in distributions.items()} for _ in range(n_trials)
        ]
        study = optuna.create_study(storage=storage, directions=directions or ["minimize"])
        _add_trials(study, distributions, rows, [objective(params) for params in rows])
        return study

    return make


@pytest.fixture(scope="session")
def shipped_study(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Study]:
    """``load(name)``: the real study ``data/<name>.db``, loaded once per session from a
    writable copy, so the shipped file stays untouched whatever Optuna writes to a storage."""
    loaded: dict[str, Study] = {}

    def load(name: str) -> Study:
        if name not in loaded:
            copy = tmp_path_factory.mktemp(name) / f"{name}.db"
            shutil.copyfile(DATA_DIR / f"{name}.db", copy)
            loaded[name] = optuna.load_study(study_name=name, storage=f"sqlite:///{copy}")
        return loaded[name]

    return load

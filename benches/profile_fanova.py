"""Where one call of ``hpimportance.FanovaImportanceEvaluator`` spends its time.

Splits ``get_param_importances`` into the steps of ``FanovaImportanceEvaluator.evaluate`` (reading
the trials in Python, then the Rust forest and decomposition) and times each on the mixed studies
of ``bench_fanova.py``, with every core and with one thread. It also times the Rust call on a
study of 16 trials, where fitting costs nothing, to show the fixed cost of a call (thread pools,
conversions)::

    python benches/profile_fanova.py --sizes 1000 10000 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any
from typing import TYPE_CHECKING

from bench_fanova import build_study
from bench_fanova import MIXED
import numpy as np
import optuna

import hpimportance
from hpimportance import _native
from hpimportance import _trials


if TYPE_CHECKING:
    from collections.abc import Callable


def _median_seconds(work: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def profile(study: optuna.Study, repeats: int, seed: int) -> dict[str, float]:
    """Median seconds of each step of ``evaluate``, in the order ``evaluate`` takes them."""
    state: dict[str, Any] = {}

    def read_trials() -> None:
        state["trials"] = _trials.completed_trials(study)

    def search_space() -> None:
        state["distributions"] = _trials.search_space(state["trials"], None)

    def usable_trials() -> None:
        state["kept"], state["values"] = _trials.usable_trials(
            state["trials"], list(state["distributions"]), None
        )

    def columns() -> None:
        varying = state["distributions"]
        x = np.empty((len(state["kept"]), len(varying)), dtype=np.float64)
        for column, (name, distribution) in enumerate(varying.items()):
            x[:, column] = _trials.parameter_column(state["kept"], name, distribution)
        state["x"] = x
        state["bounds"] = [list(b) for b in zip(*map(_trials.bounds, varying.values()))]

    def native(n_threads: int | None) -> Callable[[], None]:
        def call() -> None:
            low, high, n_choices = state["bounds"]
            _native.fanova(
                state["x"],
                state["values"],
                low,
                high,
                n_choices,
                n_trees=64,
                max_depth=64,
                seed=seed,
                n_threads=n_threads,
            )

        return call

    def end_to_end(n_threads: int | None) -> Callable[[], None]:
        evaluator = hpimportance.FanovaImportanceEvaluator(seed=seed, n_threads=n_threads)

        def call() -> None:
            optuna.importance.get_param_importances(study, evaluator=evaluator)

        return call

    steps = {
        "get_trials": read_trials,
        "search_space": search_space,
        "usable_trials": usable_trials,
        "columns": columns,
        "native, all cores": native(None),
        "native, 1 thread": native(1),
        "end to end, all cores": end_to_end(None),
        "end to end, 1 thread": end_to_end(1),
    }
    return {name: _median_seconds(step, repeats) for name, step in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[16, 1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    random.seed(args.seed)

    for n_trials in args.sizes:
        study = build_study(MIXED, n_trials, args.seed)
        print(f"mixed study of {n_trials:,} trials, median of {args.repeats}:")
        steps = profile(study, args.repeats, args.seed)
        python_side = sum(
            steps[name] for name in ("get_trials", "search_space", "usable_trials", "columns")
        )
        for name, seconds in steps.items():
            print(f"  {name:<24} {seconds * 1000:10.2f} ms")
        print(f"  {'python reading, total':<24} {python_side * 1000:10.2f} ms")


if __name__ == "__main__":
    main()

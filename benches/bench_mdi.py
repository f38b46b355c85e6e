"""Time hpimportance's mean decrease impurity against Optuna's, side by side.

Runs, end to end through :func:`optuna.importance.get_param_importances` and on the same
studies (the mixed studies of ``bench_fanova.py``: 8 parameters of every kind):

- ``hpimportance.MeanDecreaseImpurityImportanceEvaluator`` (this package, every core, and one
  thread),
- ``optuna.importance.MeanDecreaseImpurityImportanceEvaluator`` (Optuna's, over scikit-learn's
  ``RandomForestRegressor``).

The evaluators take turns, one call each per round, so that a machine shared with other work
slows them alike. It prints a table of median wall-clock and CPU times (CPU time summed over
all threads: the work done, which other load on the machine changes less) with the ratios
Optuna/ours, the issue's target with whether it is met, the importances of both side by side at
each size, and last one line of JSON with every number. Run it from the repository root::

    python benches/bench_mdi.py                  # 1,000 and 10,000 trials; ~2 minutes
    python benches/bench_mdi.py --sizes 1000 --rounds 3

This is a benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import time
from typing import Any
from typing import TYPE_CHECKING
import warnings

from bench_fanova import build_study
from bench_fanova import machine_info
from bench_fanova import MIXED
import optuna
from rich.console import Console
from rich.table import Table


if TYPE_CHECKING:
    from optuna.importance import BaseImportanceEvaluator


OURS = "hpimportance"
OURS_ONE_THREAD = "hpimportance, 1 thread"
OPTUNA = "optuna"
EVALUATORS = (OURS, OURS_ONE_THREAD, OPTUNA)

DEFAULT_SIZES = (1_000, 10_000)
TARGET_TRIALS = 10_000
TARGET_RATIO = 20.0


def make_evaluator(name: str, seed: int) -> BaseImportanceEvaluator:
    evaluator: BaseImportanceEvaluator
    if name in (OURS, OURS_ONE_THREAD):
        from hpimportance import MeanDecreaseImpurityImportanceEvaluator

        n_threads = 1 if name == OURS_ONE_THREAD else None
        evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=seed, n_threads=n_threads)
        return evaluator
    if name == OPTUNA:
        return optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=seed)
    raise ValueError(f"Unknown evaluator {name!r}.")


def time_evaluator(
    study: optuna.Study, name: str, seed: int
) -> tuple[float, float, dict[str, float]]:
    """Wall-clock and CPU seconds of one ``get_param_importances`` call, and the normalized
    importances."""
    evaluator = make_evaluator(name, seed)
    start, start_cpu = time.perf_counter(), time.process_time()
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return wall, cpu, {k: float(v) for k, v in importances.items()}


def rounds_for(n_trials: int, args: argparse.Namespace) -> int:
    if args.rounds is not None:
        return int(args.rounds)
    # Optuna takes about half a second per 1,000 trials; more rounds where calls are short.
    return 9 if n_trials <= 2_000 else 5


Times = dict[str, dict[str, list[float]]]
"""Per evaluator, the wall-clock ("wall") and CPU ("cpu") seconds of each call."""


def run_case(
    n_trials: int, args: argparse.Namespace, progress: Console
) -> tuple[Times, dict[str, dict[str, float]]]:
    progress.log(f"building the {MIXED} study of {n_trials:,} trials")
    study = build_study(MIXED, n_trials, args.seed)
    times: Times = {name: {"wall": [], "cpu": []} for name in EVALUATORS}
    importances: dict[str, dict[str, float]] = {}
    for round_index in range(rounds_for(n_trials, args)):
        for name in EVALUATORS:
            wall, cpu, result = time_evaluator(study, name, args.seed)
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
            importances.setdefault(name, result)
        progress.log(
            f"{n_trials:,} trials, round {round_index + 1}: "
            + ", ".join(f"{name} {_seconds(times[name]['wall'][-1])}" for name in EVALUATORS)
        )
    return times, importances


def _times(ratio: float) -> str:
    return f"{ratio:,.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def _seconds(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value < 1.0:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def print_report(
    results: dict[int, Times],
    importances: dict[int, dict[str, dict[str, float]]],
    info: dict[str, Any],
    console: Console,
) -> list[dict[str, Any]]:
    console.print(
        f"Python {info['python']} on {info['platform']}, {info['cpu_count']} CPUs "
        f"({info['usable_cores']} usable). hpimportance {info['hpimportance']}, "
        f"optuna {info['optuna']}, scikit-learn {info['scikit_learn']}. All evaluators: "
        "n_trees=64, max_depth=64, seed fixed; wall-clock seconds of get_param_importances, "
        "the evaluators taking turns."
    )
    table = Table(title="Mean decrease impurity, median times")
    headers = ("trials", "evaluator", "runs", "wall", "min - max", "optuna / this", "CPU")
    for header in (*headers, "optuna / this\n(CPU)"):
        table.add_column(header, justify="left" if header == "evaluator" else "right")
    rows = []
    for n_trials, times in results.items():
        optuna_wall = statistics.median(times[OPTUNA]["wall"])
        optuna_cpu = statistics.median(times[OPTUNA]["cpu"])
        for name in EVALUATORS:
            wall = times[name]["wall"]
            median = statistics.median(wall)
            median_cpu = statistics.median(times[name]["cpu"])
            ratio = optuna_wall / median if name != OPTUNA else None
            cpu_ratio = optuna_cpu / median_cpu if name != OPTUNA and median_cpu > 0 else None
            rows.append(
                {
                    "trials": n_trials,
                    "evaluator": name,
                    "runs": len(wall),
                    "median_s": median,
                    "median_cpu_s": median_cpu,
                    "times_s": wall,
                    "cpu_times_s": times[name]["cpu"],
                    "optuna_over_this": ratio,
                    "optuna_over_this_cpu": cpu_ratio,
                }
            )
            table.add_row(
                f"{n_trials:,}",
                name,
                str(len(wall)),
                _seconds(median),
                f"{_seconds(min(wall))} - {_seconds(max(wall))}",
                "" if ratio is None else _times(ratio),
                _seconds(median_cpu),
                "" if cpu_ratio is None else _times(cpu_ratio),
            )
        table.add_section()
    console.print(table)

    target = next(
        (row for row in rows if row["trials"] == TARGET_TRIALS and row["evaluator"] == OURS),
        None,
    )
    if target is None:
        console.print(f"Target (optuna / ours >= {TARGET_RATIO:g}x at 10,000 trials): not run.")
    else:
        met = "met" if target["optuna_over_this"] >= TARGET_RATIO else "NOT met"
        console.print(
            f"Target optuna / ours >= {TARGET_RATIO:g}x at 10,000 trials: "
            f"{_times(target['optuna_over_this'])}, {met}."
        )

    for n_trials, by_evaluator in importances.items():
        comparison = Table(title=f"Normalized importances, {n_trials:,} trials, same seed")
        comparison.add_column("parameter")
        for name in (OURS, OPTUNA, "|difference|"):
            comparison.add_column(name, justify="right")
        for param, ours in by_evaluator[OURS].items():
            theirs = by_evaluator[OPTUNA][param]
            comparison.add_row(param, f"{ours:.4f}", f"{theirs:.4f}", f"{abs(ours - theirs):.4f}")
        console.print(comparison)
        same = by_evaluator[OURS] == by_evaluator[OURS_ONE_THREAD]
        console.print(f"ours on all threads == ours on 1 thread (same seed): {same}")
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        metavar="N",
        help="trial counts of the mixed studies (default: 1000 10000)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help="calls of each evaluator per study (default: 9 up to 2,000 trials, 5 above)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of studies and forests")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}.")
    if args.sizes is not None and any(size < 2 for size in args.sizes):
        parser.error(f"--sizes must be at least 2 trials each, got {args.sizes}.")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    console = Console(width=shutil.get_terminal_size((120, 24)).columns)
    progress = Console(stderr=True)
    info = machine_info()

    # Imports and first-call costs (scikit-learn, the Rust thread pool) stay out of the times.
    warm_up = build_study(MIXED, 64, args.seed)
    for name in EVALUATORS:
        time_evaluator(warm_up, name, args.seed)

    results: dict[int, Times] = {}
    importances: dict[int, dict[str, dict[str, float]]] = {}
    for n_trials in args.sizes or DEFAULT_SIZES:
        results[n_trials], importances[n_trials] = run_case(n_trials, args, progress)

    rows = print_report(results, importances, info, console)
    summary = {
        "benchmark": "hpimportance-mdi",
        "machine": info,
        "args": vars(args),
        "results": rows,
        "importances": {str(n): by_evaluator for n, by_evaluator in importances.items()},
    }
    print(json.dumps(summary, allow_nan=False, default=str))


if __name__ == "__main__":
    main()

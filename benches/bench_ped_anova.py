"""Time hpimportance's PED-ANOVA against Optuna's, and against merely reading the study.

Runs, end to end through :func:`optuna.importance.get_param_importances` with default
settings and on the same in-memory studies (8 parameters: floats, log floats, integers, a log
integer, a categorical; built by ``bench_fanova.build_study``):

- ``hpimportance.PedAnovaImportanceEvaluator`` (this package),
- ``optuna.importance.PedAnovaImportanceEvaluator`` (Optuna 5.0's, the default evaluator),
- *reading*: the time it takes merely to read the trials' parameters into arrays, defined as
  ``study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))`` followed, for each
  parameter of the search space, by ``np.asarray([trial.params[name] for trial in trials],
  dtype=np.float64)`` (a categorical's values replaced by their choice index through a
  ``{choice: index}`` dict first). Any evaluator has to do at least this much.

It prints a table of median wall-clock times with the ratios Optuna / ours and ours / reading,
the issue's targets with whether each is met, the largest relative difference between the two
evaluators' importances, and last one line of JSON with every number. Runs alternate between
the timed functions, so that a busy spell of the machine hits them alike. A study of 1,000,000
trials is then built and evaluated by ours alone in a child process, which reports its time,
the reading time and its peak resident memory (Optuna's evaluator would take minutes there).
Run it from the repository root::

    python benches/bench_ped_anova.py              # 1k, 10k, 100k, then 1M (~10 minutes)
    python benches/bench_ped_anova.py --quick      # 1k and 10k only
    python benches/bench_ped_anova.py --sizes 1000 100000 --no-million

This is a benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any
from typing import TYPE_CHECKING
import warnings

from bench_fanova import _max_rss_kib
from bench_fanova import _mixed_trials
from bench_fanova import _reset_peak_resident
from bench_fanova import _resident_kib
from bench_fanova import _seconds
from bench_fanova import _times
from bench_fanova import build_study
from bench_fanova import MIXED
import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState
from rich.console import Console
from rich.table import Table


if TYPE_CHECKING:
    from collections.abc import Callable


OURS = "hpimportance"
OPTUNA = "optuna"
READING = "reading"

DEFAULT_SIZES = (1_000, 10_000, 100_000)
MILLION = 1_000_000
# Trials handed to add_trials at once while building the large study: the templates of one
# batch are freed before the next is made.
BUILD_BATCH = 20_000

# The targets: (label, kind, trials, threshold).
TARGETS = (
    ("Optuna / ours >= 5x at 100,000 trials", "speedup", 100_000, 5.0),
    ("ours / reading <= 1.5x at 100,000 trials", "reading", 100_000, 1.5),
    ("1,000,000 trials evaluated (peak memory < 24 GB)", "million", MILLION, 24 * 1024.0),
)


def read_parameters(study: optuna.Study) -> dict[str, np.ndarray]:
    """Reading the trials' parameters into arrays, the floor any evaluator stands on.

    One float array per parameter of the (fixed) search space, from ``trial.params``; a
    categorical's values become choice indices.
    """
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    columns = {}
    for name, distribution in trials[-1].distributions.items():
        values = [trial.params[name] for trial in trials]
        if isinstance(distribution, CategoricalDistribution):
            index = {choice: i for i, choice in enumerate(distribution.choices)}
            values = [index[value] for value in values]
        columns[name] = np.asarray(values, dtype=np.float64)
    return columns


def importances(study: optuna.Study, name: str) -> dict[str, float]:
    """``get_param_importances`` with evaluator ``name`` at its default settings."""
    if name == OURS:
        from hpimportance import PedAnovaImportanceEvaluator

        evaluator: optuna.importance.BaseImportanceEvaluator = PedAnovaImportanceEvaluator()
    else:
        evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    return optuna.importance.get_param_importances(study, evaluator=evaluator)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def build_large_study(n_trials: int, seed: int) -> optuna.Study:
    """The study ``build_study(MIXED, n_trials, seed)`` builds, added in batches so that the
    templates of only one batch are alive at a time (each trial is still deep-copied into the
    storage, with its own distribution objects, as in a real study)."""
    distributions, columns, values = _mixed_trials(n_trials, seed)
    names = list(distributions)
    study = optuna.create_study(study_name=f"{MIXED}-{n_trials}")
    for start in range(0, n_trials, BUILD_BATCH):
        stop = min(start + BUILD_BATCH, n_trials)
        study.add_trials(
            [
                optuna.trial.create_trial(
                    params={name: columns[j][i] for j, name in enumerate(names)},
                    distributions=distributions,
                    value=values[i],
                )
                for i in range(start, stop)
            ]
        )
    return study


def child_million(n_trials: int, seed: int, repeats: int) -> dict[str, Any]:
    """Run in a child process: build a large study, then time reading and ours, and measure
    the memory of our calls on top of the built study."""
    build_seconds, study = timed(lambda: build_large_study(n_trials, seed))
    importances(study, OURS)  # First-call costs stay out of the times.
    rss_kib = _resident_kib("VmRSS")
    build_peak_kib = _resident_kib("VmHWM")
    reset = rss_kib is not None and _reset_peak_resident()

    ours, reading = [], []
    for _ in range(repeats):
        reading.append(timed(lambda: read_parameters(study))[0])
        ours.append(timed(lambda: importances(study, OURS))[0])

    peak_kib = _resident_kib("VmHWM") if reset else None
    if peak_kib is None:
        peak_kib = _max_rss_kib(resource.RUSAGE_SELF)
    before_kib = rss_kib if rss_kib is not None and reset else peak_kib
    return {
        "trials": n_trials,
        "build_s": build_seconds,
        "ours_s": ours,
        "reading_s": reading,
        "rss_before_mib": before_kib / 1024,
        "peak_mib": peak_kib / 1024,
        "extra_mib": max(peak_kib - before_kib, 0) / 1024,
        "build_peak_mib": None if build_peak_kib is None else build_peak_kib / 1024,
        "memory_method": "VmHWM reset before the calls" if reset else "ru_maxrss",
    }


class Benchmark:
    """Collects the measurements of one run and prints progress as they come."""

    def __init__(self, args: argparse.Namespace, progress: Console) -> None:
        self.args = args
        self.progress = progress
        self.times: dict[int, dict[str, list[float]]] = {}
        self.differences: dict[int, float] = {}
        self.million: dict[str, Any] | None = None
        self.million_failure = ""

    def median(self, n_trials: int, name: str) -> float | None:
        times = self.times.get(n_trials, {}).get(name)
        return statistics.median(times) if times else None

    def ratio(self, n_trials: int, numerator: str, denominator: str) -> float | None:
        top, bottom = self.median(n_trials, numerator), self.median(n_trials, denominator)
        if top is None or bottom is None or bottom <= 0:
            return None
        return top / bottom

    def repeats(self, n_trials: int) -> tuple[int, int]:
        """Runs of (ours and reading, Optuna's) at this size."""
        if self.args.repeats is not None:
            return self.args.repeats, min(self.args.repeats, 3)
        if n_trials <= 2_000:
            return 21, 5
        return (11, 3) if n_trials <= 20_000 else (7, 1)

    def run_size(self, n_trials: int) -> None:
        self.progress.log(f"building a study of {n_trials:,} trials")
        study = build_study(MIXED, n_trials, self.args.seed)
        times: dict[str, list[float]] = {OURS: [], READING: [], OPTUNA: []}
        ours_runs, optuna_runs = self.repeats(n_trials)
        ours_result: dict[str, float] = {}
        for run in range(ours_runs):
            times[READING].append(timed(lambda: read_parameters(study))[0])
            seconds, ours_result = timed(lambda: importances(study, OURS))
            times[OURS].append(seconds)
            if run < optuna_runs and not self.args.skip_optuna:
                seconds, optuna_result = timed(lambda: importances(study, OPTUNA))
                times[OPTUNA].append(seconds)
                self.differences[n_trials] = max(
                    abs(ours_result[k] - v) / abs(v) if v else abs(ours_result[k])
                    for k, v in optuna_result.items()
                )
        self.times[n_trials] = times
        parts = [f"{name} {_seconds(self.median(n_trials, name))}" for name in times]
        self.progress.log(f"{n_trials:,} trials: " + ", ".join(parts))

    def run_million(self) -> None:
        self.progress.log(f"building and evaluating {MILLION:,} trials in a child process")
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--child-million",
            str(MILLION),
            str(self.args.seed),
            str(self.args.million_repeats),
        ]
        completed = subprocess.run(command, check=False, capture_output=True, text=True)
        if completed.returncode != 0:
            lines = completed.stderr.strip().splitlines() or [f"status {completed.returncode}"]
            self.million_failure = f"failed: {lines[-1][:80]}"
            self.progress.log(f"{MILLION:,} trials: {self.million_failure}")
            return
        self.million = json.loads(completed.stdout.strip().splitlines()[-1])
        self.times[MILLION] = {
            OURS: self.million["ours_s"],
            READING: self.million["reading_s"],
            OPTUNA: [],
        }
        self.progress.log(
            f"{MILLION:,} trials: ours {_seconds(self.median(MILLION, OURS))}, reading "
            f"{_seconds(self.median(MILLION, READING))}, peak {self.million['peak_mib']:,.0f} MiB"
        )

    def targets(self) -> list[dict[str, Any]]:
        results = []
        for label, kind, n_trials, threshold in TARGETS:
            value: float | None
            if kind == "speedup":
                value = self.ratio(n_trials, OPTUNA, OURS)
                met = None if value is None else value >= threshold
                shown = "not measured" if value is None else _times(value)
            elif kind == "reading":
                value = self.ratio(n_trials, OURS, READING)
                met = None if value is None else value <= threshold
                shown = "not measured" if value is None else f"{value:.2f}x"
            else:
                value = None if self.million is None else self.million["peak_mib"]
                met = None if value is None else value < threshold
                if value is None:
                    shown = self.million_failure or "not run"
                else:
                    shown = f"{_seconds(self.median(MILLION, OURS))}, peak {value:,.0f} MiB"
            results.append({"target": label, "value": value, "shown": shown, "met": met})
        return results


def machine_info() -> dict[str, Any]:
    import hpimportance

    try:
        usable_cores: int | None = len(os.sched_getaffinity(0))
    except AttributeError:
        usable_cores = os.cpu_count()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "usable_cores": usable_cores,
        "hpimportance": hpimportance.__version__,
        "optuna": optuna.__version__,
        "numpy": np.__version__,
    }


def print_report(bench: Benchmark, info: dict[str, Any], console: Console) -> None:
    console.print(
        f"Python {info['python']} on {info['platform']}, {info['cpu_count']} CPUs "
        f"({info['usable_cores']} usable). hpimportance {info['hpimportance']}, optuna "
        f"{info['optuna']}, numpy {info['numpy']}."
    )
    console.print(
        "PED-ANOVA at default settings; times are wall-clock seconds of get_param_importances "
        "(or of reading) on a study built once per size; runs alternate between the three."
    )
    table = Table(title="PED-ANOVA importance, median wall-clock time")
    for header in ("trials", "what", "runs", "median", "min - max", "Optuna / ours"):
        table.add_column(header, justify="left" if header == "what" else "right")
    table.add_column("ours / reading", justify="right")
    table.add_column("note")
    labels = {OURS: "hpimportance", OPTUNA: "Optuna 5.0", READING: "reading the parameters"}
    for n_trials, times in bench.times.items():
        for name in (OURS, OPTUNA, READING):
            runs = times[name]
            note = ""
            if not runs and name == OPTUNA:
                note = "skipped: --skip-optuna" if bench.args.skip_optuna else "not run: minutes"
            speedup = bench.ratio(n_trials, OPTUNA, OURS) if name == OPTUNA else None
            versus_reading = bench.ratio(n_trials, OURS, READING) if name == OURS else None
            table.add_row(
                f"{n_trials:,}",
                labels[name],
                str(len(runs)),
                _seconds(statistics.median(runs)) if runs else "-",
                f"{_seconds(min(runs))} - {_seconds(max(runs))}" if runs else "",
                "" if speedup is None else _times(speedup),
                "" if versus_reading is None else f"{versus_reading:.2f}x",
                note,
            )
        table.add_section()
    console.print(table)
    if bench.million is not None:
        million = bench.million
        console.print(
            f"{MILLION:,} trials (child process): built in {million['build_s']:.0f} s; resident "
            f"{million['rss_before_mib']:,.0f} MiB with the study, peak "
            f"{million['peak_mib']:,.0f} MiB during our calls ({million['extra_mib']:,.0f} MiB "
            f"more; {million['memory_method']})."
        )
    for n_trials, difference in bench.differences.items():
        console.print(
            f"{n_trials:,} trials: largest relative difference between the normalized "
            f"importances of ours and Optuna's: {difference:.1e}"
        )

    targets = Table(title="The issue's targets")
    targets.add_column("target")
    targets.add_column("measured", justify="right")
    targets.add_column("met")
    for target in bench.targets():
        met = {True: "[green]yes[/green]", False: "[red]NO[/red]", None: "-"}[target["met"]]
        targets.add_row(target["target"], target["shown"], met)
    console.print(targets)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 trials only")
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        metavar="N",
        help="trial counts of the side-by-side studies (default: 1000 10000 100000)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="runs of ours and of reading per size (default: 21 at 1,000, 11 at 10,000, 7 "
        "above; Optuna's runs 5, 3 and 1 times)",
    )
    parser.add_argument("--skip-optuna", action="store_true", help="do not run Optuna's")
    parser.add_argument(
        "--no-million", action="store_true", help="skip the 1,000,000-trial study (~5 minutes)"
    )
    parser.add_argument(
        "--million-repeats",
        type=int,
        default=3,
        metavar="N",
        help="runs of ours at 1,000,000 trials (default: 3)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the studies")
    parser.add_argument("--child-million", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}.")
    if args.million_repeats < 1:
        parser.error(f"--million-repeats must be at least 1, got {args.million_repeats}.")
    if args.sizes is not None and any(size < 2 for size in args.sizes):
        parser.error(f"--sizes must be at least 2 trials each, got {args.sizes}.")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    if args.child_million is not None:
        n_trials, seed, repeats = (int(value) for value in args.child_million)
        print(json.dumps(child_million(n_trials, seed, repeats)))
        return

    sizes = args.sizes or ([1_000, 10_000] if args.quick else list(DEFAULT_SIZES))
    console = Console(width=shutil.get_terminal_size((160, 24)).columns)
    progress = Console(stderr=True)
    info = machine_info()
    bench = Benchmark(args, progress)

    warm_up = build_study(MIXED, 64, args.seed)
    for name in (OURS, OPTUNA):
        importances(warm_up, name)
    for n_trials in sizes:
        bench.run_size(n_trials)
    if not (args.quick or args.no_million):
        bench.run_million()

    print_report(bench, info, console)
    summary = {
        "benchmark": "hpimportance-ped-anova",
        "machine": info,
        "args": {key: value for key, value in vars(args).items() if not key.startswith("child")},
        "times_s": {str(n): times for n, times in bench.times.items()},
        "medians_s": {
            str(n): {name: bench.median(n, name) for name in times}
            for n, times in bench.times.items()
        },
        "million": bench.million,
        "targets": bench.targets(),
        "max_relative_difference": {str(n): d for n, d in bench.differences.items()},
    }
    print(json.dumps(summary, allow_nan=False, default=str))


if __name__ == "__main__":
    main()

"""Time hpimportance's fANOVA against the evaluators users would otherwise pick.

Runs, end to end through :func:`optuna.importance.get_param_importances` and on the same
studies:

- ``hpimportance.FanovaImportanceEvaluator`` (this package, every core, and one thread),
- ``optuna_fast_fanova.FanovaImportanceEvaluator`` (optuna-fast-fanova, Cython),
- ``optuna.importance.FanovaImportanceEvaluator`` (Optuna's own, pure Python over scikit-learn).

It prints a table of median wall-clock times with the ratios rival/ours, the issue's targets
with whether each is met, the importances of the evaluators side by side at the smallest study,
and last one line of JSON with every number. Run it from the repository root::

    python benches/bench_fanova.py            # 1,000, 10,000 and 100,000 trials; ~5 minutes
    python benches/bench_fanova.py --quick    # 1,000 trials and the 40-choice study only
    python benches/bench_fanova.py --sizes 1000 10000 --repeats 3 --skip-optuna

Memory is measured in a child process per study, because the forest lives in Rust where
``tracemalloc`` does not see it: the child imports everything, builds the study, then resets its
peak resident set size (``/proc/self/clear_refs``) and calls the evaluator once. The figure
reported is that peak minus the resident set size just before the call, so it is the memory the
evaluation itself adds (Optuna's trials already in memory are not counted). ``ru_maxrss`` of the
child (``RUSAGE_CHILDREN`` in the parent) would not do: it holds the peak of building the study,
and on Linux it survives ``exec``, so it starts at the parent's own peak at the time of the fork.
It is only the fallback where the peak cannot be reset.

``benches/profile_fanova.py`` splits our time into its steps. This is a benchmark, not a test:
it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
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

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from rich.console import Console
from rich.table import Table


if TYPE_CHECKING:
    from collections.abc import Callable

    from optuna.importance import BaseImportanceEvaluator


OURS = "hpimportance"
OURS_ONE_THREAD = "hpimportance, 1 thread"
FAST_FANOVA = "optuna-fast-fanova"
OPTUNA = "optuna"

MIXED = "mixed"
CATEGORICAL = "categorical40"
CATEGORICAL_TRIALS = 200

DEFAULT_SIZES = (1_000, 10_000, 100_000)

# Beyond these sizes a rival is not run by default, and this is the note the table shows.
FAST_FANOVA_MAX_TRIALS = 10_000
FAST_FANOVA_SKIPPED = "skipped: would take ~half an hour (superlinear in trials)"
# fast-fanova runs 5 times where one run takes less than this, once otherwise.
FAST_FANOVA_REPEAT_UNDER_S = 20.0
OPTUNA_MAX_TRIALS = 1_000
OPTUNA_SKIPPED = "skipped: ~1 min at 1,000 trials already, and superlinear"
GRID_SKIPPED = "skipped: --rival-timeout 0"
# The rivals one-hot encode a categorical and walk a grid of up to 2^40 cells per tree on the
# 40-choice study, so they run there in a child process, stopped after --rival-timeout seconds
# and kept under this much address space (one asks numpy for 64 GiB at once).
RIVAL_ADDRESS_SPACE = 16 * 2**30

# The targets: (label, kind, case, threshold).
TARGETS = (
    ("fast-fanova / ours >= 50x at 1,000 trials", "ratio", (MIXED, 1_000), 50.0),
    ("fast-fanova / ours >= 200x at 10,000 trials", "ratio", (MIXED, 10_000), 200.0),
    ("ours < 10 s at 100,000 trials", "seconds", (MIXED, 100_000), 10.0),
    ("ours < 1 GB extra memory at 100,000 trials", "memory", (MIXED, 100_000), 1024.0),
    ("ours < 1 s, 40-choice categorical at 200 trials", "seconds", (CATEGORICAL, 200), 1.0),
)


def build_study(kind: str, n_trials: int, seed: int) -> optuna.Study:
    """An in-memory study of ``n_trials`` completed trials, sampled with numpy."""
    if kind == MIXED:
        distributions, columns, values = _mixed_trials(n_trials, seed)
    elif kind == CATEGORICAL:
        distributions, columns, values = _categorical_trials(n_trials, seed)
    else:
        raise ValueError(f"Unknown study kind {kind!r}.")

    names = list(distributions)
    trials = [
        optuna.trial.create_trial(
            params=dict(zip(names, row)), distributions=distributions, value=value
        )
        for row, value in zip(zip(*columns), values)
    ]
    study = optuna.create_study(study_name=f"{kind}-{n_trials}")
    study.add_trials(trials)
    return study


def _mixed_trials(n_trials: int, seed: int) -> tuple[dict[str, Any], list[list[Any]], list[float]]:
    # Eight parameters of every kind, all but one (`dropout`) moving the objective.
    rng = np.random.default_rng(seed)
    optimizers = ["sgd", "momentum", "adam", "rmsprop"]
    distributions = {
        "x": FloatDistribution(-5.0, 5.0),
        "y": FloatDistribution(-5.0, 5.0),
        "dropout": FloatDistribution(0.0, 0.5),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "weight_decay": FloatDistribution(1e-6, 1e-2, log=True),
        "n_layers": IntDistribution(1, 8),
        "batch_size": IntDistribution(16, 512, log=True),
        "optimizer": CategoricalDistribution(optimizers),
    }

    x = rng.uniform(-5.0, 5.0, n_trials)
    y = rng.uniform(-5.0, 5.0, n_trials)
    dropout = rng.uniform(0.0, 0.5, n_trials)
    log_lr = rng.uniform(math.log10(1e-5), math.log10(1e-1), n_trials)
    log_wd = rng.uniform(math.log10(1e-6), math.log10(1e-2), n_trials)
    n_layers = rng.integers(1, 9, n_trials)
    batch_size = np.clip(
        np.rint(np.exp(rng.uniform(math.log(16), math.log(512), n_trials))), 16, 512
    ).astype(np.int64)
    optimizer = rng.integers(0, len(optimizers), n_trials)

    objective = (
        (x - 1.0) ** 2
        + 4.0 * np.sin(y)
        + 3.0 * (log_lr + 3.0) ** 2
        + 0.5 * (log_wd + 4.0)
        + 0.8 * np.abs(n_layers - 4)
        + 0.3 * np.log2(batch_size)
        + np.array([2.0, 1.0, 0.0, 0.5])[optimizer]
        + 0.3 * x * y
        + rng.normal(0.0, 0.5, n_trials)
    )
    columns = [
        x.tolist(),
        y.tolist(),
        dropout.tolist(),
        (10.0**log_lr).tolist(),
        (10.0**log_wd).tolist(),
        n_layers.tolist(),
        batch_size.tolist(),
        [optimizers[i] for i in optimizer],
    ]
    return distributions, columns, objective.tolist()


def _categorical_trials(
    n_trials: int, seed: int
) -> tuple[dict[str, Any], list[list[Any]], list[float]]:
    # One categorical of 40 choices with its own effect per choice, and two floats.
    rng = np.random.default_rng(seed)
    choices = [f"c{i:02d}" for i in range(40)]
    distributions = {
        "choice": CategoricalDistribution(choices),
        "x": FloatDistribution(0.0, 1.0),
        "y": FloatDistribution(0.0, 1.0),
    }

    choice = rng.integers(0, len(choices), n_trials)
    x = rng.uniform(0.0, 1.0, n_trials)
    y = rng.uniform(0.0, 1.0, n_trials)
    effects = rng.normal(0.0, 1.0, len(choices))
    objective = effects[choice] + 2.0 * x**2 + 0.5 * y + rng.normal(0.0, 0.1, n_trials)
    columns = [[choices[i] for i in choice], x.tolist(), y.tolist()]
    return distributions, columns, objective.tolist()


def make_evaluator(name: str, seed: int) -> BaseImportanceEvaluator:
    evaluator: BaseImportanceEvaluator
    if name in (OURS, OURS_ONE_THREAD):
        from hpimportance import FanovaImportanceEvaluator

        n_threads = 1 if name == OURS_ONE_THREAD else None
        evaluator = FanovaImportanceEvaluator(seed=seed, n_threads=n_threads)
        return evaluator
    if name == FAST_FANOVA:
        from optuna_fast_fanova import FanovaImportanceEvaluator as FastFanovaImportanceEvaluator

        evaluator = FastFanovaImportanceEvaluator(seed=seed)
        return evaluator
    if name == OPTUNA:
        return optuna.importance.FanovaImportanceEvaluator(seed=seed)
    raise ValueError(f"Unknown evaluator {name!r}.")


def time_evaluator(study: optuna.Study, name: str, seed: int) -> tuple[float, dict[str, float]]:
    """Seconds of one ``get_param_importances`` call, and the normalized importances."""
    evaluator = make_evaluator(name, seed)
    start = time.perf_counter()
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    return time.perf_counter() - start, importances


def _resident_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_resident() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _max_rss_kib(who: int) -> int:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    max_rss = resource.getrusage(who).ru_maxrss
    return max_rss // 1024 if sys.platform == "darwin" else max_rss


def child_memory(kind: str, n_trials: int, seed: int) -> dict[str, Any]:
    """Run in a child process: the memory one call of ours adds on top of the built study."""
    study = build_study(kind, n_trials, seed)
    make_evaluator(OURS, seed)
    build_peak_kib = _resident_kib("VmHWM")
    rss_kib = _resident_kib("VmRSS")
    reset = rss_kib is not None and _reset_peak_resident()
    before_kib = rss_kib if rss_kib is not None and reset else _max_rss_kib(resource.RUSAGE_SELF)

    seconds, _ = time_evaluator(study, OURS, seed)

    peak_kib = _resident_kib("VmHWM") if reset else None
    if peak_kib is None:
        peak_kib = _max_rss_kib(resource.RUSAGE_SELF)
    return {
        "method": "VmHWM reset before the call" if reset else "ru_maxrss (includes the build)",
        "rss_before_mib": before_kib / 1024,
        "peak_mib": peak_kib / 1024,
        "extra_mib": max(peak_kib - before_kib, 0) / 1024,
        "build_peak_mib": None if build_peak_kib is None else build_peak_kib / 1024,
        "seconds": seconds,
    }


def child_time(kind: str, n_trials: int, seed: int, name: str) -> dict[str, Any]:
    """Run in a child process, so that the parent can stop a rival that takes too long."""
    study = build_study(kind, n_trials, seed)
    seconds, importances = time_evaluator(study, name, seed)
    return {"seconds": seconds, "importances": importances}


def _limit_address_space() -> None:
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = RIVAL_ADDRESS_SPACE
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_child(
    arguments: list[str], timeout: float | None = None, limit_memory: bool = False
) -> tuple[dict[str, Any] | None, str]:
    """Run this script with ``arguments``; its JSON answer, or why there is none."""
    command = [sys.executable, os.path.abspath(__file__), *arguments]
    try:
        completed = subprocess.run(
            command,
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_limit_address_space if limit_memory else None,
        )
    except subprocess.TimeoutExpired:
        return None, f"stopped after {timeout:g} s"
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or [f"exit status {completed.returncode}"]
        error, _, message = lines[-1].partition(": ")
        if len(message) > 40:
            message = message[:40] + "..."
        return None, f"failed: {error.rsplit('.', 1)[-1]}: {message}".rstrip(": ")
    return json.loads(completed.stdout.strip().splitlines()[-1]), ""


class Benchmark:
    """Collects the measurements of one run and prints progress as they come."""

    def __init__(self, args: argparse.Namespace, progress: Console) -> None:
        self.args = args
        self.progress = progress
        self.rows: list[dict[str, Any]] = []
        self.memory: dict[tuple[str, int], dict[str, Any]] = {}
        self.importances: dict[tuple[str, int], dict[str, dict[str, float]]] = {}

    def record(
        self,
        case: tuple[str, int],
        name: str,
        times: list[float],
        note: str = "",
        timed_out_after: float | None = None,
    ) -> None:
        row: dict[str, Any] = {
            "study": case[0],
            "trials": case[1],
            "evaluator": name,
            "runs": len(times),
            "median_s": statistics.median(times) if times else None,
            "min_s": min(times) if times else None,
            "max_s": max(times) if times else None,
            "times_s": times,
            "timed_out_after_s": timed_out_after,
            "note": note,
        }
        self.rows.append(row)
        if times:
            self.progress.log(f"{case[0]} {case[1]:,}: {name} {_seconds(row['median_s'])}")
        else:
            self.progress.log(f"{case[0]} {case[1]:,}: {name} {note}")

    def median(self, case: tuple[str, int], name: str) -> float | None:
        for row in self.rows:
            if (row["study"], row["trials"]) == case and row["evaluator"] == name:
                median: float | None = row["median_s"]
                return median
        return None

    def repeat(
        self, study: optuna.Study, case: tuple[str, int], name: str, repeats: int
    ) -> list[float]:
        times = []
        for _ in range(repeats):
            seconds, importances = time_evaluator(study, name, self.args.seed)
            times.append(seconds)
            self.importances.setdefault(case, {}).setdefault(name, importances)
        return times

    def repeats_of_ours(self, n_trials: int) -> int:
        # A call at 1,000 trials takes tens of milliseconds, where a busy machine's noise is
        # largest: more runs there keep the median steady.
        if self.args.repeats is not None:
            return int(self.args.repeats)
        if n_trials <= 2_000:
            return 15
        return 5 if n_trials <= 10_000 else 3

    def run_case(self, kind: str, n_trials: int) -> None:
        args = self.args
        case = (kind, n_trials)
        self.progress.log(f"building the {kind} study of {n_trials:,} trials")
        study = build_study(kind, n_trials, args.seed)

        self.record(case, OURS, self.repeat(study, case, OURS, self.repeats_of_ours(n_trials)))
        if n_trials <= 10_000:
            repeats = min(self.repeats_of_ours(n_trials), 5)
            self.record(case, OURS_ONE_THREAD, self.repeat(study, case, OURS_ONE_THREAD, repeats))

        memory, failure = run_child(["--child-memory", kind, str(n_trials), str(args.seed)])
        if memory is None:
            self.progress.log(f"{kind} {n_trials:,}: memory not measured, {failure}")
        else:
            self.memory[case] = memory
            self.progress.log(
                f"{kind} {n_trials:,}: ours adds {memory['extra_mib']:.0f} MiB at peak"
            )

        for name, max_trials, skipped in (
            (FAST_FANOVA, FAST_FANOVA_MAX_TRIALS, FAST_FANOVA_SKIPPED),
            (OPTUNA, OPTUNA_MAX_TRIALS, OPTUNA_SKIPPED),
        ):
            if name == OPTUNA and args.skip_optuna:
                self.record(case, name, [], "skipped: --skip-optuna")
            elif kind == CATEGORICAL:
                self.run_rival_with_timeout(case, name)
            elif n_trials > max_trials:
                self.record(case, name, [], skipped)
            else:
                times = self.repeat(study, case, name, 1)
                if name == FAST_FANOVA and times[0] < FAST_FANOVA_REPEAT_UNDER_S:
                    times += self.repeat(study, case, name, 4)
                self.record(case, name, times)

    def run_rival_with_timeout(self, case: tuple[str, int], name: str) -> None:
        timeout = self.args.rival_timeout
        if timeout <= 0:
            self.record(case, name, [], GRID_SKIPPED)
            return
        answer, failure = run_child(
            ["--child-time", case[0], str(case[1]), str(self.args.seed), name],
            timeout=timeout,
            limit_memory=True,
        )
        if answer is None:
            timed_out = timeout if failure.startswith("stopped") else None
            self.record(case, name, [], failure, timed_out_after=timed_out)
        else:
            self.importances.setdefault(case, {})[name] = answer["importances"]
            self.record(case, name, [answer["seconds"]], "run in a child process")

    def warm_up(self) -> None:
        # Imports and first-call costs (scikit-learn, the Rust thread pool) stay out of the times.
        study = build_study(MIXED, 64, self.args.seed)
        for name in (OURS, OURS_ONE_THREAD, FAST_FANOVA, OPTUNA):
            if name != OPTUNA or not self.args.skip_optuna:
                time_evaluator(study, name, self.args.seed)

    def ratio(self, case: tuple[str, int], rival: str, ours: str = OURS) -> float | None:
        rival_s = self.median(case, rival)
        ours_s = self.median(case, ours)
        if rival_s is None or ours_s is None or ours_s <= 0:
            return None
        return rival_s / ours_s

    def targets(self) -> list[dict[str, Any]]:
        results = []
        for label, kind, case, threshold in TARGETS:
            if kind == "ratio":
                value = self.ratio(case, FAST_FANOVA)
                met = None if value is None else value >= threshold
                shown = "not measured" if value is None else _times(value)
                if value is not None:
                    one_thread = self.ratio(case, FAST_FANOVA, OURS_ONE_THREAD)
                    if one_thread is not None:
                        shown += f" ({_times(one_thread)} on 1 thread)"
            elif kind == "seconds":
                value = self.median(case, OURS)
                met = None if value is None else value < threshold
                shown = "not measured" if value is None else _seconds(value)
            else:
                memory = self.memory.get(case)
                value = None if memory is None else memory["extra_mib"]
                met = None if value is None else value < threshold
                shown = "not measured" if value is None else f"{value:,.0f} MiB"
            results.append({"target": label, "value": value, "shown": shown, "met": met})
        return results


def _ratio_cell(bench: Benchmark, case: tuple[str, int], row: dict[str, Any], ours: str) -> str:
    ours_s = bench.median(case, ours)
    if ours_s is None or ours_s <= 0:
        return ""
    if row["timed_out_after_s"] is not None:
        return f"> {row['timed_out_after_s'] / ours_s:,.0f}x"
    if row["median_s"] is None:
        return ""
    return _times(row["median_s"] / ours_s)


def _times(ratio: float) -> str:
    # One decimal near the targets (50x), so that 49.6x does not print as a met "50x".
    return f"{ratio:,.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def _seconds(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value < 1.0:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def machine_info() -> dict[str, Any]:
    import sklearn

    import hpimportance

    usable_cores: int | None
    try:
        usable_cores = len(os.sched_getaffinity(0))
    except AttributeError:
        usable_cores = os.cpu_count()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "usable_cores": usable_cores,
        "ours_threads": usable_cores,
        "hpimportance": hpimportance.__version__,
        "optuna": optuna.__version__,
        "optuna_fast_fanova": importlib.metadata.version("optuna-fast-fanova"),
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
    }


def print_report(bench: Benchmark, info: dict[str, Any], console: Console) -> None:
    console.print(
        f"Python {info['python']} on {info['platform']}, {info['cpu_count']} CPUs "
        f"({info['usable_cores']} usable). Ours runs on {info['ours_threads']} threads unless "
        f"marked 1 thread. hpimportance {info['hpimportance']}, optuna {info['optuna']}, "
        f"optuna-fast-fanova {info['optuna_fast_fanova']}, scikit-learn {info['scikit_learn']}."
    )
    console.print(
        "All evaluators: n_trees=64, max_depth=64, seed fixed; times are wall-clock seconds of "
        "get_param_importances on a study built once per row group."
    )

    table = Table(title="fANOVA importance, median wall-clock time")
    table.add_column("study")
    for header in ("trials", "evaluator", "runs", "median", "min - max", "rival / ours"):
        table.add_column(header, justify="left" if header == "evaluator" else "right")
    table.add_column("rival / ours\n1 thread", justify="right")
    table.add_column("ours' extra\npeak memory", justify="right")
    table.add_column("note")
    previous_case = None
    for row in bench.rows:
        case = (row["study"], row["trials"])
        if previous_case is not None and case != previous_case:
            table.add_section()
        previous_case = case

        if row["runs"]:
            median = _seconds(row["median_s"])
            spread = f"{_seconds(row['min_s'])} - {_seconds(row['max_s'])}"
        elif row["timed_out_after_s"] is not None:
            median, spread = f"> {row['timed_out_after_s']:g} s", ""
        else:
            median, spread = "-", ""
        ratios = ["", ""]
        if row["evaluator"] in (FAST_FANOVA, OPTUNA):
            for column, ours in enumerate((OURS, OURS_ONE_THREAD)):
                ratios[column] = _ratio_cell(bench, case, row, ours)
        memory = bench.memory.get(case)
        extra_memory = ""
        if row["evaluator"] == OURS and memory is not None:
            extra_memory = f"{memory['extra_mib']:,.1f} MiB"
        table.add_row(
            row["study"],
            f"{row['trials']:,}",
            row["evaluator"],
            str(row["runs"]),
            median,
            spread,
            *ratios,
            extra_memory,
            row["note"],
        )
    console.print(table)
    console.print(
        "Extra peak memory: peak resident set size of a child process during one call of ours, "
        "minus its resident set size just before (with the study already built)."
    )

    targets = Table(title="The issue's targets")
    targets.add_column("target")
    targets.add_column("measured", justify="right")
    targets.add_column("met")
    for target in bench.targets():
        met = {True: "[green]yes[/green]", False: "[red]NO[/red]", None: "-"}[target["met"]]
        targets.add_row(target["target"], target["shown"], met)
    console.print(targets)

    for case, by_evaluator in bench.importances.items():
        if FAST_FANOVA in by_evaluator or OPTUNA in by_evaluator:
            print_importances(case, by_evaluator, console)
            break


def print_importances(
    case: tuple[str, int], by_evaluator: dict[str, dict[str, float]], console: Console
) -> None:
    names = [name for name in (OURS, FAST_FANOVA, OPTUNA) if name in by_evaluator]
    table = Table(title=f"Normalized importances, {case[0]} study of {case[1]:,} trials")
    table.add_column("parameter")
    for name in names:
        table.add_column(name, justify="right")
    for name in names[1:]:
        table.add_column(f"|ours - {name}|", justify="right")
    for param in by_evaluator[OURS]:
        cells = [f"{by_evaluator[name].get(param, float('nan')):.4f}" for name in names]
        for name in names[1:]:
            difference = abs(by_evaluator[OURS][param] - by_evaluator[name].get(param, math.nan))
            cells.append(f"{difference:.4f}")
        table.add_row(param, *cells)
    console.print(table)
    for name in names[1:]:
        console.print(f"max |ours - {name}| = {max_difference(by_evaluator, name):.4f}")

    single = by_evaluator.get(OURS_ONE_THREAD)
    if single is not None:
        console.print(
            f"ours on all threads == ours on 1 thread (same seed): {single == by_evaluator[OURS]}"
        )


def max_difference(by_evaluator: dict[str, dict[str, float]], name: str) -> float:
    ours = by_evaluator[OURS]
    return max(
        abs(value - by_evaluator[name].get(param, math.nan)) for param, value in ours.items()
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="only 1,000 trials and the 40-choice study"
    )
    parser.add_argument(
        "--skip-optuna", action="store_true", help="do not run Optuna's evaluator (30-60 s)"
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        metavar="N",
        help="trial counts of the mixed studies (default: 1000 10000 100000)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="runs of ours per study (default: 15 up to 2,000 trials, 5 up to 10,000, 3 above)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of studies and forests")
    parser.add_argument(
        "--rival-timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="stop the rivals on the 40-choice study after S seconds; 0 skips them (default: 60)",
    )
    parser.add_argument("--no-categorical", action="store_true", help="skip the 40-choice study")
    parser.add_argument("--child-memory", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-time", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}.")
    if args.sizes is not None and any(size < 2 for size in args.sizes):
        parser.error(f"--sizes must be at least 2 trials each, got {args.sizes}.")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Optuna's and fast-fanova's evaluators are experimental and say so on every call.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    children: dict[str, Callable[..., dict[str, Any]]] = {
        "child_memory": lambda kind, n, seed: child_memory(kind, int(n), int(seed)),
        "child_time": lambda kind, n, seed, name: child_time(kind, int(n), int(seed), name),
    }
    for attribute, child in children.items():
        child_args = getattr(args, attribute)
        if child_args is not None:
            print(json.dumps(child(*child_args)))
            return

    sizes = args.sizes or ([1_000] if args.quick else list(DEFAULT_SIZES))
    console = Console(width=shutil.get_terminal_size((160, 24)).columns)
    progress = Console(stderr=True)
    info = machine_info()
    bench = Benchmark(args, progress)

    bench.warm_up()
    for n_trials in sizes:
        bench.run_case(MIXED, n_trials)
    if not args.no_categorical:
        bench.run_case(CATEGORICAL, CATEGORICAL_TRIALS)

    print_report(bench, info, console)
    sanity = {
        f"{case[0]}-{case[1]}": {
            name: max_difference(by_evaluator, name)
            for name in (FAST_FANOVA, OPTUNA, OURS_ONE_THREAD)
            if name in by_evaluator
        }
        for case, by_evaluator in bench.importances.items()
    }
    summary = {
        "benchmark": "hpimportance-fanova",
        "machine": info,
        "args": {key: value for key, value in vars(args).items() if not key.startswith("child")},
        "results": bench.rows,
        "memory": {f"{case[0]}-{case[1]}": value for case, value in bench.memory.items()},
        "targets": bench.targets(),
        "max_abs_importance_difference": sanity,
    }
    print(json.dumps(summary, allow_nan=False, default=str))


if __name__ == "__main__":
    main()

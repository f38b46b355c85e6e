"""The ``hpimportance`` command: importances of a stored Optuna study, printed as a table."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING
import urllib.parse

from hpimportance import __version__


if TYPE_CHECKING:
    from collections.abc import Sequence

    from optuna.study import Study
    from optuna.trial import FrozenTrial


class CommandError(Exception):
    """A problem with what the user asked for, reported as one line without a traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpimportance",
        description=(
            "Compute hyperparameter importances of an Optuna study. STORAGE is a path to an "
            "SQLite file written by Optuna, or any Optuna storage URL "
            "(e.g. postgresql://user@host/db)."
        ),
    )
    parser.add_argument("storage", metavar="STORAGE", help="SQLite file or Optuna storage URL")
    parser.add_argument(
        "--study", metavar="NAME", help="study name (default: the only study in the storage)"
    )
    parser.add_argument(
        "--params", nargs="+", metavar="NAME", help="parameters to assess (default: all)"
    )
    parser.add_argument(
        "--objective",
        type=int,
        metavar="INDEX",
        help="which objective of a multi-objective study to analyse (0 for the first)",
    )
    parser.add_argument(
        "--evaluator", choices=["fanova"], default="fanova", help="importance method"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the forest (default: 0)")
    parser.add_argument("--n-trees", type=int, default=64, help="trees in the forest")
    parser.add_argument("--max-depth", type=int, default=64, help="maximum depth of a tree")
    parser.add_argument(
        "--threads", type=int, metavar="N", help="worker threads (default: all cores)"
    )
    parser.add_argument(
        "--log-scale",
        action="store_true",
        help="average log-scaled parameters over the log of their range (default: raw range)",
    )
    parser.add_argument(
        "--no-normalize", action="store_true", help="print raw importances, not shares of 1"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--version", action="version", version=f"hpimportance {__version__}")
    return parser


def _sqlite_read_only_url(path: str) -> str:
    """A URL that opens an existing SQLite file read-only (never creating or changing it)."""
    if not os.path.isfile(path):
        raise CommandError(
            f"no such file: {path!r}. Pass the path of an SQLite file written by Optuna, or a "
            "storage URL."
        )
    quoted = urllib.parse.quote(os.path.abspath(path))
    return f"sqlite:///file:{quoted}?mode=ro&uri=true"


def storage_url(storage: str) -> str:
    """The Optuna storage URL for a path or URL given on the command line."""
    if "://" not in storage:
        return _sqlite_read_only_url(storage)
    if storage.startswith("sqlite:///") and "?" not in storage:
        return _sqlite_read_only_url(storage[len("sqlite:///") :])
    return storage


def _load_study(args: argparse.Namespace) -> Study:
    import optuna

    url = storage_url(args.storage)
    try:
        names = optuna.get_all_study_names(storage=url)
    except Exception as error:  # SQLAlchemy and drivers raise many types; report any of them.
        raise CommandError(f"cannot read Optuna storage {args.storage!r}: {error}") from None

    if args.study is None:
        if not names:
            raise CommandError(f"{args.storage!r} holds no study.")
        if len(names) > 1:
            listed = ", ".join(repr(name) for name in names)
            raise CommandError(
                f"{args.storage!r} holds several studies ({listed}); pick one with --study."
            )
        name = names[0]
    elif args.study not in names:
        listed = ", ".join(repr(name) for name in names) or "none"
        raise CommandError(
            f"no study named {args.study!r} in {args.storage!r} (studies: {listed})."
        )
    else:
        name = args.study
    return optuna.load_study(study_name=name, storage=url)


def _importances(study: Study, args: argparse.Namespace) -> tuple[dict[str, float], int]:
    import optuna

    from hpimportance import FanovaImportanceEvaluator

    completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not completed:
        raise CommandError(
            f"study {study.study_name!r} has no completed trials, so there is nothing to analyse."
        )

    target = None
    n_objectives = len(study.directions)
    if args.objective is not None:
        if not 0 <= args.objective < n_objectives:
            raise CommandError(
                f"--objective must be in 0..{n_objectives - 1} for study {study.study_name!r}, "
                f"which has {n_objectives} objective(s); got {args.objective}."
            )
        index = args.objective

        def target(trial: FrozenTrial) -> float:
            return float(trial.values[index])

    elif n_objectives > 1:
        raise CommandError(
            f"study {study.study_name!r} has {n_objectives} objectives; choose one with "
            f"--objective INDEX (0..{n_objectives - 1})."
        )

    try:
        evaluator = FanovaImportanceEvaluator(
            n_trees=args.n_trees,
            max_depth=args.max_depth,
            seed=args.seed,
            n_threads=args.threads,
            log_scale=args.log_scale,
        )
        importances = optuna.importance.get_param_importances(
            study,
            evaluator=evaluator,
            params=args.params,
            target=target,
            normalize=not args.no_normalize,
        )
    except (TypeError, ValueError) as error:
        raise CommandError(str(error)) from None
    return importances, len(completed)


def _print_table(
    study: Study, importances: dict[str, float], n_trials: int, args: argparse.Namespace
) -> None:
    from rich.console import Console
    from rich.table import Table

    objective = "" if args.objective is None else f", objective {args.objective}"
    table = Table(title=f"{study.study_name}: {n_trials} trials{objective}, {args.evaluator}")
    table.add_column("parameter")
    table.add_column("importance", justify="right")
    table.add_column("", no_wrap=True)
    largest = max(importances.values(), default=0.0) or 1.0
    for name, importance in importances.items():
        bar = "█" * round(30 * importance / largest)
        table.add_row(name, f"{importance:.4f}", bar)
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line tool; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    for option, value in (("--n-trees", args.n_trees), ("--max-depth", args.max_depth)):
        if value < 1:
            parser.error(f"{option} must be at least 1, got {value}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.seed < 0:
        parser.error(f"--seed must be non-negative, got {args.seed}")

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = _load_study(args)
        importances, n_trials = _importances(study, args)
    except CommandError as error:
        print(f"hpimportance: error: {error}", file=sys.stderr)
        return 1

    if args.json:
        report = {
            "study": study.study_name,
            "evaluator": args.evaluator,
            "n_completed_trials": n_trials,
            "objective": args.objective,
            "normalized": not args.no_normalize,
            "importances": importances,
        }
        print(json.dumps(report, indent=2))
    else:
        _print_table(study, importances, n_trials, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

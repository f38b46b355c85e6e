"""The ``hpimportance`` command: importances of a stored Optuna study, printed as a table."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
from typing import TYPE_CHECKING
import urllib.parse
import warnings

from hpimportance import __version__


if TYPE_CHECKING:
    from collections.abc import Sequence

    from optuna.storages import BaseStorage
    from optuna.study import Study
    from optuna.trial import FrozenTrial


CONNECT_TIMEOUT_SECONDS = 30


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
        "--evaluator",
        choices=["fanova", "mean-decrease-impurity"],
        default="fanova",
        help="importance method (default: fanova)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the forest (default: 0)")
    parser.add_argument(
        "--n-trees", type=int, default=64, help="trees in the forest (default: 64)"
    )
    parser.add_argument(
        "--max-depth", type=int, default=64, help="maximum depth of a tree (default: 64)"
    )
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
    parser.add_argument(
        "--merge-ranges",
        action="store_true",
        help="analyse a parameter whose range changed during the study over the union of its "
        "ranges (default: leave it out, with a warning)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--version", action="version", version=f"hpimportance {__version__}")
    return parser


def _read_only_sqlite(path: str) -> BaseStorage:
    """An Optuna storage reading the SQLite file at ``path``; it never creates or writes it.

    The connection is opened by ``sqlite3`` itself with a ``file:`` URI in read-only mode, so
    that no character of the path (``?``, ``#``, ``%``) can be taken for URL syntax.
    """
    import optuna

    if not os.path.exists(path):
        raise CommandError(
            f"no such file: {path!r}. Pass the path of an SQLite file written by Optuna, or a "
            "storage URL."
        )
    if not os.path.isfile(path):
        raise CommandError(f"{path!r} is not a file; pass an SQLite file written by Optuna.")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    try:
        with contextlib.closing(connect()) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise CommandError(f"{path!r} is not an SQLite database ({error}).") from None
    if not {"studies", "trials", "version_info"} <= tables:
        raise CommandError(
            f"{path!r} is an SQLite database but not an Optuna storage (it has no Optuna tables)."
        )
    return optuna.storages.RDBStorage("sqlite://", engine_kwargs={"creator": connect})


def open_storage(storage: str) -> BaseStorage | str:
    """The Optuna storage that a path or URL given on the command line names.

    A path, or an ``sqlite:///`` URL, is opened read-only; other URLs go to Optuna as they
    are, with a connection timeout for database servers so that a silent one cannot hang us.
    """
    if "://" not in storage:
        return _read_only_sqlite(storage)

    import optuna
    import sqlalchemy.engine
    import sqlalchemy.exc

    try:
        url = sqlalchemy.engine.make_url(storage)
    except sqlalchemy.exc.ArgumentError:
        return storage  # Not a database URL; Optuna says what it makes of it.
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise CommandError("an in-memory SQLite database holds no study; pass a file.")
        return _read_only_sqlite(url.database)
    if url.get_backend_name() in ("postgresql", "mysql"):
        engine_kwargs = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}}
        return optuna.storages.RDBStorage(storage, engine_kwargs=engine_kwargs)
    return storage


def _load_study(args: argparse.Namespace) -> Study:
    import optuna

    try:
        storage = open_storage(args.storage)
        names = optuna.get_all_study_names(storage=storage)
    except CommandError:
        raise
    except Exception as error:  # SQLAlchemy and drivers raise many types; report any of them.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise CommandError(f"cannot read Optuna storage {args.storage!r}: {first_line}") from None

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
    return optuna.load_study(study_name=name, storage=storage)


def _importances(study: Study, args: argparse.Namespace) -> tuple[dict[str, float], int]:
    import optuna

    from hpimportance import FanovaImportanceEvaluator
    from hpimportance import MeanDecreaseImpurityImportanceEvaluator

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
        evaluator: optuna.importance.BaseImportanceEvaluator
        if args.evaluator == "mean-decrease-impurity":
            evaluator = MeanDecreaseImpurityImportanceEvaluator(
                n_trees=args.n_trees,
                max_depth=args.max_depth,
                seed=args.seed,
                n_threads=args.threads,
                merge_ranges=args.merge_ranges,
            )
        else:
            evaluator = FanovaImportanceEvaluator(
                n_trees=args.n_trees,
                max_depth=args.max_depth,
                seed=args.seed,
                n_threads=args.threads,
                log_scale=args.log_scale,
                merge_ranges=args.merge_ranges,
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Optuna marks `normalize` experimental; the command's user did not write it.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            importances = optuna.importance.get_param_importances(
                study,
                evaluator=evaluator,
                params=args.params,
                target=target,
                normalize=not args.no_normalize,
            )
    except (TypeError, ValueError, OverflowError, RuntimeError) as error:
        raise CommandError(str(error)) from None
    for warning in caught:
        # A parameter left out is the user's to act on; the line that warned is not.
        print(f"hpimportance: warning: {warning.message}", file=sys.stderr)
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
    if args.log_scale and args.evaluator != "fanova":
        # Cuts depend only on the order of values, which a logarithm keeps.
        parser.error(f"--log-scale applies to --evaluator fanova only, not {args.evaluator}")

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = _load_study(args)
        importances, n_trials = _importances(study, args)
    except CommandError as error:
        print(f"hpimportance: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hpimportance: interrupted", file=sys.stderr)
        return 130  # the shell's status for a process ended by SIGINT

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

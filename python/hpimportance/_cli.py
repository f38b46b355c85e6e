"""The ``hpimportance`` command: importances of a stored Optuna study, printed as a table."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
from typing import NamedTuple
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


class Method(NamedTuple):
    """An importance method the command offers."""

    #: The evaluator class, by its name in the ``hpimportance`` package.
    evaluator: str
    #: The command's options that are the evaluator's keyword arguments (their ``dest``).
    options: tuple[str, ...]
    #: Whether it can analyse several objectives at once (otherwise it needs --objective).
    multi_objective: bool = False
    #: Values of those options when they are not given, where the command's differ from the
    #: class's own defaults.
    defaults: tuple[tuple[str, object], ...] = ()


FOREST_OPTIONS = ("n_trees", "max_depth", "seed", "n_threads", "merge_ranges")
METHODS = {
    "ped-anova": Method(
        "PedAnovaImportanceEvaluator",
        ("target_quantile", "region_quantile", "evaluate_on_local"),
        multi_objective=True,
    ),
    "fanova": Method(
        "FanovaImportanceEvaluator", (*FOREST_OPTIONS, "log_scale"), defaults=(("seed", 0),)
    ),
    "mean-decrease-impurity": Method(
        "MeanDecreaseImpurityImportanceEvaluator", FOREST_OPTIONS, defaults=(("seed", 0),)
    ),
}
DEFAULT_METHOD = "ped-anova"


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
        help=(
            "which objective of a multi-objective study to analyse (0 for the first); without "
            "it, ped-anova takes the best trials by Pareto rank and fanova refuses the study"
        ),
    )
    parser.add_argument(
        "--evaluator",
        choices=list(METHODS),
        default=DEFAULT_METHOD,
        help=f"importance method (default: {DEFAULT_METHOD}, as in Optuna 5.0)",
    )
    parser.add_argument(
        "--no-normalize", action="store_true", help="print raw importances, not shares of 1"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--version", action="version", version=f"hpimportance {__version__}")

    # Method options default to None so that giving one to the wrong method is an error.
    ped_anova = parser.add_argument_group("ped-anova options")
    ped_anova.add_argument(
        "--target-quantile",
        type=float,
        metavar="Q",
        help="fraction of trials in the top set whose parameters are examined (default: 0.1)",
    )
    ped_anova.add_argument(
        "--region-quantile",
        type=float,
        metavar="Q",
        help="fraction of trials in the region set they are compared with (default: 1.0)",
    )
    ped_anova.add_argument(
        "--no-evaluate-on-local",
        dest="evaluate_on_local",
        action="store_const",
        const=False,
        help="compare the top set with the uniform distribution on each range, not the region set",
    )
    forest = parser.add_argument_group("fanova and mean-decrease-impurity options")
    forest.add_argument("--seed", type=int, metavar="N", help="seed of the forest (default: 0)")
    forest.add_argument(
        "--n-trees", type=int, metavar="N", help="trees in the forest (default: 64)"
    )
    forest.add_argument(
        "--max-depth", type=int, metavar="N", help="maximum depth of a tree (default: 64)"
    )
    forest.add_argument(
        "--threads",
        dest="n_threads",
        type=int,
        metavar="N",
        help="worker threads (default: all cores)",
    )
    forest.add_argument(
        "--merge-ranges",
        action="store_const",
        const=True,
        help="analyse a parameter whose range changed during the study over the union of its "
        "ranges (default: leave it out, with a warning; ped-anova measures each range apart)",
    )
    forest.add_argument(
        "--log-scale",
        action="store_const",
        const=True,
        help="fanova only: average log-scaled parameters over the log of their range "
        "(default: raw range)",
    )
    return parser


def _option_flag(parser: argparse.ArgumentParser, dest: str) -> str:
    for action in parser._actions:
        if action.dest == dest and action.option_strings:
            return action.option_strings[0]
    return dest


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

    import hpimportance

    completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not completed:
        raise CommandError(
            f"study {study.study_name!r} has no completed trials, so there is nothing to analyse."
        )

    method = METHODS[args.evaluator]
    target = None
    n_objectives = len(study.directions)
    if args.objective is not None:
        if not 0 <= args.objective < n_objectives:
            raise CommandError(
                f"--objective must be in 0..{n_objectives - 1} for study {study.study_name!r}, "
                f"which has {n_objectives} objective(s); got {args.objective}."
            )
        index = args.objective
        # Methods that look for the best trials take lower values to be better.
        sign = -1.0 if study.directions[index] == optuna.study.StudyDirection.MAXIMIZE else 1.0

        def target(trial: FrozenTrial) -> float:
            return sign * float(trial.values[index])

    elif n_objectives > 1 and not method.multi_objective:
        raise CommandError(
            f"study {study.study_name!r} has {n_objectives} objectives; choose one with "
            f"--objective INDEX (0..{n_objectives - 1}), or use --evaluator ped-anova, which "
            "can analyse them together."
        )

    kwargs = dict(method.defaults)
    kwargs.update(
        (name, getattr(args, name)) for name in method.options if getattr(args, name) is not None
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluator = getattr(hpimportance, method.evaluator)(**kwargs)
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
        # Optuna marks `normalize` experimental, and the target above is already lower-better:
        # neither concerns the command's user.
        if issubclass(warning.category, optuna.exceptions.ExperimentalWarning):
            continue
        if "lower target values" in str(warning.message):
            continue
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
    method = METHODS[args.evaluator]
    all_options = dict.fromkeys(dest for other in METHODS.values() for dest in other.options)
    for dest in all_options:
        if dest not in method.options and getattr(args, dest) is not None:
            accepting = " or ".join(
                name for name, other in METHODS.items() if dest in other.options
            )
            parser.error(
                f"{_option_flag(parser, dest)} applies to --evaluator {accepting}, "
                f"not {args.evaluator}"
            )
    for dest in ("n_trees", "max_depth", "n_threads"):
        value = getattr(args, dest)
        if value is not None and value < 1:
            parser.error(f"{_option_flag(parser, dest)} must be at least 1, got {value}")
    if args.seed is not None and args.seed < 0:
        parser.error(f"--seed must be non-negative, got {args.seed}")

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

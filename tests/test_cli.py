from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import optuna
from optuna.importance import get_param_importances
import pytest

from hpimportance import MeanDecreaseImpurityImportanceEvaluator
from hpimportance import PedAnovaImportanceEvaluator
from hpimportance._cli import main


if TYPE_CHECKING:
    from collections.abc import Callable


DATA = Path(__file__).resolve().parents[1] / "data"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_report_of_a_real_study_leaves_the_file_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = DATA / "digits-svc.db"
    before = _digest(path)
    report = _run_json(capsys, str(path), "--evaluator", "fanova")
    assert _digest(path) == before

    assert report["study"] == "digits-svc"
    assert report["n_completed_trials"] == 1500
    importances = report["importances"]
    # fANOVA analyses the parameters every trial has; degree and coef0 are conditional.
    assert set(importances) == {"kernel", "C", "gamma"}
    assert list(importances)[0] == "kernel"
    assert importances["kernel"] > 0.9
    assert sum(importances.values()) == pytest.approx(1.0)


def test_table_lists_every_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "digits-svc.db"), "--params", "C", "gamma"]) == 0
    out = capsys.readouterr().out
    assert "digits-svc" in out
    assert "C" in out and "gamma" in out and "kernel" not in out


def test_log_scale_changes_the_measure(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "digits-svc.db")
    raw = _run_json(capsys, path, "--evaluator", "fanova")["importances"]
    logged = _run_json(capsys, path, "--evaluator", "fanova", "--log-scale")["importances"]
    # On the raw range [1e-3, 1e3], C's top decade holds 99.9% of the measure and barely
    # matters; over log(C) the small values that ruin accuracy get their share.
    assert raw["C"] < 0.01
    assert logged["C"] > 0.1


def test_url_and_seed_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    storage = f"sqlite:///{DATA / 'diabetes-enet.db'}"
    fanova = ("--evaluator", "fanova", "--seed", "3", "--n-trees", "8")
    first = _run_json(capsys, storage, *fanova, "--threads", "1")
    second = _run_json(capsys, storage, *fanova, "--threads", "2")
    assert first["importances"] == second["importances"]
    assert set(first["importances"]) == {"alpha", "l1_ratio", "fit_intercept", "tol", "selection"}


def test_fanova_needs_an_objective_of_a_multi_objective_study(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(DATA / "wine-rf-mo.db")
    assert main([path, "--evaluator", "fanova"]) == 1
    assert "--objective" in capsys.readouterr().err

    assert main([path, "--evaluator", "fanova", "--objective", "2"]) == 1
    assert "0..1" in capsys.readouterr().err

    report = _run_json(capsys, path, "--evaluator", "fanova", "--objective", "1")
    # The second objective is n_estimators x max_depth: only those two can matter.
    top_two = set(list(report["importances"])[:2])
    assert top_two == {"n_estimators", "max_depth"}


def test_missing_file_is_reported_and_not_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nothing.db"
    assert main([str(missing)]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not missing.exists()

    assert main([f"sqlite:///{missing}"]) == 1
    assert not missing.exists()


def test_unknown_study_lists_the_ones_there(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "digits-svc.db"), "--study", "nope"]) == 1
    err = capsys.readouterr().err
    assert "'nope'" in err and "'digits-svc'" in err


def test_several_studies_need_a_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'two.db'}"
    for name in ("first", "second"):
        study = optuna.create_study(study_name=name, storage=storage)
        study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    assert main([str(tmp_path / "two.db")]) == 1
    assert "--study" in capsys.readouterr().err
    report = _run_json(capsys, str(tmp_path / "two.db"), "--study", "second")
    assert report["importances"] == {"x": 1.0}


def test_study_without_completed_trials(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    storage = f"sqlite:///{tmp_path / 'empty.db'}"
    optuna.create_study(study_name="empty", storage=storage)
    assert main([str(tmp_path / "empty.db")]) == 1
    assert "no completed trials" in capsys.readouterr().err


def test_unknown_parameter_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "digits-svc.db"), "--params", "kernal"]) == 1
    assert "kernal" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--n-trees", "0"], ["--threads", "0"], ["--seed", "-1"]])
def test_invalid_numbers_are_usage_errors(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(DATA / "digits-svc.db"), "--evaluator", "fanova", *option])
    assert exit_info.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_module_entry_point_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "hpimportance", str(DATA / "digits-svc.db"), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout)["study"] == "digits-svc"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "q?x.db",
            marks=pytest.mark.skipif(sys.platform == "win32", reason="'?' is not allowed there"),
        ),
        "h#x.db",
        "pct%41.db",
        "with space.db",
    ],
)
def test_any_file_name_is_read_and_nothing_is_written(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # '?', '#' and '%' must not be taken for URL syntax (which once made a new, empty
    # database next to the file instead of reading it).
    path = tmp_path / name
    path.write_bytes((DATA / "digits-svc.db").read_bytes())
    before = sorted(p.name for p in tmp_path.iterdir())

    report = _run_json(capsys, str(path))

    assert report["study"] == "digits-svc"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_files_that_are_not_optuna_storages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (x INTEGER)")
    (tmp_path / "empty.db").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)

    expected = {
        str(other): "not an Optuna storage",
        str(tmp_path / "empty.db"): "not an Optuna storage",
        str(tmp_path / "notes.txt"): "not an SQLite database",
        str(tmp_path): "not a file",
    }
    for path, message in expected.items():
        assert main([path]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "notes.txt", "other.db"]


def test_sqlite_urls_are_read_only_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert main([f"sqlite:///{missing}?timeout=5"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not missing.exists()

    assert main(["sqlite://"]) == 1
    assert "in-memory" in capsys.readouterr().err


def test_absurd_tree_count_is_an_error_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main([str(DATA / "digits-svc.db"), "--evaluator", "fanova", "--n-trees", str(2**64)]) == 1
    )
    assert "n_trees" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="Popen.send_signal has no SIGINT on Windows")
def test_ctrl_c_ends_the_command_quietly(tmp_path: Path) -> None:
    # A long evaluation (many trees on 10,139 trials) interrupted as a user would: the command
    # stops within seconds, prints one line and exits with the shell's status for SIGINT.
    command = [sys.executable, "-m", "hpimportance", str(DATA / "diabetes-knn.db")]
    process = subprocess.Popen(
        [*command, "--evaluator", "fanova", "--n-trees", "100000"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    time.sleep(6.0)  # past loading the study, into fitting trees
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 130
    assert err.decode().strip() == "hpimportance: interrupted"


def test_mean_decrease_impurity_evaluator(
    capsys: pytest.CaptureFixture[str], shipped_study: Callable[[str], optuna.Study]
) -> None:
    path = DATA / "digits-svc.db"
    before = _digest(path)

    report = _run_json(capsys, str(path), "--evaluator", "mean-decrease-impurity", "--seed", "3")

    assert _digest(path) == before
    assert report["evaluator"] == "mean-decrease-impurity"
    evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=3)
    expected = optuna.importance.get_param_importances(
        shipped_study("digits-svc"), evaluator=evaluator
    )
    assert report["importances"] == expected
    assert set(expected) == {"kernel", "C", "gamma"}


def test_log_scale_is_for_fanova_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(DATA / "digits-svc.db"), "--evaluator", "mean-decrease-impurity", "--log-scale"])
    assert exit_info.value.code == 2
    assert "--log-scale" in capsys.readouterr().err


def _worker_cpu_seconds(pid: int) -> float:
    """CPU time spent by the threads of process ``pid`` other than its main thread."""
    ticks = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        if task.name == str(pid):
            continue
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the thread ended
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _wait_until_fitting(process: subprocess.Popen[bytes]) -> None:
    """Returns once the worker threads of ``process`` have fitted trees for a while (the
    threads numpy starts at import stay idle), or after 6 s where ``/proc`` cannot tell."""
    if not Path(f"/proc/{process.pid}/task").is_dir():
        time.sleep(6.0)
        return
    deadline = time.monotonic() + 120.0
    while time.monotonic() < deadline and process.poll() is None:
        if _worker_cpu_seconds(process.pid) > 0.5:
            return
        time.sleep(0.1)


def test_ctrl_c_ends_mean_decrease_impurity_quietly() -> None:
    # 100,000 trees on 1,500 trials take minutes; chunks of trees take milliseconds.
    command = [sys.executable, "-m", "hpimportance", str(DATA / "digits-svc.db")]
    options = ["--evaluator", "mean-decrease-impurity", "--n-trees", "100000", "--threads", "2"]
    process = subprocess.Popen(
        [*command, *options], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    _wait_until_fitting(process)
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 130
    assert err.decode().strip() == "hpimportance: interrupted"


def _load(name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{DATA / name}.db")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ped_anova_is_the_default_and_measures_conditional_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = _run_json(capsys, str(DATA / "digits-svc.db"))
    assert report["evaluator"] == "ped-anova"
    # degree and coef0 exist only for some kernels; PED-ANOVA measures them in their regimes.
    expected = get_param_importances(_load("digits-svc"), evaluator=PedAnovaImportanceEvaluator())
    assert report["importances"] == pytest.approx(expected, rel=1e-12)
    assert set(expected) == {"kernel", "C", "gamma", "degree", "coef0"}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.parametrize(
    ("options", "settings"),
    [
        (["--target-quantile", "0.3"], {"target_quantile": 0.3}),
        (
            ["--region-quantile", "0.5", "--target-quantile", "0.05"],
            {"region_quantile": 0.5, "target_quantile": 0.05},
        ),
        (["--no-evaluate-on-local"], {"evaluate_on_local": False}),
    ],
)
def test_ped_anova_options(
    capsys: pytest.CaptureFixture[str], options: list[str], settings: dict[str, object]
) -> None:
    report = _run_json(capsys, str(DATA / "diabetes-enet.db"), "--no-normalize", *options)
    evaluator = PedAnovaImportanceEvaluator(**settings)  # type: ignore[arg-type]
    expected = get_param_importances(_load("diabetes-enet"), evaluator=evaluator, normalize=False)
    assert report["importances"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ped_anova_analyses_all_objectives_or_one(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "wine-rf-mo.db")
    study = _load("wine-rf-mo")
    together = _run_json(capsys, path)["importances"]
    assert together == pytest.approx(
        get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()), rel=1e-12
    )
    # Objective 0 is maximized accuracy: the command looks for its highest values.
    accuracy = _run_json(capsys, path, "--objective", "0")["importances"]
    expected = get_param_importances(
        study, evaluator=PedAnovaImportanceEvaluator(), target=lambda t: -t.values[0]
    )
    assert accuracy == pytest.approx(expected, rel=1e-12)
    assert accuracy != together


@pytest.mark.parametrize(
    "option",
    [
        ["--n-trees", "8"],
        ["--seed", "1"],
        ["--log-scale"],
        ["--merge-ranges"],
        ["--evaluator", "mean-decrease-impurity", "--log-scale"],
        ["--evaluator", "mean-decrease-impurity", "--region-quantile", "0.5"],
        ["--evaluator", "fanova", "--target-quantile", "0.2"],
        ["--evaluator", "fanova", "--no-evaluate-on-local"],
    ],
)
def test_options_of_the_other_method_are_usage_errors(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(DATA / "digits-svc.db"), *option])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert [flag for flag in option if flag.startswith("--") and flag != "--evaluator"][0] in err
    assert "applies to --evaluator" in err


def test_invalid_quantiles_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main([str(DATA / "digits-svc.db"), "--target-quantile", "0.6", "--region-quantile", "0.5"])
        == 1
    )
    err = capsys.readouterr().err
    assert "0 < target_quantile < region_quantile <= 1" in err
    assert len(err.strip().splitlines()) == 1


def test_warnings_are_one_line_each(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'flat.db'}"
    study = optuna.create_study(study_name="flat", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0.0, n_trials=5)
    assert main([str(tmp_path / "flat.db"), "--no-normalize", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["importances"] == {"x": 0.0}
    assert err.startswith("hpimportance: warning: The top and region sets hold the same 5 trials")
    assert len(err.strip().splitlines()) == 1

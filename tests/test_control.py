"""Long runs stay under the caller's control: Ctrl-C, threads and forked processes.

Nothing here measures speed. The Ctrl-C test bounds how long an interrupt takes to be answered
(a generous 5 seconds, where about one is expected): a liveness check that fails only if the
interrupt waits for the whole evaluation, which would take hours.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import TYPE_CHECKING

from _evaluators import EVALUATORS
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
import pytest


if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from _evaluators import EvaluatorSpec
    from optuna.study import Study


TESTS = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(params=EVALUATORS, ids=lambda spec: spec.name)
def spec(request: pytest.FixtureRequest) -> EvaluatorSpec:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def study(random_study: Callable[..., Study]) -> Study:
    """300 random trials of a float, an int and a categorical, all of which matter."""
    space = {
        "x": FloatDistribution(0.0, 1.0),
        "n": IntDistribution(1, 9),
        "c": CategoricalDistribution(["a", "b", "c"]),
    }

    def objective(params: dict[str, Any]) -> float:
        return params["x"] + 0.2 * params["n"] + {"a": 0.0, "b": 1.0, "c": 3.0}[params["c"]]

    return random_study(space, objective, 300, seed=0)


# Builds a study of 100,000 trials, times one evaluation of a single tree's worth of work,
# then starts one that would run for hours and reports how it ended.
_INTERRUPTED_CHILD = """
import sys, time
sys.path.insert(0, {tests!r})
import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from _evaluators import EVALUATORS

optuna.logging.set_verbosity(optuna.logging.WARNING)
spec = next(spec for spec in EVALUATORS if spec.name == {name!r})
distributions = {{
    "x": FloatDistribution(0.0, 1.0),
    "y": FloatDistribution(0.0, 1.0),
    "c": CategoricalDistribution(["a", "b", "c"]),
}}
rng = np.random.default_rng(0)
xs, ys = rng.uniform(size=(2, 100_000)).tolist()
cs = rng.choice(["a", "b", "c"], 100_000).tolist()
trials = [
    optuna.create_trial(
        params={{"x": x, "y": y, "c": c}}, distributions=distributions, value=x + y * (c == "a")
    )
    for x, y, c in zip(xs, ys, cs)
]
study = optuna.create_study()
study.add_trials(trials)

start = time.perf_counter()
spec.make(**{short!r}).evaluate(study)
print("warm-up", time.perf_counter() - start, flush=True)
try:
    for _ in range({repeats}):
        spec.make(**{long!r}).evaluate(study)
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
else:
    print("finished", flush=True)
"""

# Per evaluator: constructor arguments of a short and of a long evaluation, and how many times
# the long one runs. A forest method with a million trees runs for hours; PED-ANOVA has no
# setting that makes it long (100,000 trials take a fraction of a second), so it is called
# again and again, which interrupts it wherever it happens to be, in Python or in Rust.
_WORKLOADS = {
    "fanova": ({"n_trees": 1}, {"n_trees": 1_000_000}, 1),
    "mean-decrease-impurity": ({"n_trees": 1}, {"n_trees": 1_000_000}, 1),
    "ped-anova": ({}, {}, 1_000_000),
}


def test_ctrl_c_interrupts_a_long_evaluation(spec: EvaluatorSpec) -> None:
    short, long, repeats = _WORKLOADS[spec.name]
    code = _INTERRUPTED_CHILD.format(
        tests=TESTS, name=spec.name, short=short, long=long, repeats=repeats
    )
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        warm_up = child.stdout.readline()
        assert warm_up.startswith("warm-up"), child.communicate(timeout=60)
        # Past reading the trials (the warm-up did it once, with one tree), into the forest.
        time.sleep(float(warm_up.split()[1]) + 2.0)
        assert child.poll() is None
        child.send_signal(signal.SIGINT)
        interrupted_at = time.perf_counter()
        outcome = child.stdout.readline().strip()
        answered_after = time.perf_counter() - interrupted_at
        child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()

    assert outcome == "KeyboardInterrupt"
    assert child.returncode == 0
    # Liveness, not speed: an interrupt ignored until the end would take hours.
    assert answered_after < 5.0


def test_threads_evaluate_at_once_with_correct_results(spec: EvaluatorSpec, study: Study) -> None:
    calls: list[Callable[[], dict[str, float]]] = [
        lambda: spec.make().evaluate(study),
        lambda: spec.make().evaluate(study, params=["c", "x"]),
        lambda: spec.make().evaluate(study, target=lambda t: -t.params["x"]),
        lambda: spec.make().evaluate(study, params=["n"]),
    ] * 3
    expected = [call() for call in calls]
    results: list[dict[str, float] | BaseException | None] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # reported below, with the call that raised it
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert results == expected
    assert expected[0] != expected[1] != expected[2]


def _evaluate_in_child(spec: EvaluatorSpec, study: Study, queue: multiprocessing.Queue) -> None:
    queue.put(spec.make().evaluate(study))


def test_a_forked_child_can_evaluate(spec: EvaluatorSpec, study: Study) -> None:
    # The parent has run its worker threads; a child forked now must not inherit a pool that
    # waits forever for threads that the fork did not copy.
    expected = spec.make().evaluate(study)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_evaluate_in_child, args=(spec, study, queue))

    child.start()
    try:
        result = queue.get(timeout=120)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()

    assert result == expected
    assert child.exitcode == 0

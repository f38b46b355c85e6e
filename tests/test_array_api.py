"""The array API: importances from configuration and score arrays, without Optuna."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import hpimportance
from hpimportance import Categorical
from hpimportance import Float
from hpimportance import Int


def _uniform(n: int, n_params: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, n_params))


def test_import_does_not_load_optuna() -> None:
    code = "import hpimportance, sys; hpimportance.fanova; assert 'optuna' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_product_is_all_pairwise() -> None:
    x = _uniform(2000, 2, seed=0)
    space = [Float("x1", -1.0, 1.0), Float("x2", -1.0, 1.0)]
    result = hpimportance.fanova(space, x, x[:, 0] * x[:, 1], seed=0, pairs="all")
    assert result.pairwise[("x1", "x2")] >= 0.8
    assert result.importances["x1"] <= 0.05
    assert result.importances["x2"] <= 0.05
    assert 0.0 <= result.pairwise_std[("x1", "x2")] < 0.2


def test_additive_function_has_no_pairwise_importance() -> None:
    x = _uniform(2000, 3, seed=1)
    y = x[:, 0] + 2.0 * x[:, 1] ** 2 + np.sin(3.0 * x[:, 2])
    space = [Float(name, -1.0, 1.0) for name in "abc"]
    result = hpimportance.fanova(space, x, y, seed=0, pairs="all")
    assert list(result.pairwise) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert all(share < 0.05 for share in result.pairwise.values()), result.pairwise
    assert sum(result.importances.values()) > 0.9


def test_pairs_can_be_chosen_in_any_order() -> None:
    x = _uniform(500, 3, seed=2)
    y = x[:, 0] * x[:, 2]
    space = [Float(name, -1.0, 1.0) for name in "abc"]
    result = hpimportance.fanova(space, x, y, seed=3, pairs=[("c", "a"), ("b", "c")])
    assert list(result.pairwise) == [("c", "a"), ("b", "c")]
    assert result.pairwise[("c", "a")] > 0.5 > result.pairwise[("b", "c")]


def test_marginal_curve_follows_the_function() -> None:
    # y = a + 2 b^2 + sin(3 c): the marginal of a is a + 2/3 (the mean of the other terms).
    x = _uniform(4000, 3, seed=4)
    y = x[:, 0] + 2.0 * x[:, 1] ** 2 + np.sin(3.0 * x[:, 2])
    space = [Float(name, -1.0, 1.0) for name in "abc"]
    values = np.linspace(-0.8, 0.8, 9)
    result = hpimportance.fanova(space, x, y, seed=0, marginals={"a": values})
    curve = result.marginals["a"]
    np.testing.assert_array_equal(curve.values, values)
    np.testing.assert_allclose(curve.mean, values + 2.0 / 3.0, atol=0.1)
    assert (curve.std >= 0.0).all() and (curve.std < 0.2).all()


def test_marginal_curves_are_in_units_of_y() -> None:
    x = _uniform(1000, 2, seed=5)
    y = 1e6 + 1e3 * x[:, 0]
    space = [Float("a", -1.0, 1.0), Float("b", -1.0, 1.0)]
    result = hpimportance.fanova(space, x, y, seed=0, marginals={"a": [-0.5, 0.5]})
    np.testing.assert_allclose(result.marginals["a"].mean, [1e6 - 500.0, 1e6 + 500.0], rtol=2e-5)


def test_default_marginal_grids() -> None:
    rng = np.random.default_rng(6)
    x = np.column_stack(
        [
            rng.uniform(1e-4, 1.0, 300),
            rng.integers(1, 9, 300),
            rng.integers(0, 3, 300),
            rng.integers(0, 1000, 300),
        ]
    ).astype(float)
    space = [
        Float("lr", 1e-4, 1.0, log=True),
        Int("layers", 1, 8),
        Categorical("optimizer", ["adam", "sgd", "rmsprop"]),
        Int("width", 0, 999),
    ]
    result = hpimportance.fanova(space, x, x[:, 1] + x[:, 2], seed=0, marginals="all")
    lr = result.marginals["lr"].values
    assert len(lr) == 100 and lr[0] == pytest.approx(1e-4) and lr[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(np.diff(np.log(lr)), np.log(1e4) / 99)
    np.testing.assert_array_equal(result.marginals["layers"].values, np.arange(1, 9))
    np.testing.assert_array_equal(result.marginals["optimizer"].values, [0, 1, 2])
    width = result.marginals["width"].values
    assert len(width) <= 100 and width[0] == 0 and width[-1] == 999
    assert all(len(curve.mean) == len(curve.values) for curve in result.marginals.values())


def test_categorical_marginal_per_choice() -> None:
    rng = np.random.default_rng(7)
    choice = rng.integers(0, 4, 800)
    x = np.column_stack([choice, rng.uniform(0, 1, 800)]).astype(float)
    effect = np.array([0.0, 10.0, -5.0, 2.0])
    y = effect[choice] + x[:, 1]
    space = [Categorical("c", ["a", "b", "c", "d"]), Float("v", 0.0, 1.0)]
    result = hpimportance.fanova(space, x, y, seed=0, marginals=["c"])
    np.testing.assert_allclose(result.marginals["c"].mean, effect + 0.5, atol=0.1)
    assert result.importances["c"] > 0.95


def test_details_do_not_change_the_importances() -> None:
    x = _uniform(400, 3, seed=8)
    y = x[:, 0] * x[:, 1] + x[:, 2]
    space = [Float(name, -1.0, 1.0) for name in "abc"]
    plain = hpimportance.fanova(space, x, y, seed=11)
    detailed = hpimportance.fanova(space, x, y, seed=11, pairs="all", marginals="all")
    assert plain.importances == detailed.importances
    assert plain.std == detailed.std
    assert plain.pairwise == {} and plain.marginals == {}


def test_thread_count_does_not_change_anything() -> None:
    x = _uniform(600, 3, seed=9)
    y = x[:, 0] * x[:, 1] + x[:, 2] ** 2
    space = [Float(name, -1.0, 1.0) for name in "abc"]
    runs = [
        hpimportance.fanova(space, x, y, seed=5, n_threads=n, pairs="all", marginals="all")
        for n in (1, 2, 3)
    ]
    for run in runs[1:]:
        assert run.importances == runs[0].importances
        assert run.pairwise == runs[0].pairwise
        for name, curve in run.marginals.items():
            np.testing.assert_array_equal(curve.mean, runs[0].marginals[name].mean)


def test_log_scale_changes_the_measure_of_log_parameters() -> None:
    rng = np.random.default_rng(10)
    lr = 10.0 ** rng.uniform(-4, 0, 1000)
    other = rng.uniform(0, 1, 1000)
    x = np.column_stack([lr, other])
    y = np.log10(lr) + other  # a decade of lr matters as much as all of `other`
    space = [Float("lr", 1e-4, 1.0, log=True), Float("other", 0.0, 1.0)]
    raw = hpimportance.fanova(space, x, y, seed=0).importances
    logged = hpimportance.fanova(space, x, y, seed=0, log_scale=True).importances
    # On the raw range nearly all the mass lies in the top decade, where lr varies little.
    assert logged["lr"] > 0.8 > raw["lr"]


def test_degenerate_inputs_give_zeros() -> None:
    space = [Float("a", 0.0, 1.0), Categorical("c", ["x", "y"])]
    one = hpimportance.fanova(space, [[0.5, 1.0]], [3.0], seed=0, marginals="all")
    assert one.importances == {"a": 0.0, "c": 0.0} and one.n_trees_used == 0
    np.testing.assert_array_equal(one.marginals["c"].mean, [3.0, 3.0])
    x = np.column_stack([np.linspace(0.0, 1.0, 50), np.arange(50) % 2])
    flat = hpimportance.fanova(space, x, np.full(50, 7.0), seed=0)
    assert flat.importances == {"a": 0.0, "c": 0.0}
    empty = hpimportance.fanova([], np.empty((5, 0)), np.arange(5.0), seed=0)
    assert empty.importances == {}


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"x": np.zeros((3, 3))}, ValueError, "3 columns but the space has 2"),
        ({"y": np.zeros(4)}, ValueError, "3 rows but y has 4"),
        ({"y": [1.0, np.nan, 2.0]}, ValueError, "non-finite"),
        ({"x": [[0.1, 0.0], [0.2, 2.0], [0.3, 1.0]]}, ValueError, "choice indices in 0..1"),
        ({"x": [[np.nan, 0.0], [0.2, 1.0], [0.3, 1.0]]}, ValueError, "NaN or infinite"),
        ({"x": np.zeros(6)}, ValueError, "x must be 2-D"),
        ({"x": None}, TypeError, "x must be an array of numbers, got None"),
        ({"x": [[0.1, 0.0], [5.0, 1.0], [0.3, 1.0]]}, ValueError, "holds 5.0, outside the"),
        ({"x": [[0.1, 0.0], [-0.5, 1.0], [0.3, 1.0]]}, ValueError, "holds -0.5, outside"),
        ({"x": [["a", "b"]] * 3}, TypeError, "arrays of numbers"),
        ({"space": "ab"}, TypeError, "space must be a list"),
        ({"space": [Float("a", 0, 1), Float("a", 0, 1)]}, ValueError, "more than once"),
        ({"space": [("a", 0, 1), Float("b", 0, 1)]}, TypeError, "must hold hpimportance"),
        ({"n_trees": 0}, ValueError, "n_trees must be at least 1"),
        ({"max_depth": -1}, ValueError, "max_depth must be at least 1"),
        ({"seed": -1}, ValueError, "seed must be in"),
        ({"n_threads": 0}, ValueError, "n_threads must be at least 1"),
        ({"log_scale": "yes"}, TypeError, "log_scale"),
        ({"pairs": "some"}, ValueError, "pairs must be 'all'"),
        ({"pairs": [("a", "z")]}, ValueError, "'z', which is not in the space"),
        ({"pairs": [("a", "a")]}, ValueError, "two different parameters"),
        ({"pairs": ["ab"]}, TypeError, "(name, name) tuples"),
        ({"marginals": ["z"]}, ValueError, "'z', which is not in the space"),
        ({"marginals": {"c": [0, 2]}}, ValueError, "choice indices in 0..1"),
        ({"marginals": {"a": [np.inf]}}, ValueError, "within its range"),
        ({"marginals": {"a": [1.5]}}, ValueError, "within its range"),
        ({"marginals": {"a": [0.5, np.nan]}}, ValueError, "got nan"),
        ({"marginals": 3}, TypeError, "marginals must be"),
    ],
)
def test_bad_arguments_name_what_is_wrong(
    arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    call: dict[str, object] = {
        "space": [Float("a", 0.0, 1.0), Categorical("c", ["x", "y"])],
        "x": [[0.1, 0.0], [0.2, 1.0], [0.3, 1.0]],
        "y": [1.0, 2.0, 3.0],
        "seed": 0,
    }
    call.update(arguments)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        hpimportance.fanova(**call)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Float("a", 1.0, 0.0), "low > high"),
        (lambda: Float("a", 0.0, np.inf), "must be finite"),
        (lambda: Float("a", 0.0, 1.0, log=True), "low must be > 0"),
        (lambda: Float("a", 0.0, 1.0, step=0.0), "step of parameter 'a' must be > 0"),
        (lambda: Float("a", 1.0, 2.0, log=True, step=0.5), "both log=True and a step"),
        (lambda: Int("a", 0, 5, step=0), "must be >= 1"),
        (lambda: Int("a", 0.5, 5), "must be an int"),  # type: ignore[arg-type]
        (lambda: Int("a", 1, 9, log=True, step=2), "step must be 1"),
        (lambda: Categorical("a", []), "at least one choice"),
        (lambda: Categorical("a", "abc"), "must be a list or tuple"),  # type: ignore[arg-type]
        (lambda: Float(3, 0.0, 1.0), "name must be a str"),  # type: ignore[arg-type]
    ],
)
def test_bad_parameters_are_refused(make: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()  # type: ignore[operator]


def test_an_integer_parameter_holds_integers() -> None:
    space = [Int("layers", 1, 8), Float("x", 0.0, 1.0)]
    x = np.array([[1.0, 0.1], [2.5, 0.2], [8.0, 0.3]])
    for evaluate in (hpimportance.fanova, hpimportance.mean_decrease_impurity):
        with pytest.raises(ValueError, match=r"'layers'\) is an integer parameter but holds 2.5"):
            evaluate(space, x, [1.0, 2.0, 3.0], seed=0)  # type: ignore[operator]
    with pytest.raises(ValueError, match="is an integer parameter"):
        hpimportance.ped_anova(space, x, [1.0, 2.0, 3.0])


def test_integer_ranges_beyond_what_numpy_integers_hold() -> None:
    rng = np.random.default_rng(3)
    space = [Int("huge", 0, 2**80), Float("x", 0.0, 1.0)]
    x = np.column_stack([rng.integers(0, 2**62, 200).astype(float) * 2**18, rng.uniform(size=200)])
    result = hpimportance.fanova(space, x, x[:, 1], seed=0, marginals="all")
    assert result.importances["x"] > 0.9
    curve = result.marginals["huge"]
    assert curve.values[0] == 0.0 and curve.values[-1] == float(2**80)
    assert np.isfinite(curve.mean).all()

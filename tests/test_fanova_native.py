"""The native function ``hpimportance._native.fanova``: input checks and numeric properties.

``fanova(x, y, low, high, n_choices, *, n_trees, max_depth, seed, n_threads=None)`` returns
``(importances, std, n_trees_used)``. ``n_choices[j] == 0`` marks column ``j`` numeric on
``[low[j], high[j]]``; otherwise it is a categorical holding choice indices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from hpimportance import _native


if TYPE_CHECKING:
    from typing import Any


FOREST = {"n_trees": 16, "max_depth": 64, "seed": 0}


def _inputs(n_rows: int = 60, seed: int = 0) -> dict[str, Any]:
    """A numeric column on [0, 1] and a categorical with 3 choices; y depends on both."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.uniform(0.0, 1.0, n_rows), rng.integers(0, 3, n_rows)])
    y = 2.0 * x[:, 0] + x[:, 1]
    return {"x": x, "y": y, "low": [0.0, 0.0], "high": [1.0, 0.0], "n_choices": [0, 3]}


def _fanova(**overrides: Any) -> tuple[np.ndarray, np.ndarray, int]:
    arguments = {**_inputs(), **FOREST, **overrides}
    return _native.fanova(
        arguments.pop("x"),
        arguments.pop("y"),
        arguments.pop("low"),
        arguments.pop("high"),
        arguments.pop("n_choices"),
        **arguments,
    )


def _with_x_entry(row: int, column: int, value: float) -> np.ndarray:
    x = _inputs()["x"].copy()
    x[row, column] = value
    return x


def _with_y_entry(row: int, value: float) -> np.ndarray:
    y = _inputs()["y"].copy()
    y[row] = value
    return y


def test_valid_input() -> None:
    importances, std, n_trees_used = _fanova()

    assert importances.shape == std.shape == (2,)
    assert importances.dtype == std.dtype == np.float64
    assert n_trees_used == FOREST["n_trees"]
    # Var(2u) = 1/3 against Var(choice) = 2/3, no interaction. 60 rows: within 0.04 of the
    # truth over data seeds 0-4.
    assert importances[0] == pytest.approx(1 / 3, abs=0.1)
    assert importances[1] == pytest.approx(2 / 3, abs=0.1)
    assert ((std > 0.0) & (std < 0.5)).all()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"low": [0.0, 0.0, 0.0], "high": [1.0, 0.0, 1.0], "n_choices": [0, 3, 0]},
            "3 parameters",
        ),
        ({"low": [0.0], "high": [1.0, 0.0], "n_choices": [0, 3]}, "one entry per parameter"),
        ({"y": np.zeros(59)}, "60 rows but y has 59"),
        ({"x": _with_x_entry(4, 0, np.nan)}, r"x\[4, 0\] is NaN"),
        ({"x": _with_x_entry(4, 0, np.inf)}, r"x\[4, 0\] is inf"),
        ({"y": _with_y_entry(7, np.nan)}, r"y\[7\] is NaN"),
        ({"y": _with_y_entry(7, -np.inf)}, r"y\[7\] is -inf"),
        ({"x": _with_x_entry(5, 1, 3.0)}, r"x\[5, 1\] is 3, which is not a choice index"),
        ({"x": _with_x_entry(5, 1, -1.0)}, r"x\[5, 1\] is -1, which is not a choice index"),
        ({"x": _with_x_entry(5, 1, 1.5)}, r"x\[5, 1\] is 1.5, which is not a choice index"),
        ({"low": [2.0, 0.0]}, r"parameter 0 has bounds \[2, 1\]"),
        ({"low": [-np.inf, 0.0]}, r"parameter 0 has bounds \[-inf, 1\]"),
        ({"high": [np.nan, 0.0]}, "parameter 0 has bounds"),
        (
            {"x": np.ascontiguousarray(np.repeat(_inputs()["x"], 2, axis=1))[:, ::2]},
            "C-contiguous",
        ),
        ({"y": np.repeat(_inputs()["y"], 2)[::2]}, "contiguous"),
        ({"n_trees": 0}, "n_trees must be at least 1, got 0"),
        ({"max_depth": 0}, "max_depth must be at least 1, got 0"),
        ({"n_threads": 0}, "n_threads must be at least 1, got 0"),
    ],
    ids=[
        "column-count",
        "bounds-lengths",
        "row-count",
        "nan-in-x",
        "inf-in-x",
        "nan-in-y",
        "inf-in-y",
        "choice-out-of-range",
        "negative-choice",
        "fractional-choice",
        "low-above-high",
        "infinite-bound",
        "nan-bound",
        "strided-x",
        "strided-y",
        "no-trees",
        "zero-depth",
        "no-threads",
    ],
)
def test_bad_input_raises_value_error(overrides: dict[str, Any], message: str) -> None:
    # pytest.raises(ValueError) lets a PanicException (a BaseException) through as an error.
    with pytest.raises(ValueError, match=message):
        _fanova(**overrides)


def test_fortran_ordered_x_is_refused() -> None:
    x = np.asfortranarray(_inputs()["x"])

    with pytest.raises(ValueError, match="C-contiguous"):
        _fanova(x=x)


def test_absurd_choice_count_is_refused() -> None:
    with pytest.raises(ValueError, match=r"n_choices|choices"):
        _fanova(n_choices=[0, 2**62])


def test_cost_does_not_grow_with_unused_choices() -> None:
    # Choices no tree cuts on share one cell, so two billion declared choices cost nothing
    # extra; the measure still counts them (each unused choice behaves like the others).
    reference = _fanova(n_choices=[0, 3])[0]
    many = _fanova(n_choices=[0, 2**31])[0]
    assert np.all(np.isfinite(many))
    assert many[1] < reference[1]


@pytest.mark.parametrize(
    "overrides",
    [
        {"x": _inputs()["x"].astype(np.float32)},
        {"x": _inputs()["x"].astype(np.int64)},
        {"x": _inputs()["x"].tolist()},
        {"x": _inputs()["x"][:, 0].copy()},
        {"y": _inputs()["y"].reshape(-1, 1)},
    ],
    ids=["float32-x", "int-x", "list-x", "one-dimensional-x", "two-dimensional-y"],
)
def test_wrong_array_types_raise_type_error(overrides: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        _fanova(**overrides)


@pytest.mark.parametrize("n_rows", [0, 1])
def test_fewer_than_two_rows_give_zeros(n_rows: int) -> None:
    inputs = _inputs()
    x, y = inputs["x"][:n_rows].copy(), inputs["y"][:n_rows].copy()

    importances, std, n_trees_used = _fanova(x=x, y=y)

    assert importances.tolist() == [0.0, 0.0]
    assert std.tolist() == [0.0, 0.0]
    assert n_trees_used == 0


def test_constant_target_gives_zeros() -> None:
    importances, std, n_trees_used = _fanova(y=np.full(60, 2.5))

    assert importances.tolist() == std.tolist() == [0.0, 0.0]
    assert n_trees_used == 0


def test_no_parameters() -> None:
    importances, std, n_trees_used = _native.fanova(
        np.empty((5, 0)), np.arange(5.0), [], [], [], **FOREST
    )

    assert importances.shape == std.shape == (0,)
    assert n_trees_used == 0


@pytest.mark.parametrize("seed", range(5))
def test_importances_are_fractions_of_the_variance(seed: int) -> None:
    # Pure noise: the forest is all interactions, the hardest case for the bounds.
    rng = np.random.default_rng(seed)
    n_rows = 200
    numeric = rng.uniform(-1.0, 1.0, (n_rows, 3))
    categorical = np.column_stack([rng.integers(0, 5, n_rows), rng.integers(0, 2, n_rows)])
    x = np.ascontiguousarray(np.column_stack([numeric, categorical]), dtype=np.float64)

    importances, std, n_trees_used = _native.fanova(
        x,
        rng.normal(size=n_rows),
        [-1.0, -1.0, -1.0, 0.0, 0.0],
        [1.0, 1.0, 1.0, 0.0, 0.0],
        [0, 0, 0, 5, 2],
        n_trees=64,
        max_depth=64,
        seed=seed,
    )

    assert n_trees_used == 64
    assert ((importances >= 0.0) & (importances <= 1.0)).all()
    # Measured sums: 0.33-0.40.
    assert importances.sum() <= 1.0 + 1e-12
    assert ((std >= 0.0) & (std <= 0.5)).all()


def test_linear_function_on_a_grid() -> None:
    # y = 10 a + b on a 20 x 20 grid of [0, 1]^2: S_a = 100/101, S_b = 1/101.
    grid = np.linspace(0.0, 1.0, 20)
    a, b = (axis.ravel() for axis in np.meshgrid(grid, grid, indexing="ij"))
    x = np.column_stack([a, b])

    importances, _, _ = _native.fanova(
        x, 10.0 * a + b, [0.0, 0.0], [1.0, 1.0], [0, 0], n_trees=64, max_depth=64, seed=0
    )

    # Measured over seeds 0-2: 0.99014-0.99019 and 0.00959-0.00965.
    np.testing.assert_allclose(importances, [100 / 101, 1 / 101], atol=2e-3)


def test_pure_interaction_has_small_main_effects() -> None:
    # x1 x2 on U(-1, 1)^2: S_1 = S_2 = 0, all variance is interaction.
    x = np.random.default_rng(0).uniform(-1.0, 1.0, (1000, 2))

    importances, _, _ = _native.fanova(
        x, x[:, 0] * x[:, 1], [-1.0, -1.0], [1.0, 1.0], [0, 0], n_trees=64, max_depth=64, seed=0
    )

    # Measured over data seeds 0-29: at most 0.021, 0.010 on average.
    assert (importances < 0.05).all()


def test_stumps_credit_one_parameter_per_tree() -> None:
    # A depth-1 tree makes one cut, so one parameter explains all of its variance.
    importances, std, n_trees_used = _fanova(max_depth=1)

    assert n_trees_used == FOREST["n_trees"]
    assert importances.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(importances * n_trees_used, np.round(importances * n_trees_used))
    np.testing.assert_allclose(std, np.sqrt(importances * (1.0 - importances)), atol=1e-12)


def test_two_rows() -> None:
    # A bootstrap draws the same row twice half the time; those trees have no variance.
    x = np.array([[0.2, 0.7], [0.6, 0.1]])

    importances, _, n_trees_used = _native.fanova(
        x, np.array([0.0, 1.0]), [0.0, 0.0], [1.0, 1.0], [0, 0], n_trees=64, max_depth=64, seed=0
    )

    assert 0 < n_trees_used < 64
    assert importances.sum() == pytest.approx(1.0, abs=1e-12)


def test_one_tree_has_no_spread() -> None:
    importances, std, n_trees_used = _fanova(n_trees=1)

    assert n_trees_used == 1
    assert std.tolist() == [0.0, 0.0]
    assert (importances > 0.0).all()


def test_point_domain_gets_zero() -> None:
    # Column 0 varies in the data but the measure puts all its mass at 0.5.
    x = np.random.default_rng(0).uniform(0.0, 1.0, (100, 2))

    importances, _, _ = _native.fanova(
        x, x[:, 0] + x[:, 1], [0.5, 0.0], [0.5, 1.0], [0, 0], **FOREST
    )

    assert importances[0] == 0.0
    assert importances[1] == pytest.approx(1.0, abs=1e-12)


class TestDeterminismAndInvariance:
    @pytest.fixture
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        x = np.random.default_rng(0).uniform(0.0, 1.0, (500, 4))
        y = np.sin(3.0 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * x[:, 2]
        return x, y

    @staticmethod
    def _run(x: np.ndarray, y: np.ndarray, **overrides: Any) -> tuple[np.ndarray, np.ndarray]:
        arguments = {"n_trees": 64, "max_depth": 64, "seed": 0, **overrides}
        bounds = {"low": [0.0] * 4, "high": [1.0] * 4, "n_choices": [0] * 4}
        bounds.update({k: arguments.pop(k) for k in list(arguments) if k in bounds})
        importances, std, _ = _native.fanova(x, y, **bounds, **arguments)
        return importances, std

    def test_thread_count_does_not_matter(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        one, *others = (self._run(*data, n_threads=n) for n in (1, 2, 5, None))

        for other in others:
            assert one[0].tolist() == other[0].tolist()
            assert one[1].tolist() == other[1].tolist()

    def test_seed_matters(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        first, _ = self._run(*data, seed=0)
        second, _ = self._run(*data, seed=1)

        assert (first != second).all()
        np.testing.assert_allclose(first, second, atol=0.02)

    def test_negated_target(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = data

        assert self._run(x, -y)[0].tolist() == self._run(x, y)[0].tolist()

    def test_rescaled_column_and_bounds(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = data
        stretched = x * np.array([4.0, 1.0, 1.0, 1.0])

        result, _ = self._run(stretched, y, high=[4.0, 1.0, 1.0, 1.0])

        assert result.tolist() == self._run(x, y)[0].tolist()

    def test_permuted_columns(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = data
        order = [2, 0, 3, 1]

        permuted, _ = self._run(np.ascontiguousarray(x[:, order]), y)

        # Columns that cut a node's rows the same way tie; the tie goes to the column visited
        # first, and the visiting order is drawn over column positions. Measured: 8.7e-4.
        np.testing.assert_allclose(permuted, self._run(x, y)[0][order], atol=5e-3)

    def test_affine_target(self, data: tuple[np.ndarray, np.ndarray]) -> None:
        x, y = data

        shifted, _ = self._run(x, 3.0 * y + 5.0)

        # Only the targets' last bits change, and near-tied cuts count as ties: measured 2e-19.
        np.testing.assert_allclose(shifted, self._run(x, y)[0], atol=1e-9)

//! Python bindings of the `hpimportance` core: convert, release the GIL, call the core, map the
//! error. Nothing here computes; see the core crate for what each function means.

use hpimportance::ped_anova::{self, Grid, Problem, Reference};
use hpimportance::{
    Dataset, Detail, DetailResult, Domain, Error, FanovaResult, ForestParams, SearchSpace,
    TreeBuilder, WorkerPool,
};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The one place where core errors become Python exceptions: bad input is a `ValueError`, a
/// failure to start threads a `RuntimeError`.
fn to_py_err(error: Error) -> PyErr {
    match error {
        Error::ThreadPool { .. } => PyRuntimeError::new_err(error.to_string()),
        _ => PyValueError::new_err(error.to_string()),
    }
}

/// Builds the search space from per-parameter arrays: `n_choices[j] == 0` marks a numeric
/// parameter on `[low[j], high[j]]`, otherwise a categorical with that many choices.
fn search_space(low: &[f64], high: &[f64], n_choices: &[usize]) -> PyResult<SearchSpace> {
    if low.len() != high.len() || low.len() != n_choices.len() {
        return Err(PyValueError::new_err(format!(
            "low, high and n_choices must have one entry per parameter, got {}, {} and {}",
            low.len(),
            high.len(),
            n_choices.len()
        )));
    }
    let domains = (0..low.len())
        .map(|j| match n_choices[j] {
            0 => Domain::Numeric { low: low[j], high: high[j] },
            n_choices => Domain::Categorical { n_choices },
        })
        .collect();
    SearchSpace::new(domains).map_err(to_py_err)
}

/// How many trees to fit between two checks for Ctrl-C. Each check waits for the slowest tree
/// of the chunk, so chunks hold several trees per thread on small data (a tree of 1,000 rows
/// takes a fraction of a millisecond) and one per thread from 200,000 rows on, which keeps the
/// answer to an interrupt within about a second.
fn trees_per_chunk(n_threads: usize, n_rows: usize) -> usize {
    n_threads.saturating_mul((200_000 / n_rows.max(1)).clamp(1, 64))
}

/// What `fanova` returns: per-parameter mean and std of the importances, and the number of
/// trees they average.
type FanovaArrays<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, usize);

/// What `fanova_detail` returns beyond `fanova`'s arrays: per pair the mean and std of the
/// pairwise importance, and per requested marginal its mean and std at each value.
type DetailArrays<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Vec<Bound<'py, PyArray1<f64>>>,
    Vec<Bound<'py, PyArray1<f64>>>,
);

/// Checks the arrays and settings of a fANOVA call, fits the forest and decomposes its trees,
/// checking for Ctrl-C between chunks of trees.
#[allow(clippy::too_many_arguments)]
fn run_fanova(
    py: Python<'_>,
    x: &PyReadonlyArray2<'_, f64>,
    y: &PyReadonlyArray1<'_, f64>,
    space: &SearchSpace,
    (n_trees, max_depth, seed): (usize, usize, u64),
    n_threads: Option<usize>,
    detail: &Detail,
) -> PyResult<(FanovaResult, DetailResult)> {
    let params = ForestParams::new(n_trees, max_depth, seed).map_err(to_py_err)?;
    if n_threads == Some(0) {
        return Err(to_py_err(Error::InvalidForestSetting { name: "n_threads", value: 0 }));
    }
    let (x_values, y_values) = checked_slices(x, y, space)?;
    let data = Dataset::new(x_values, y_values, space).map_err(to_py_err)?;

    let (pool, builder) = py
        .detach(|| {
            WorkerPool::new(n_threads, n_trees).map(|pool| (pool, TreeBuilder::new(data, params)))
        })
        .map_err(to_py_err)?;
    // Under two rows there is no variance to explain: no tree is fitted.
    let n_fitted = if data.n_rows() < 2 { 0 } else { n_trees };
    let chunk = trees_per_chunk(pool.n_threads(), data.n_rows());
    let mut per_tree = Vec::new();
    let mut start = 0;
    while start < n_fitted {
        let end = (start + chunk).min(n_fitted);
        per_tree.extend(
            py.detach(|| {
                hpimportance::decompositions_of_trees(&builder, start..end, detail, &pool)
            }),
        );
        py.check_signals()?;
        start = end;
    }
    let result = hpimportance::summarize(&per_tree, space.len());
    Ok((result, hpimportance::summarize_detail(&per_tree, detail, &builder)))
}

/// fANOVA importances: `(mean, std, n_trees_used)`; see `hpimportance::fanova`.
#[pyfunction]
#[pyo3(signature = (x, y, low, high, n_choices, *, n_trees, max_depth, seed, n_threads = None))]
#[allow(clippy::too_many_arguments)]
fn fanova<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    low: Vec<f64>,
    high: Vec<f64>,
    n_choices: Vec<usize>,
    n_trees: usize,
    max_depth: usize,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<FanovaArrays<'py>> {
    let space = search_space(&low, &high, &n_choices)?;
    let settings = (n_trees, max_depth, seed);
    let (result, _) = run_fanova(py, &x, &y, &space, settings, n_threads, &Detail::default())?;
    Ok((result.importances.into_pyarray(py), result.std.into_pyarray(py), result.n_trees_used))
}

/// fANOVA importances with pairwise importances and marginal curves: `fanova`'s arrays, then
/// `(pairwise, pairwise_std, marginal_mean, marginal_std)`; see `hpimportance::Detail`.
#[pyfunction]
#[pyo3(signature = (
    x, y, low, high, n_choices, *, n_trees, max_depth, seed, n_threads = None, pairs, points
))]
#[allow(clippy::too_many_arguments)]
fn fanova_detail<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    low: Vec<f64>,
    high: Vec<f64>,
    n_choices: Vec<usize>,
    n_trees: usize,
    max_depth: usize,
    seed: u64,
    n_threads: Option<usize>,
    pairs: Vec<(usize, usize)>,
    points: Vec<(usize, Vec<f64>)>,
) -> PyResult<(FanovaArrays<'py>, DetailArrays<'py>)> {
    let space = search_space(&low, &high, &n_choices)?;
    let detail = Detail::new(pairs, points, &space).map_err(to_py_err)?;
    let settings = (n_trees, max_depth, seed);
    let (result, detail) = run_fanova(py, &x, &y, &space, settings, n_threads, &detail)?;
    let arrays = |rows: Vec<Vec<f64>>| rows.into_iter().map(|row| row.into_pyarray(py)).collect();
    Ok((
        (result.importances.into_pyarray(py), result.std.into_pyarray(py), result.n_trees_used),
        (
            detail.pairwise.into_pyarray(py),
            detail.pairwise_std.into_pyarray(py),
            arrays(detail.marginal_mean),
            arrays(detail.marginal_std),
        ),
    ))
}

/// The values of `x` (row-major) and `y` as slices, checked to fit `space`.
fn checked_slices<'a>(
    x: &'a PyReadonlyArray2<'_, f64>,
    y: &'a PyReadonlyArray1<'_, f64>,
    space: &SearchSpace,
) -> PyResult<(&'a [f64], &'a [f64])> {
    // `PyReadonlyArray::as_slice` would also accept a Fortran-ordered array and read its
    // columns as rows; an `ndarray` view hands out a slice only in row-major order.
    let x_view = x.as_array();
    let (x_rows, x_cols) = x_view.dim();
    let x_values = x_view.to_slice().ok_or_else(|| {
        PyValueError::new_err(
            "x must be a C-contiguous float64 array; \
             pass np.ascontiguousarray(x, dtype=np.float64)",
        )
    })?;
    let y_values = y.as_slice().map_err(|_| {
        PyValueError::new_err("y must be a contiguous float64 array; pass np.ascontiguousarray(y)")
    })?;
    if x_cols != space.len() {
        return Err(to_py_err(Error::ColumnCountMismatch { x_cols, n_params: space.len() }));
    }
    if x_rows != y_values.len() {
        return Err(to_py_err(Error::RowCountMismatch { x_rows, y_len: y_values.len() }));
    }
    Ok((x_values, y_values))
}

/// Mean decrease impurity: `(importances, n_trees_used)`; see
/// `hpimportance::mean_decrease_impurity`.
#[pyfunction]
#[pyo3(signature = (x, y, low, high, n_choices, *, n_trees, max_depth, seed, n_threads = None))]
#[allow(clippy::too_many_arguments)]
fn mean_decrease_impurity<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    low: Vec<f64>,
    high: Vec<f64>,
    n_choices: Vec<usize>,
    n_trees: usize,
    max_depth: usize,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, usize)> {
    let space = search_space(&low, &high, &n_choices)?;
    let params = ForestParams::new(n_trees, max_depth, seed).map_err(to_py_err)?;
    if n_threads == Some(0) {
        return Err(to_py_err(Error::InvalidForestSetting { name: "n_threads", value: 0 }));
    }
    let (x_values, y_values) = checked_slices(&x, &y, &space)?;
    let data = Dataset::new(x_values, y_values, &space).map_err(to_py_err)?;
    if data.n_rows() < 2 {
        return Ok((vec![0.0; space.len()].into_pyarray(py), 0));
    }

    let (pool, builder) = py
        .detach(|| {
            WorkerPool::new(n_threads, n_trees).map(|pool| (pool, TreeBuilder::new(data, params)))
        })
        .map_err(to_py_err)?;
    let chunk = trees_per_chunk(pool.n_threads(), data.n_rows());
    let mut per_tree = Vec::with_capacity(n_trees);
    let mut start = 0;
    while start < n_trees {
        let end = start.saturating_add(chunk).min(n_trees);
        per_tree
            .extend(py.detach(|| hpimportance::decreases_of_trees(&builder, start..end, &pool)));
        py.check_signals()?;
        start = end;
    }
    let result = hpimportance::summarize_decreases(&per_tree, space.len());
    Ok((result.importances.into_pyarray(py), result.n_trees_used))
}

/// PED-ANOVA: the Pearson divergence of each problem, in order; see
/// `hpimportance::ped_anova::divergences`. Problem `i` has the values `values[i]` with top-set
/// flags `is_top[i]` on a grid of `grid_size[i]` points: choice indices where `categorical[i]`,
/// otherwise evenly spaced from `low[i]` to `high[i]`.
#[pyfunction]
#[pyo3(signature = (
    values, is_top, grid_size, low, high, categorical, *, evaluate_on_local, n_threads = None
))]
#[allow(clippy::too_many_arguments)]
fn ped_anova_divergences<'py>(
    py: Python<'py>,
    values: Vec<PyReadonlyArray1<'py, f64>>,
    is_top: Vec<PyReadonlyArray1<'py, bool>>,
    grid_size: Vec<usize>,
    low: Vec<f64>,
    high: Vec<f64>,
    categorical: Vec<bool>,
    evaluate_on_local: bool,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let n_problems = values.len();
    let lengths = [is_top.len(), grid_size.len(), low.len(), high.len(), categorical.len()];
    if lengths.iter().any(|&length| length != n_problems) {
        return Err(PyValueError::new_err(format!(
            "values, is_top, grid_size, low, high and categorical must have one entry per \
             problem, got {n_problems}, {}, {}, {}, {} and {}",
            lengths[0], lengths[1], lengths[2], lengths[3], lengths[4]
        )));
    }
    let contiguous = |name: &str| {
        PyValueError::new_err(format!(
            "{name} must hold contiguous 1-D arrays; pass np.ascontiguousarray(...)"
        ))
    };
    let mut problems = Vec::with_capacity(n_problems);
    for i in 0..n_problems {
        let grid = if categorical[i] {
            Grid::Categorical { n_choices: grid_size[i] }
        } else {
            Grid::Numeric { n_points: grid_size[i], low: low[i], high: high[i] }
        };
        problems.push(Problem {
            grid,
            values: values[i].as_slice().map_err(|_| contiguous("values"))?,
            is_top: is_top[i].as_slice().map_err(|_| contiguous("is_top"))?,
        });
    }
    let reference = if evaluate_on_local { Reference::Region } else { Reference::Uniform };

    let divergences =
        py.detach(|| ped_anova::divergences(&problems, reference, n_threads)).map_err(to_py_err)?;
    Ok(divergences.into_pyarray(py))
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_function(wrap_pyfunction!(fanova, module)?)?;
    module.add_function(wrap_pyfunction!(fanova_detail, module)?)?;
    module.add_function(wrap_pyfunction!(mean_decrease_impurity, module)?)?;
    module.add_function(wrap_pyfunction!(ped_anova_divergences, module)?)?;
    Ok(())
}

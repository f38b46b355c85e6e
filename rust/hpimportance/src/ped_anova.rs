//! PED-ANOVA: how far the best trials' distribution of a parameter departs from all trials'.
//!
//! References: S. Watanabe, A. Bansal and F. Hutter, "PED-ANOVA: Efficiently Quantifying
//! Hyperparameter Importance in Arbitrary Subspaces", IJCAI 2023
//! (<https://arxiv.org/abs/2304.10255>), and its extension to conditional search spaces,
//! "Conditional PED-ANOVA: Hyperparameter Importance in Hierarchical & Dynamic Search Spaces",
//! KDD 2026 (<https://arxiv.org/abs/2601.20800>). The numbers are those of Optuna 5.0's
//! `PedAnovaImportanceEvaluator`.
//!
//! This module holds the numeric half of the method. A [`Problem`] is one parameter on one
//! domain (one *regime* of a conditional parameter): its [`Grid`], the values the trials of a
//! *region set* took on it, and which of those trials belong to the *top set*. For each problem:
//!
//! 1. every value is snapped to the nearest grid point and counted, once for the region set
//!    and once for the top set ([`grid_counts`]);
//! 2. each set of counts becomes a Parzen estimate on the grid ([`parzen_density`]): a mixture
//!    of one kernel per occupied grid point, weighted by its count, and one prior kernel of
//!    weight [`PRIOR_WEIGHT`]. Numeric kernels are normal densities discretized on the grid and
//!    truncated to it, with one bandwidth from Scott's rule ([`scott_bandwidth`]); the prior is
//!    as wide as the grid. A categorical kernel puts most of its mass on its own choice;
//! 3. the importance of the problem is the Pearson divergence of the top estimate from a
//!    reference ([`pearson_divergence`]): the region estimate, or the uniform distribution on
//!    the grid ([`Reference`]).
//!
//! Interval masses of the normal distribution are computed in log space with a tail-aware
//! normal CDF, so narrow kernels keep their relative accuracy many standard deviations out.
//!
//! ```
//! use hpimportance::ped_anova::{divergences, Grid, Problem, Reference};
//!
//! // Ten trials: the three best tried x near 0 and each of the two choices of c.
//! let x = [0.0, 0.05, 0.1, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
//! let c = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
//! let is_top = [true, true, true, false, false, false, false, false, false, false];
//! let numeric = Grid::Numeric { n_points: 50, low: 0.0, high: 1.0 };
//! let categorical = Grid::Categorical { n_choices: 2 };
//! let problems = [
//!     Problem { grid: numeric, values: &x, is_top: &is_top },
//!     Problem { grid: categorical, values: &c, is_top: &is_top },
//! ];
//! let importance = divergences(&problems, Reference::Region, None)?;
//! assert!(importance[0] > 10.0 * importance[1]);
//! # Ok::<(), hpimportance::Error>(())
//! ```
//!
//! Cost: `O(m)` to count `m` values, then `O(g²)` for a grid of `g` points (at most `g + 1`
//! kernels evaluated at `g` points), per problem; [`divergences`] runs problems in parallel.

use rayon::prelude::*;

use crate::error::Error;
use crate::parallel::WorkerPool;

/// Weight of the prior kernel relative to one observation (Optuna's choice).
pub const PRIOR_WEIGHT: f64 = 1.0;

/// Added to both densities before the divergence, so that no grid point has zero density.
pub const DENSITY_FLOOR: f64 = 1e-12;

/// Scott's rule never gives a numeric kernel a bandwidth below this many grid steps, so that
/// about 90% of a kernel's mass (±1.64 standard deviations) stays within one step.
pub const MIN_BANDWIDTH: f64 = 0.5 / 1.64;

/// Below this many values in all, problems run one after the other: starting threads would
/// cost more than they save.
const PARALLEL_MIN_VALUES: usize = 50_000;

/// The points a parameter's values are snapped to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Grid {
    /// A categorical parameter: values are choice indices `0..n_choices`.
    Categorical {
        /// The number of choices (at least 1).
        n_choices: usize,
    },
    /// `n_points` evenly spaced points from `low` to `high` (both included). For a parameter
    /// searched on a log scale, give the logarithms of its values and bounds.
    Numeric {
        /// The number of points (at least 1).
        n_points: usize,
        /// The first point.
        low: f64,
        /// The last point.
        high: f64,
    },
}

impl Grid {
    /// The number of grid points.
    pub fn len(&self) -> usize {
        match *self {
            Grid::Categorical { n_choices } => n_choices,
            Grid::Numeric { n_points, .. } => n_points,
        }
    }

    /// Whether the grid has no points (never the case for a grid that [`Grid::check`] accepts).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that the grid has points and, if numeric, finite bounds with `low <= high`.
    ///
    /// # Errors
    /// [`Error::EmptyGrid`] or [`Error::InvalidGridBounds`].
    pub fn check(&self) -> Result<(), Error> {
        if self.is_empty() {
            return Err(Error::EmptyGrid);
        }
        if let Grid::Numeric { low, high, .. } = *self {
            if !(low.is_finite() && high.is_finite() && low <= high) {
                return Err(Error::InvalidGridBounds { low, high });
            }
        }
        Ok(())
    }

    /// The grid point `value` belongs to, or `None` for a value the grid cannot hold (not
    /// finite, or not a choice index). A numeric value goes to the nearest point, a value
    /// exactly halfway between two points to the lower one, and a value outside `[low, high]`
    /// to the nearest end.
    pub fn index_of(&self, value: f64) -> Option<usize> {
        match *self {
            Grid::Categorical { n_choices } => {
                let is_index = value >= 0.0 && value < n_choices as f64 && value.fract() == 0.0;
                is_index.then_some(value as usize)
            }
            Grid::Numeric { n_points, low, high } => {
                if !value.is_finite() {
                    return None;
                }
                if n_points < 2 || low == high {
                    return Some(0);
                }
                let step = (high - low) / (n_points - 1) as f64;
                // Rounding up from the lower half keeps midpoints on the lower point.
                let position = ((value - low) / step - 0.5).ceil();
                Some(position.clamp(0.0, (n_points - 1) as f64) as usize)
            }
        }
    }
}

/// How many values fall on each grid point, in the region set and in the top set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCounts {
    /// Per grid point, the number of top-set values on it.
    pub top: Vec<u64>,
    /// Per grid point, the number of region-set values (top set included) on it.
    pub region: Vec<u64>,
}

/// Counts the values of one problem on its grid.
///
/// # Errors
/// As [`Grid::check`]; [`Error::TopFlagsMismatch`] if `is_top` is not as long as `values`;
/// [`Error::NonFiniteGridValue`] or [`Error::InvalidGridChoice`] for a value the grid cannot
/// hold.
pub fn grid_counts(grid: &Grid, values: &[f64], is_top: &[bool]) -> Result<GridCounts, Error> {
    grid.check()?;
    if values.len() != is_top.len() {
        return Err(Error::TopFlagsMismatch { n_values: values.len(), n_flags: is_top.len() });
    }

    let mut top = vec![0; grid.len()];
    let mut region = vec![0; grid.len()];
    for (row, (&value, &in_top)) in values.iter().zip(is_top).enumerate() {
        let index = grid.index_of(value).ok_or(match *grid {
            Grid::Categorical { n_choices } => Error::InvalidGridChoice { row, value, n_choices },
            Grid::Numeric { .. } => Error::NonFiniteGridValue { row, value },
        })?;
        region[index] += 1;
        top[index] += u64::from(in_top);
    }
    Ok(GridCounts { top, region })
}

/// The Scott's-rule bandwidth, in grid steps, of a numeric Parzen estimate with these counts
/// per grid point: `max(1.059 · min(IQR / 1.34, s) · n^(-1/5), MIN_BANDWIDTH)`, with `n` the
/// total count, `s` the weighted standard deviation of the grid indices (divided by `n - 1`)
/// and `IQR` the distance between the occupied points holding the lower and upper quartiles.
/// `None` when every count is zero.
pub fn scott_bandwidth(counts: &[u64]) -> Option<f64> {
    let occupied: Vec<(usize, u64)> =
        counts.iter().enumerate().filter(|&(_, &c)| c > 0).map(|(g, &c)| (g, c)).collect();
    let total: u64 = occupied.iter().map(|&(_, c)| c).sum();
    if total == 0 {
        return None;
    }

    // The weighted index sum is an exact integer, as in Optuna.
    let index_sum: u128 = occupied.iter().map(|&(g, c)| g as u128 * u128::from(c)).sum();
    let mean = index_sum as f64 / total as f64;
    let squares: f64 = occupied.iter().map(|&(g, c)| (g as f64 - mean).powi(2) * c as f64).sum();
    let std = (squares / total.saturating_sub(1).max(1) as f64).sqrt();

    // The quartiles are the first occupied points whose cumulative count reaches n // 4 and
    // exceeds 3n // 4, in integer arithmetic.
    let (lower, upper) = (total / 4, (3 * u128::from(total) / 4) as u64);
    let mut cumulative = 0;
    let (mut q1, mut q3) = (None, None);
    for &(g, c) in &occupied {
        cumulative += c;
        if q1.is_none() && cumulative >= lower {
            q1 = Some(g);
        }
        if q3.is_none() && cumulative > upper {
            q3 = Some(g);
        }
    }
    let last = occupied.last().map_or(0, |&(g, _)| g);
    let iqr = (q3.unwrap_or(last) - q1.unwrap_or(last)) as f64;

    let spread = iqr / 1.34;
    let spread = if std < spread { std } else { spread };
    let bandwidth = 1.059 * spread * (total as f64).powf(-0.2);
    Some(if MIN_BANDWIDTH > bandwidth { MIN_BANDWIDTH } else { bandwidth })
}

/// The Parzen estimate's probability of each grid point, given the counts per grid point of
/// the trials it is built from (`counts.len()` grid points; all zero: the prior alone).
///
/// Numeric grids (`categorical == false`) treat the points as the integers `0..g`: each
/// occupied point `x` contributes a normal kernel centred on `x` with the bandwidth of
/// [`scott_bandwidth`], and the prior a normal kernel centred on the middle of the grid with
/// standard deviation `g`; every kernel is discretized (the mass of `[x - 1/2, x + 1/2]` goes
/// to point `x`) and renormalized to the grid. With `M` kernels in all, a categorical kernel of
/// choice `o` puts `(p / M + [x = o]) / (1 + g p / M)` on choice `x`, `p` being
/// [`PRIOR_WEIGHT`], and the prior is uniform. Kernels are weighted by their counts and the
/// prior by [`PRIOR_WEIGHT`].
pub fn parzen_density(counts: &[u64], categorical: bool) -> Vec<f64> {
    let occupied: Vec<(usize, u64)> =
        counts.iter().enumerate().filter(|&(_, &c)| c > 0).map(|(g, &c)| (g, c)).collect();
    let total = occupied.iter().map(|&(_, c)| c as f64).sum::<f64>() + PRIOR_WEIGHT;
    let weights: Vec<f64> = occupied.iter().map(|&(_, c)| c as f64 / total).collect();
    let prior_weight = PRIOR_WEIGHT / total;

    let n = counts.len();
    if categorical {
        // Few kernels on few choices: a log-sum-exp per choice, as Optuna evaluates it.
        let log_kernels = categorical_log_kernels(&occupied, n);
        let log_weights: Vec<f64> = weights.iter().chain([&prior_weight]).map(|w| w.ln()).collect();
        let mut terms = vec![0.0; log_weights.len()];
        return (0..n)
            .map(|x| {
                for (k, term) in terms.iter_mut().enumerate() {
                    *term = log_kernels.mass(k, x) + log_weights[k];
                }
                log_sum_exp(&terms).exp()
            })
            .collect();
    }

    // Every occupied point's kernel has the same shape, so its mass at x depends on x - g
    // only: 2n - 1 interval masses serve all n² pairs, each computed in log space (far tails
    // stay accurate) and exponentiated once. A mass too small for a double (far out in a
    // narrow kernel's tail) becomes 0, which cannot matter: the prior alone puts about
    // 0.8 / (n (N + 1)) or more on every point, N being the total count.
    let bandwidth = scott_bandwidth(counts).unwrap_or(MIN_BANDWIDTH);
    let kernels = NumericLogKernels::new(&occupied, n, bandwidth);
    let by_offset: Vec<f64> = kernels.by_offset.iter().map(|m| m.exp()).collect();
    let scales: Vec<f64> = weights
        .iter()
        .zip(&kernels.log_normalizers)
        .map(|(weight, log_normalizer)| weight * (-log_normalizer).exp())
        .collect();
    (0..n)
        .map(|x| {
            let observed: f64 = occupied
                .iter()
                .zip(&scales)
                .map(|(&(g, _), scale)| scale * by_offset[x + n - 1 - g])
                .sum();
            observed + prior_weight * kernels.prior[x].exp()
        })
        .collect()
}

/// `Σ_x r_x (t_x / r_x - 1)²`: the Pearson χ² divergence of `top` from `reference`, two
/// distributions on the same grid points. Zero when they are equal. Entries beyond the shorter
/// of the two are ignored.
pub fn pearson_divergence(top: &[f64], reference: &[f64]) -> f64 {
    top.iter().zip(reference).map(|(&t, &r)| r * (t / r - 1.0).powi(2)).sum()
}

/// What the top set's density is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The Parzen estimate of the region set: how much the parameter mattered among the
    /// configurations the study actually tried (Optuna's `evaluate_on_local=True`).
    Region,
    /// The uniform distribution on the grid: how much it matters over the whole domain.
    Uniform,
}

/// One parameter on one domain: the values the region set's trials took and which of those
/// trials are in the top set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Problem<'a> {
    /// The grid the values are snapped to.
    pub grid: Grid,
    /// One value per region-set trial: a number (its logarithm on a log-scaled grid) or a
    /// choice index.
    pub values: &'a [f64],
    /// Per value, whether its trial is in the top set.
    pub is_top: &'a [bool],
}

/// The Pearson divergence of the top set's Parzen estimate from the `reference`, after adding
/// [`DENSITY_FLOOR`] to each estimate. Identical top and region sets give exactly 0.
///
/// # Errors
/// As [`grid_counts`].
pub fn divergence(problem: &Problem<'_>, reference: Reference) -> Result<f64, Error> {
    let counts = grid_counts(&problem.grid, problem.values, problem.is_top)?;
    let categorical = matches!(problem.grid, Grid::Categorical { .. });
    let floored = |counts: &[u64]| -> Vec<f64> {
        parzen_density(counts, categorical).into_iter().map(|p| p + DENSITY_FLOOR).collect()
    };

    let top = floored(&counts.top);
    let reference = match reference {
        Reference::Region => floored(&counts.region),
        Reference::Uniform => vec![1.0 / problem.grid.len() as f64; problem.grid.len()],
    };
    Ok(pearson_divergence(&top, &reference))
}

/// [`divergence`] of each problem, in order, on `n_threads` threads (`None`: one per core). The
/// result does not depend on the number of threads.
///
/// # Errors
/// [`Error::InProblem`] around the first failing problem's error (as [`grid_counts`]);
/// [`Error::InvalidForestSetting`] for `n_threads == Some(0)`; [`Error::ThreadPool`] if the
/// threads cannot be started.
pub fn divergences(
    problems: &[Problem<'_>],
    reference: Reference,
    n_threads: Option<usize>,
) -> Result<Vec<f64>, Error> {
    let solve = |(index, problem): (usize, &Problem<'_>)| {
        divergence(problem, reference)
            .map_err(|error| Error::InProblem { problem: index, source: Box::new(error) })
    };
    if n_threads == Some(0) {
        return Err(Error::InvalidForestSetting { name: "n_threads", value: 0 });
    }

    let n_values: usize = problems.iter().map(|problem| problem.values.len()).sum();
    let results: Vec<Result<f64, Error>> = if n_values < PARALLEL_MIN_VALUES {
        problems.iter().enumerate().map(solve).collect()
    } else {
        let pool = WorkerPool::new(n_threads, problems.len())?;
        pool.install(|| problems.par_iter().enumerate().map(solve).collect())
    };
    // Collecting in order reports the first failing problem, whatever the threads did.
    results.into_iter().collect()
}

/// `log Σ exp(terms)`, with the largest term factored out (no term may be NaN).
fn log_sum_exp(terms: &[f64]) -> f64 {
    let largest = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // All terms -inf (zero probability): factor out 0 rather than form -inf - -inf.
    let shift = if largest == f64::NEG_INFINITY { 0.0 } else { largest };
    terms.iter().map(|&term| (term - shift).exp()).sum::<f64>().ln() + shift
}

/// Log-probabilities of the categorical kernels: one per occupied choice, then the prior.
struct CategoricalLogKernels {
    /// Per occupied choice, in order: the choice, the log mass of that choice and of any other.
    occupied: Vec<(usize, f64, f64)>,
    /// The prior's log mass of every choice.
    prior: f64,
}

impl CategoricalLogKernels {
    fn mass(&self, kernel: usize, choice: usize) -> f64 {
        match self.occupied.get(kernel) {
            Some(&(own, on_own, elsewhere)) => {
                if choice == own {
                    on_own
                } else {
                    elsewhere
                }
            }
            None => self.prior,
        }
    }
}

fn categorical_log_kernels(occupied: &[(usize, u64)], n_choices: usize) -> CategoricalLogKernels {
    // Every kernel spreads PRIOR_WEIGHT / M over all choices; an occupied one adds 1 to its own.
    let spread = PRIOR_WEIGHT / (occupied.len() + 1) as f64;
    let own_row_sum = (0..n_choices).fold(0.0, |sum, _| sum + spread) + 1.0;
    let prior_row_sum = (0..n_choices).fold(0.0, |sum, _| sum + spread);
    CategoricalLogKernels {
        occupied: occupied
            .iter()
            .map(|&(choice, _)| {
                (choice, ((spread + 1.0) / own_row_sum).ln(), (spread / own_row_sum).ln())
            })
            .collect(),
        prior: (spread / prior_row_sum).ln(),
    }
}

/// Log-masses of the numeric kernels on a grid of `n` points: one kernel per occupied point
/// (all with the same bandwidth), and the prior.
struct NumericLogKernels {
    /// `log mass([d - 1/2, d + 1/2])` of a centred kernel, for `d` in `-(n - 1)..=n - 1`.
    by_offset: Vec<f64>,
    /// Per occupied point, the log mass its kernel has on the grid.
    log_normalizers: Vec<f64>,
    /// Per grid point, the prior's log mass there, normalized.
    prior: Vec<f64>,
}

impl NumericLogKernels {
    fn new(occupied: &[(usize, u64)], n: usize, bandwidth: f64) -> Self {
        // On the grid 0..n: a kernel keeps the mass of [-1/2, n - 1/2].
        let (grid_low, grid_high) = (-0.5, (n as f64 - 1.0) + 0.5);
        let by_offset = (0..(2 * n).saturating_sub(1))
            .map(|i| {
                let offset = i as f64 - (n as f64 - 1.0);
                log_normal_mass((offset - 0.5) / bandwidth, (offset + 0.5) / bandwidth)
            })
            .collect();
        let log_normalizers = occupied
            .iter()
            .map(|&(g, _)| {
                let centre = g as f64;
                log_normal_mass((grid_low - centre) / bandwidth, (grid_high - centre) / bandwidth)
            })
            .collect();

        let (centre, width) = ((n as f64 - 1.0) / 2.0, n as f64);
        let prior_normalizer =
            log_normal_mass((grid_low - centre) / width, (grid_high - centre) / width);
        let prior = (0..n)
            .map(|x| {
                let point = x as f64;
                let mass = log_normal_mass(
                    ((point - 0.5) - centre) / width,
                    ((point + 0.5) - centre) / width,
                );
                mass - prior_normalizer
            })
            .collect();

        Self { by_offset, log_normalizers, prior }
    }
}

/// `sqrt(2)`, as Optuna writes it (`2**0.5`).
const SQRT_2: f64 = std::f64::consts::SQRT_2;

/// Φ(a), the standard normal CDF, accurate relative to Φ(a) for a far below 0 and relative to
/// 1 - Φ(a) for a far above 0: `erfc` serves each tail, `erf` the middle.
fn normal_cdf(a: f64) -> f64 {
    let x = a / SQRT_2;
    let middle = 1.0 / SQRT_2;
    if x < -middle {
        0.5 * libm::erfc(-x)
    } else if x < middle {
        0.5 + 0.5 * libm::erf(x)
    } else {
        1.0 - 0.5 * libm::erfc(x)
    }
}

/// log Φ(a), finite down to the far left tail, where Φ(a) underflows: there the asymptotic
/// expansion `Φ(a) = φ(a) / |a| · (1 - 1/a² + 3/a⁴ - 15/a⁶ + ...)` is summed until its
/// partial sums stop changing.
fn log_normal_cdf(a: f64) -> f64 {
    if a > 6.0 {
        // log(1 - q) for the small right tail q = 1 - Φ(a), without forming 1 - q.
        return (-normal_cdf(-a)).ln_1p();
    }
    if a > -20.0 {
        return normal_cdf(a).ln();
    }

    let log_leading = -0.5 * (a * a) - (-a).ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    let ratio = 1.0 / (a * a);
    let (mut previous, mut series): (f64, f64) = (0.0, 1.0);
    let (mut numerator, mut power, mut sign) = (1.0, 1.0, 1.0);
    // The terms shrink while (2i - 1) / a² < 1, i.e. for i up to 200 at a = -20: the series
    // has settled to double precision well before. The bound only guards against NaN input.
    for i in 1..=1000_u32 {
        if (previous - series).abs() <= f64::EPSILON {
            break;
        }
        previous = series;
        sign = -sign;
        power *= ratio;
        numerator *= f64::from(2 * i - 1);
        series += sign * numerator * power;
    }
    log_leading + series.ln()
}

/// `log(e^p - e^q)` for `q <= p`.
fn log_difference(log_p: f64, log_q: f64) -> f64 {
    log_p + (-(log_q - log_p).exp()).ln_1p()
}

/// log(Φ(b) - Φ(a)) for `a <= b`: the log probability that a standard normal variable falls in
/// `[a, b]`. An interval in either tail is measured from that tail in log space (the right one
/// by symmetry); an interval around 0 directly, as 1 minus the two tails.
fn log_normal_mass(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        log_difference(log_normal_cdf(b), log_normal_cdf(a))
    } else if a > 0.0 {
        log_difference(log_normal_cdf(-a), log_normal_cdf(-b))
    } else {
        let below = 0.5 + 0.5 * libm::erf(a / SQRT_2);
        let above = 0.5 + 0.5 * libm::erf(-b / SQRT_2);
        (-below - above).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, relative: f64) {
        let scale = expected.abs().max(f64::MIN_POSITIVE);
        assert!(
            (actual - expected).abs() <= relative * scale,
            "{actual:e} differs from {expected:e} by more than {relative:e} relative"
        );
    }

    #[test]
    fn normal_mass_is_accurate_in_both_tails_and_the_middle() {
        // Reference values from mpmath at 50 digits.
        let cases = [
            (-1.0, 1.0, -0.38171514630212605),
            (-0.5, 0.25, -1.2372925013224503),
            (0.0, 0.5, -1.6530635142555676),
            (1.0, 2.0, -1.9957982691807554),
            (-2.0, -1.0, -1.9957982691807554),
            (-30.0, -29.0, -424.7874199097303),
            (29.0, 30.0, -424.7874199097303),
            (-160.0, -159.5, -12726.116021759357),
            (8.0, 9.0, -35.01361859343715),
        ];
        for (a, b, expected) in cases {
            assert_close(log_normal_mass(a, b), expected, 1e-14);
        }
    }

    #[test]
    fn log_cdf_joins_its_three_regimes_smoothly() {
        // On both sides of -20, where the method changes, and beyond 6 (mpmath at 50 digits).
        assert_close(log_normal_cdf(-20.0), -203.91715537109727, 1e-15);
        assert_close(log_normal_cdf(-20.000001), -203.91717542085084, 1e-15);
        assert_close(log_normal_cdf(-19.999999), -203.91713532134466, 1e-15);
        assert_close(log_normal_cdf(-40.0), -804.6084420137538, 1e-15);
        assert_close(log_normal_cdf(-5.0), -15.064998393988725, 1e-15);
        assert_close(log_normal_cdf(6.5), -4.016000583939759e-11, 1e-14);
        assert_eq!(log_normal_cdf(f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    #[test]
    fn values_snap_to_the_nearest_point_and_midpoints_go_down() {
        let grid = Grid::Numeric { n_points: 5, low: 0.0, high: 4.0 };
        let indices = [-3.0, 0.0, 0.5, 0.51, 1.49, 1.5, 3.5, 3.6, 9.0].map(|v| grid.index_of(v));
        let expected = [0, 0, 0, 1, 1, 1, 3, 4, 4].map(Some);
        assert_eq!(indices, expected);
        assert_eq!(grid.index_of(f64::NAN), None);

        let choices = Grid::Categorical { n_choices: 3 };
        assert_eq!([0.0, 2.0].map(|v| choices.index_of(v)), [Some(0), Some(2)]);
        assert_eq!([-1.0, 3.0, 0.5, f64::NAN].map(|v| choices.index_of(v)), [None; 4]);

        let point = Grid::Numeric { n_points: 1, low: 2.0, high: 2.0 };
        assert_eq!(point.index_of(7.0), Some(0));
    }

    #[test]
    fn counts_split_top_and_region() {
        let grid = Grid::Numeric { n_points: 3, low: 0.0, high: 1.0 };
        let counts =
            grid_counts(&grid, &[0.0, 0.1, 0.5, 1.0, 0.9], &[true, false, true, false, true])
                .unwrap();
        assert_eq!(counts.region, [2, 1, 2]);
        assert_eq!(counts.top, [1, 1, 1]);
    }

    #[test]
    fn invalid_problems_are_typed_errors() {
        let flags = [true, false];
        let empty = Grid::Categorical { n_choices: 0 };
        assert_eq!(grid_counts(&empty, &[0.0, 0.0], &flags), Err(Error::EmptyGrid));
        let reversed = Grid::Numeric { n_points: 3, low: 1.0, high: 0.0 };
        assert_eq!(
            grid_counts(&reversed, &[0.0, 0.0], &flags),
            Err(Error::InvalidGridBounds { low: 1.0, high: 0.0 })
        );
        let grid = Grid::Categorical { n_choices: 2 };
        assert_eq!(
            grid_counts(&grid, &[0.0], &flags),
            Err(Error::TopFlagsMismatch { n_values: 1, n_flags: 2 })
        );
        let problems = [
            Problem { grid, values: &[0.0, 1.0], is_top: &flags },
            Problem { grid, values: &[1.0, 2.0], is_top: &flags },
        ];
        let error = divergences(&problems, Reference::Region, None).unwrap_err();
        let expected = Error::InProblem {
            problem: 1,
            source: Box::new(Error::InvalidGridChoice { row: 1, value: 2.0, n_choices: 2 }),
        };
        assert_eq!(error, expected);
        assert!(error.to_string().starts_with("problem 1: value 1 is 2"), "{error}");
    }

    #[test]
    fn scott_bandwidth_by_hand() {
        // Counts 2, 1, 1 on points 1, 3, 4: n = 4, mean 2.25, s² = (2 · 1.25² + 0.75² + 1.75²)
        // / 3 = 2.25; quartiles at the points reaching 1 and exceeding 3: IQR = 4 - 1 = 3, and
        // 3 / 1.34 > s, so h = 1.059 · 1.5 · 4^(-1/5).
        let bandwidth = scott_bandwidth(&[0, 2, 0, 1, 1]).unwrap();
        assert_close(bandwidth, 1.059 * 1.5 * 4f64.powf(-0.2), 1e-15);
        // One occupied point: no spread, so the floor.
        assert_eq!(scott_bandwidth(&[0, 7, 0]), Some(MIN_BANDWIDTH));
        assert_eq!(scott_bandwidth(&[0, 0]), None);
    }

    #[test]
    fn categorical_density_by_hand() {
        // Counts 2, 0, 1: kernels for choices 0 and 2 and the prior (M = 3, p = 1), weighted
        // 2/4, 1/4, 1/4. A choice kernel is (1/3 + [x = o]) / 2 on choice x.
        let density = parzen_density(&[2, 0, 1], true);
        for (actual, expected) in density.iter().zip([11.0 / 24.0, 5.0 / 24.0, 8.0 / 24.0]) {
            assert_close(*actual, expected, 1e-15);
        }
    }

    #[test]
    fn numeric_density_by_hand() {
        // One trial on point 0 of a 2-point grid: the kernel has the floor bandwidth h, the
        // prior centre 1/2 and standard deviation 2; weights 1/2 each.
        let h = MIN_BANDWIDTH;
        let phi = |x: f64| 0.5 * libm::erfc(-x / SQRT_2);
        let kernel = (phi(0.5 / h) - phi(-0.5 / h)) / (phi(1.5 / h) - phi(-0.5 / h));
        let prior = (phi(0.0) - phi(-0.5)) / (phi(0.5) - phi(-0.5));
        let expected_0 = 0.5 * kernel + 0.5 * prior;
        let density = parzen_density(&[1, 0], false);
        assert_close(density[0], expected_0, 1e-14);
        assert_close(density[1], 1.0 - expected_0, 1e-13);
    }

    #[test]
    fn densities_are_distributions() {
        for counts in [vec![0, 0, 0, 0], vec![5, 0, 0, 1, 0, 0, 3], vec![1; 50], vec![0; 49]] {
            for categorical in [false, true] {
                let density = parzen_density(&counts, categorical);
                assert!(density.iter().all(|&p| p > 0.0));
                assert_close(density.iter().sum(), 1.0, 1e-14);
            }
        }
        let mut far = vec![0; 50];
        far[0] = 1000;
        let density = parzen_density(&far, false);
        // The lone kernel (bandwidth 0.5 / 1.64) keeps (Φ(1.64) - Φ(-1.64)) / (1 - Φ(-1.64))
        // = 0.946 of its mass on point 0.
        assert!(density[49] > 0.0 && (0.94..0.95).contains(&density[0]), "{density:?}");
    }

    #[test]
    fn pearson_divergence_by_hand() {
        assert_eq!(pearson_divergence(&[0.5, 0.5], &[0.5, 0.5]), 0.0);
        // r = (0.25, 0.75), t = (0.5, 0.5): 0.25 · 1² + 0.75 · (1/3)² = 1/3.
        assert_close(pearson_divergence(&[0.5, 0.5], &[0.25, 0.75]), 1.0 / 3.0, 1e-15);
    }

    #[test]
    fn equal_top_and_region_give_exactly_zero() {
        let values = [0.1, 0.4, 0.4, 0.9];
        let problem = Problem {
            grid: Grid::Numeric { n_points: 50, low: 0.0, high: 1.0 },
            values: &values,
            is_top: &[true; 4],
        };
        assert_eq!(divergence(&problem, Reference::Region), Ok(0.0));
        assert!(divergence(&problem, Reference::Uniform).unwrap() > 0.0);
    }

    #[test]
    fn divergence_by_hand_on_a_categorical() {
        // Region counts 2, 2; top counts 2, 0 on two choices.
        let problem = Problem {
            grid: Grid::Categorical { n_choices: 2 },
            values: &[0.0, 0.0, 1.0, 1.0],
            is_top: &[true, true, false, false],
        };
        // Top: kernel of choice 0 ((1/2 + 1) / 2, (1/2) / 2) weighted 2/3, prior 1/3:
        // (0.5 + 1/6, 0.25 + 1/6) = (2/3, 1/3). Region: (1/2, 1/2) by symmetry.
        let (t, r) = ([2.0 / 3.0 + 1e-12, 1.0 / 3.0 + 1e-12], [0.5 + 1e-12, 0.5 + 1e-12]);
        let expected = pearson_divergence(&t, &r);
        assert_close(expected, 1.0 / 9.0, 1e-11);
        assert_close(divergence(&problem, Reference::Region).unwrap(), expected, 1e-14);
        assert_close(divergence(&problem, Reference::Uniform).unwrap(), expected, 1e-11);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let n = 40_000;
        let values: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 999.0).collect();
        let is_top: Vec<bool> = (0..n).map(|i| (i * 7919) % 1000 < 200 && i % 3 == 0).collect();
        let choices: Vec<f64> = (0..n).map(|i| (i % 4) as f64).collect();
        let problems = [
            Problem {
                grid: Grid::Numeric { n_points: 50, low: 0.0, high: 1.0 },
                values: &values,
                is_top: &is_top,
            },
            Problem { grid: Grid::Categorical { n_choices: 4 }, values: &choices, is_top: &is_top },
        ];
        let one = divergences(&problems, Reference::Region, Some(1)).unwrap();
        let three = divergences(&problems, Reference::Region, Some(3)).unwrap();
        assert_eq!(one, three);
        assert!(one[0] > 0.1 && one[1] < 0.01, "{one:?}");
    }
}

//! Mean decrease impurity (MDI): how much of the squared error each parameter's cuts remove.
//!
//! Reference: L. Breiman, "Random Forests", Machine Learning 45, 2001, and G. Louppe et al.,
//! "Understanding variable importances in forests of randomized trees", NeurIPS 2013. The
//! definition is scikit-learn's `feature_importances_` of a regression forest:
//!
//! * each cut of node `n` on parameter `j` removes `Δ_n = W_n·I_n − W_L·I_L − W_R·I_R`, where
//!   `W` is a node's bootstrap weight (the number of draws of its rows) and `I` the weighted
//!   variance of its targets;
//! * a tree's importance of `j` is the sum of `Δ_n` over its cuts on `j`, divided by the sum over
//!   all its cuts (a tree whose cuts remove nothing keeps zeros);
//! * the forest's is the mean of the trees' over the trees with at least one cut (a single-leaf
//!   tree says nothing and is left out), divided by its sum; zeros if no tree has a cut.
//!
//! A categorical parameter's cuts single out one choice, the cut a one-hot column would give,
//! so its importance is what the sum of its one-hot columns' importances is in scikit-learn.
//!
//! The trees are fitted to targets mapped onto `[-1, 1]` (see [`crate::forest`]). That scales
//! every `Δ_n` by the same factor, which the per-tree division removes, and keeps every sum
//! finite whatever the targets' magnitude: importances are never NaN or infinite. Differences of
//! targets below about `1e-154` of their range square to zero, so the cuts between such targets
//! count for nothing (they would weigh less than `1e-300` of the tree's total).
//!
//! MDI measures the fit of fully grown trees to the sample they were grown on: it is biased
//! towards parameters with many distinct values, which offer more cuts to fit noise with, and is
//! not a variance decomposition like [`fanova`](crate::fanova()).
//!
//! Cost: growing the trees, `O(B · d · n · depth)`; the decreases come with the cuts at no
//! extra cost.
//!
//! ```
//! use hpimportance::{mean_decrease_impurity, Dataset, Domain, ForestParams, SearchSpace};
//!
//! // y depends on x0 only: every cut that removes error is a cut on x0.
//! let space = SearchSpace::new(vec![
//!     Domain::Numeric { low: 0.0, high: 1.0 },
//!     Domain::Categorical { n_choices: 3 },
//! ])?;
//! let mut x = Vec::new();
//! let mut y = Vec::new();
//! for row in 0..60 {
//!     let x0 = f64::from(row) / 59.0;
//!     x.extend([x0, f64::from(row % 3)]);
//!     y.push(if x0 < 0.5 { 0.0 } else { 1.0 });
//! }
//! let data = Dataset::new(&x, &y, &space)?;
//! let result = mean_decrease_impurity(data, ForestParams::new(16, 64, 0)?, None)?;
//! assert_eq!(result.importances, vec![1.0, 0.0]);
//! # Ok::<(), hpimportance::Error>(())
//! ```

use std::ops::Range;

use rayon::prelude::*;

use crate::data::Dataset;
use crate::error::Error;
use crate::forest::{ForestParams, TreeBuilder};
use crate::parallel::WorkerPool;

/// What one tree contributes to MDI.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeDecreases {
    /// Per parameter, in column order, the impurity decrease `Σ Δ_n` of the tree's cuts on it
    /// (on the normalized target scale: only ratios are meaningful).
    pub decreases: Vec<f64>,
    /// The number of cuts (internal nodes) of the tree; 0 for a single leaf.
    pub n_cuts: usize,
}

/// MDI importances of a forest.
#[derive(Debug, Clone, PartialEq)]
pub struct MdiResult {
    /// Per parameter, in column order: in `[0, 1]` and summing to 1, or all 0 when no tree has a
    /// cut that removes error (constant targets, fewer than two rows).
    pub importances: Vec<f64>,
    /// How many trees had at least one cut and entered the mean.
    pub n_trees_used: usize,
}

/// Fits a forest to `data` and returns each parameter's mean decrease impurity, using
/// `n_threads` threads (`None`: all cores). Trees are fitted in parallel and only their
/// per-parameter sums are kept; the result does not depend on the thread count.
///
/// # Errors
/// [`Error::InvalidForestSetting`] for `n_threads == Some(0)`, [`Error::ThreadPool`] if the
/// threads cannot be started.
pub fn mean_decrease_impurity(
    data: Dataset<'_>,
    params: ForestParams,
    n_threads: Option<usize>,
) -> Result<MdiResult, Error> {
    let n_params = data.n_params();
    if data.n_rows() < 2 {
        return Ok(MdiResult { importances: vec![0.0; n_params], n_trees_used: 0 });
    }
    let pool = WorkerPool::new(n_threads, params.n_trees())?;
    let builder = TreeBuilder::new(data, params);
    let per_tree = decreases_of_trees(&builder, 0..params.n_trees(), &pool);
    Ok(summarize_decreases(&per_tree, n_params))
}

/// Fits the trees numbered `trees` in parallel on `pool` and returns their impurity decreases
/// in tree order. Callers that must stay responsive (to Ctrl-C, say) can feed
/// [`summarize_decreases`] with the results of several consecutive ranges.
pub fn decreases_of_trees(
    builder: &TreeBuilder<'_>,
    trees: Range<usize>,
    pool: &WorkerPool,
) -> Vec<TreeDecreases> {
    pool.install(|| {
        trees
            .into_par_iter()
            .map(|index| {
                let (tree, decreases) = builder.fit_tree_with_decreases(index);
                // A binary tree of `c` cuts has `2c + 1` nodes.
                TreeDecreases { decreases, n_cuts: tree.nodes().len() / 2 }
            })
            .collect()
    })
}

/// Normalizes each tree's decreases to sum to 1, averages them over the trees with a cut and
/// normalizes the mean, in tree order so that the sums are the same on every run.
pub fn summarize_decreases(per_tree: &[TreeDecreases], n_params: usize) -> MdiResult {
    let mut importances = vec![0.0; n_params];
    let mut n_trees_used = 0;
    for tree in per_tree.iter().filter(|tree| tree.n_cuts > 0) {
        n_trees_used += 1;
        let total: f64 = tree.decreases.iter().sum();
        if total > 0.0 {
            for (importance, &decrease) in importances.iter_mut().zip(&tree.decreases) {
                *importance += decrease / total;
            }
        }
    }
    // Dividing the sum of the trees' shares by its own sum is the mean over the trees used,
    // normalized: the count of trees cancels.
    let total: f64 = importances.iter().sum();
    if total > 0.0 {
        for importance in &mut importances {
            *importance /= total;
        }
    }
    MdiResult { importances, n_trees_used }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;
    use crate::forest::{Node, Tree};
    use crate::space::{Domain, SearchSpace};

    fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() <= tolerance, "{actual:?} vs {expected:?}");
        }
    }

    fn mixed_space() -> SearchSpace {
        SearchSpace::new(vec![
            Domain::Numeric { low: 0.0, high: 1.0 },
            Domain::Numeric { low: 0.0, high: 1.0 },
            Domain::Categorical { n_choices: 4 },
        ])
        .unwrap()
    }

    /// `n` rows on `mixed_space` and a target of all three parameters with some noise.
    fn mixed_data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut x = Vec::with_capacity(3 * n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, b, c) = (rng.random::<f64>(), rng.random::<f64>(), rng.random_range(0..4));
            x.extend([a, b, f64::from(c)]);
            let effect = [0.0, 1.0, 0.2, 0.5][c as usize];
            y.push(3.0 * a + (6.0 * b).sin() + effect + 0.1 * rng.random::<f64>());
        }
        (x, y)
    }

    #[test]
    fn hand_computed_tree() {
        // Rows (x0, x1) -> y: (0, 0) -> 0, (0, 1) -> 1, (1, 0) -> 2, (1, 1) -> 5, drawn
        // 2, 1, 0 and 1 times. Sample (w, y): (2, 0), (1, 1), (1, 5); W = 4, mean 1.5.
        // Cut on x0: D_L = 1 - 3 * 1.5 = -3.5, Δ = 4 * 3.5² / (3 * 1) = 49/3.
        // Cut on x1: D_L = 0 - 2 * 1.5 = -3, Δ = 4 * 9 / (2 * 2) = 9: x0 wins.
        // Left child (2, 0), (1, 1): only x1 varies; Δ = Σw·y² - (Σw·y)²/W = 1 - 1/3 = 2/3.
        // Total 17 = W·I of the root (26 - 36/4). Targets are fitted as (y - 1.5) / 3.5.
        let space = SearchSpace::new(vec![Domain::Numeric { low: 0.0, high: 1.0 }; 2]).unwrap();
        let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let y = [0.0, 1.0, 2.0, 5.0];
        let data = Dataset::new(&x, &y, &space).unwrap();
        let builder = TreeBuilder::new(data, ForestParams::new(1, 64, 0).unwrap());

        let (tree, decreases) = builder.fit_tree_on_draws(&[2, 1, 0, 1]);

        assert!(matches!(tree.nodes()[0], Node::Numeric { param: 0, .. }));
        assert_eq!(tree.nodes().len(), 5);
        let scale = 3.5 * 3.5;
        assert_close(&decreases, &[49.0 / 3.0 / scale, 2.0 / 3.0 / scale], 1e-15);
        let per_tree = [TreeDecreases { decreases, n_cuts: 2 }];
        let result = summarize_decreases(&per_tree, 2);
        assert_close(&result.importances, &[49.0 / 51.0, 2.0 / 51.0], 1e-15);
        assert_eq!(result.n_trees_used, 1);
    }

    /// Each node's bootstrap weight, `Σw·y` and `Σw·y²`, from routing the drawn rows.
    fn node_sums(
        tree: &Tree,
        x: &[f64],
        n_params: usize,
        y: &[f64],
        draws: &[u32],
    ) -> Vec<[f64; 3]> {
        let mut sums = vec![[0.0; 3]; tree.nodes().len()];
        for (row, &count) in draws.iter().enumerate().filter(|(_, &count)| count > 0) {
            let (w, target) = (f64::from(count), y[row]);
            let configuration = &x[row * n_params..(row + 1) * n_params];
            let mut index = 0;
            loop {
                let node_sums = &mut sums[index];
                node_sums[0] += w;
                node_sums[1] += w * target;
                node_sums[2] += w * target * target;
                index = match tree.nodes()[index] {
                    Node::Leaf { .. } => break,
                    Node::Numeric { param, threshold, left, right } => {
                        if configuration[param as usize] <= threshold {
                            left
                        } else {
                            right
                        }
                    }
                    Node::Category { param, choice, left, right } => {
                        if configuration[param as usize] == f64::from(choice) {
                            right
                        } else {
                            left
                        }
                    }
                } as usize;
            }
        }
        sums
    }

    #[test]
    fn decreases_match_the_impurity_formula_on_routed_rows() {
        // Recompute every cut's W·I - W_L·I_L - W_R·I_R from the bootstrap rows that reach
        // each node, with I = Σw·y²/W - (Σw·y/W)², and compare per parameter.
        let space = mixed_space();
        let (x, y) = mixed_data(300, 1);
        let data = Dataset::new(&x, &y, &space).unwrap();
        let builder = TreeBuilder::new(data, ForestParams::new(4, 64, 11).unwrap());
        for index in 0..4 {
            let (tree, decreases) = builder.fit_tree_with_decreases(index);
            let draws = builder.draws(index);
            // Draws and normalized targets follow the builder's order of the rows.
            let ordered: Vec<f64> = builder
                .row_order()
                .iter()
                .flat_map(|&row| x[3 * row..3 * row + 3].to_vec())
                .collect();
            let sums = node_sums(&tree, &ordered, 3, builder.normalized_targets(), &draws);
            let weighted_impurity = |[w, wy, wyy]: [f64; 3]| wyy - wy * wy / w;
            let mut expected = vec![0.0; 3];
            for (node, sums_here) in tree.nodes().iter().zip(&sums) {
                if let Node::Numeric { param, left, right, .. }
                | Node::Category { param, left, right, .. } = *node
                {
                    expected[param as usize] += weighted_impurity(*sums_here)
                        - weighted_impurity(sums[left as usize])
                        - weighted_impurity(sums[right as usize]);
                }
            }
            let total: f64 = expected.iter().sum();
            assert!(total > 0.1, "{expected:?}");
            assert_close(&decreases, &expected, 1e-9 * total);
        }
    }

    #[test]
    fn summary_drops_single_leaf_trees_and_keeps_trees_without_gain() {
        let per_tree = [
            TreeDecreases { decreases: vec![3.0, 1.0], n_cuts: 2 },
            // A single leaf: not counted.
            TreeDecreases { decreases: vec![0.0, 0.0], n_cuts: 0 },
            // Cuts that removed nothing: counted, as zeros.
            TreeDecreases { decreases: vec![0.0, 0.0], n_cuts: 1 },
            TreeDecreases { decreases: vec![0.0, 2.0], n_cuts: 1 },
        ];
        let result = summarize_decreases(&per_tree, 2);
        // Mean of (0.75, 0.25), (0, 0) and (0, 1) is (0.25, 0.4167), normalized (0.375, 0.625).
        assert_close(&result.importances, &[0.375, 0.625], 1e-15);
        assert_eq!(result.n_trees_used, 3);

        let no_cuts = [TreeDecreases { decreases: vec![0.0, 0.0], n_cuts: 0 }];
        assert_eq!(
            summarize_decreases(&no_cuts, 2),
            MdiResult { importances: vec![0.0, 0.0], n_trees_used: 0 }
        );
        let no_gain = [TreeDecreases { decreases: vec![0.0, 0.0], n_cuts: 1 }];
        assert_eq!(
            summarize_decreases(&no_gain, 2),
            MdiResult { importances: vec![0.0, 0.0], n_trees_used: 1 }
        );
    }

    #[test]
    fn importances_sum_to_one_and_rank_the_parameters() {
        let space = mixed_space();
        let (x, y) = mixed_data(500, 2);
        let data = Dataset::new(&x, &y, &space).unwrap();
        let result = mean_decrease_impurity(data, ForestParams::new(32, 64, 3).unwrap(), None);
        let result = result.unwrap();
        assert_eq!(result.n_trees_used, 32);
        assert!((result.importances.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let [a, b, c] = result.importances[..] else { panic!("three importances expected") };
        // Var(3a) = 0.75 > Var(sin 6b) ≈ 0.46 > Var(choice effect) ≈ 0.15.
        assert!(a > b && b > c && c > 0.02, "{:?}", result.importances);
    }

    #[test]
    fn result_is_the_same_on_any_number_of_threads() {
        let space = mixed_space();
        let (x, y) = mixed_data(400, 3);
        let data = Dataset::new(&x, &y, &space).unwrap();
        let params = ForestParams::new(24, 64, 5).unwrap();
        let one = mean_decrease_impurity(data, params, Some(1)).unwrap();
        assert_eq!(one, mean_decrease_impurity(data, params, Some(2)).unwrap());
        assert_eq!(one, mean_decrease_impurity(data, params, Some(7)).unwrap());
        let other_seed = ForestParams::new(24, 64, 6).unwrap();
        assert_ne!(one, mean_decrease_impurity(data, other_seed, Some(2)).unwrap());
    }

    #[test]
    fn rescaled_targets_give_the_same_importances() {
        let space = mixed_space();
        let (x, y) = mixed_data(300, 4);
        let params = ForestParams::new(16, 64, 1).unwrap();
        let plain = mean_decrease_impurity(Dataset::new(&x, &y, &space).unwrap(), params, None);
        let huge: Vec<f64> = y.iter().map(|v| 1e300 * v - 5e299).collect();
        let scaled = mean_decrease_impurity(Dataset::new(&x, &huge, &space).unwrap(), params, None);
        assert_close(&plain.unwrap().importances, &scaled.unwrap().importances, 1e-12);
    }

    #[test]
    fn degenerate_data_gives_zeros() {
        let space = mixed_space();
        let (x, _) = mixed_data(50, 5);
        let params = ForestParams::new(8, 64, 0).unwrap();
        let constant = vec![2.5; 50];
        let result =
            mean_decrease_impurity(Dataset::new(&x, &constant, &space).unwrap(), params, None);
        assert_eq!(result.unwrap(), MdiResult { importances: vec![0.0; 3], n_trees_used: 0 });

        let one_row =
            mean_decrease_impurity(Dataset::new(&x[..3], &[1.0], &space).unwrap(), params, None);
        assert_eq!(one_row.unwrap(), MdiResult { importances: vec![0.0; 3], n_trees_used: 0 });

        // Identical configurations with different targets: no cut separates them.
        let same_x: Vec<f64> = x[..3].repeat(20);
        let targets: Vec<f64> = (0..20).map(f64::from).collect();
        let result =
            mean_decrease_impurity(Dataset::new(&same_x, &targets, &space).unwrap(), params, None);
        assert_eq!(result.unwrap(), MdiResult { importances: vec![0.0; 3], n_trees_used: 0 });
    }

    #[test]
    fn extreme_targets_give_finite_importances() {
        let space = mixed_space();
        let (x, mut y) = mixed_data(200, 6);
        y[0] = f64::MAX;
        y[1] = -f64::MAX;
        y[2] = 1e-300;
        let data = Dataset::new(&x, &y, &space).unwrap();
        let result = mean_decrease_impurity(data, ForestParams::new(16, 64, 2).unwrap(), None);
        let importances = result.unwrap().importances;
        assert!(importances.iter().all(|v| v.is_finite() && *v >= 0.0), "{importances:?}");
        assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_zero_threads() {
        let space = mixed_space();
        let (x, y) = mixed_data(10, 7);
        let data = Dataset::new(&x, &y, &space).unwrap();
        let params = ForestParams::new(2, 4, 0).unwrap();
        assert_eq!(
            mean_decrease_impurity(data, params, Some(0)),
            Err(Error::InvalidForestSetting { name: "n_threads", value: 0 })
        );
    }
}

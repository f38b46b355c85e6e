//! Regression random forests with the semantics that fANOVA relies on.
//!
//! Each tree is a squared-error CART tree grown on a bootstrap sample of `n` draws with
//! replacement (kept as integer weights), considering every parameter at every node in a random
//! order, until a node holds fewer than two distinct rows, is pure, reaches `max_depth`, or has
//! no admissible cut. This is the forest Optuna's fANOVA asks scikit-learn for
//! (`RandomForestRegressor(max_features=1.0, min_samples_split=2, min_samples_leaf=1)`).
//!
//! * Numeric parameters are cut at the midpoint of two neighbouring distinct values; rows with
//!   `x <= threshold` go left.
//! * A categorical parameter offers one cut per choice present in the node: that choice goes
//!   right, all others left (the one-vs-rest cuts a one-hot encoding would give).
//! * Targets are mapped affinely onto `[-1, 1]` before fitting. Cuts are invariant to that map
//!   up to rounding, and it keeps objective values near `1e300` finite and the purity test
//!   relative to the spread of the targets.
//!
//! Every tree draws from its own generator seeded from `(seed, tree index)`, so a forest is the
//! same whatever the number of threads. Rows are sorted once per parameter for all trees, and
//! each node partitions the sorted lists stably: growing a tree costs `O(d · n · depth)`.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::data::Dataset;
use crate::error::Error;
use crate::parallel::run_in_pool;
use crate::space::Domain;

/// Forest settings, validated once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForestParams {
    n_trees: usize,
    max_depth: usize,
    seed: u64,
}

impl ForestParams {
    /// `n_trees` trees (Optuna's default: 64) of at most `max_depth` levels below the root
    /// (default: 64), all derived from `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidForestSetting`] when `n_trees` or `max_depth` is 0.
    pub fn new(n_trees: usize, max_depth: usize, seed: u64) -> Result<Self, Error> {
        if n_trees == 0 {
            return Err(Error::InvalidForestSetting {
                name: "n_trees",
                value: n_trees,
            });
        }
        if max_depth == 0 {
            return Err(Error::InvalidForestSetting {
                name: "max_depth",
                value: max_depth,
            });
        }
        Ok(Self {
            n_trees,
            max_depth,
            seed,
        })
    }

    /// The number of trees.
    pub fn n_trees(&self) -> usize {
        self.n_trees
    }

    /// The maximum depth of a leaf (the root has depth 0).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// The seed every tree's generator is derived from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// One node of a tree. Children always have larger indices than their parent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    /// A prediction: the bootstrap-weighted mean of the node's (normalized) targets.
    Leaf { value: f64 },
    /// Rows with `x[param] <= threshold` go to `left`, the others to `right`.
    Numeric {
        param: u32,
        threshold: f64,
        left: u32,
        right: u32,
    },
    /// Rows whose categorical `x[param]` equals `choice` go to `right`, the others to `left`.
    Category {
        param: u32,
        choice: u32,
        left: u32,
        right: u32,
    },
}

/// A regression tree stored as a flat node array with the root at index 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// The nodes; index 0 is the root.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|node| matches!(node, Node::Leaf { .. }))
            .count()
    }

    /// The prediction for one configuration (one value per parameter, categoricals as choice
    /// indices), on the normalized target scale.
    pub fn predict(&self, configuration: &[f64]) -> f64 {
        let mut index = 0;
        loop {
            match self.nodes[index] {
                Node::Leaf { value } => return value,
                Node::Numeric {
                    param,
                    threshold,
                    left,
                    right,
                } => {
                    let goes_left = configuration[param as usize] <= threshold;
                    index = if goes_left { left } else { right } as usize;
                }
                Node::Category {
                    param,
                    choice,
                    left,
                    right,
                } => {
                    let goes_right = configuration[param as usize] == f64::from(choice);
                    index = if goes_right { right } else { left } as usize;
                }
            }
        }
    }
}

/// The seed of tree `index`'s generator: a splitmix64-style mix of both numbers, so that nearby
/// seeds and indices give unrelated streams.
fn tree_seed(seed: u64, index: usize) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    mix(seed ^ mix((index as u64).wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// What every tree of a forest shares: the data, column by column, each column's row order,
/// and the normalized targets. Building it costs `O(d · n log n)`; each tree then costs
/// `O(d · n · depth)`.
#[derive(Debug, Clone)]
pub struct TreeBuilder<'a> {
    data: Dataset<'a>,
    params: ForestParams,
    columns: Vec<Vec<f64>>,
    row_orders: Vec<Vec<u32>>,
    targets: Vec<f64>,
}

impl<'a> TreeBuilder<'a> {
    /// Sorts every column once for all the trees to come.
    pub fn new(data: Dataset<'a>, params: ForestParams) -> Self {
        let n_rows = data.n_rows();
        let columns: Vec<Vec<f64>> = (0..data.n_params())
            .map(|param| (0..n_rows).map(|row| data.value(row, param)).collect())
            .collect();
        let row_orders = columns
            .iter()
            .map(|column| {
                let mut order: Vec<u32> = (0..n_rows as u32).collect();
                order.sort_by(|&a, &b| column[a as usize].total_cmp(&column[b as usize]));
                order
            })
            .collect();
        Self {
            data,
            params,
            columns,
            row_orders,
            targets: normalized_targets(data.targets()),
        }
    }

    /// The forest settings.
    pub fn params(&self) -> &ForestParams {
        &self.params
    }

    /// The data the trees are fitted to.
    pub fn data(&self) -> &Dataset<'a> {
        &self.data
    }

    /// Grows tree number `index`; the result depends only on the data, the settings and
    /// `index`.
    pub fn fit_tree(&self, index: usize) -> Tree {
        let n_rows = self.data.n_rows();
        if n_rows == 0 {
            return Tree {
                nodes: vec![Node::Leaf { value: 0.0 }],
            };
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(tree_seed(self.params.seed, index));
        let mut weights = vec![0.0_f64; n_rows];
        for _ in 0..n_rows {
            weights[rng.random_range(0..n_rows)] += 1.0;
        }
        Grower::new(self, weights, rng).grow()
    }
}

/// Maps targets affinely onto `[-1, 1]` without overflow (a constant vector maps to zeros).
fn normalized_targets(targets: &[f64]) -> Vec<f64> {
    let min = targets.iter().copied().fold(f64::INFINITY, f64::min);
    let max = targets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let half_range = max / 2.0 - min / 2.0;
    if half_range == 0.0 {
        return vec![0.0; targets.len()];
    }
    let center = min / 2.0 + max / 2.0;
    targets
        .iter()
        .map(|&y| ((y - center) / half_range).clamp(-1.0, 1.0))
        .collect()
}

/// The best cut found at a node.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// Rows at sorted positions `..=last_left` of `param`'s list go left.
    Numeric {
        param: usize,
        last_left: usize,
        threshold: f64,
    },
    /// Rows holding `choice` go right.
    Category { param: usize, choice: u32 },
}

/// A node waiting to be grown: its rows are positions `start..end` of every sorted list.
struct Pending {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
}

/// The working state of one tree's growth.
struct Grower<'b, 'a> {
    builder: &'b TreeBuilder<'a>,
    rng: Xoshiro256PlusPlus,
    weights: Vec<f64>,
    weighted_targets: Vec<f64>,
    /// `n_params` blocks of `n_drawn` row indices; block `j` lists the node's rows by
    /// increasing value of parameter `j` (after partitioning, within each node's range).
    sorted: Vec<u32>,
    n_drawn: usize,
    goes_left: Vec<bool>,
    scratch: Vec<u32>,
    visit_order: Vec<usize>,
    nodes: Vec<Node>,
}

impl<'b, 'a> Grower<'b, 'a> {
    fn new(builder: &'b TreeBuilder<'a>, weights: Vec<f64>, rng: Xoshiro256PlusPlus) -> Self {
        let n_params = builder.data.n_params();
        let n_drawn = weights.iter().filter(|&&w| w > 0.0).count();
        let mut sorted = Vec::with_capacity(n_params.max(1) * n_drawn);
        if n_params == 0 {
            sorted.extend((0..weights.len() as u32).filter(|&row| weights[row as usize] > 0.0));
        }
        for order in &builder.row_orders {
            sorted.extend(
                order
                    .iter()
                    .copied()
                    .filter(|&row| weights[row as usize] > 0.0),
            );
        }
        let weighted_targets = weights
            .iter()
            .zip(&builder.targets)
            .map(|(w, y)| w * y)
            .collect();
        Self {
            builder,
            rng,
            goes_left: vec![false; weights.len()],
            weights,
            weighted_targets,
            sorted,
            n_drawn,
            scratch: Vec::with_capacity(n_drawn),
            visit_order: (0..n_params).collect(),
            nodes: Vec::new(),
        }
    }

    fn grow(mut self) -> Tree {
        self.nodes.push(Node::Leaf { value: 0.0 });
        let mut stack = vec![Pending {
            node: 0,
            start: 0,
            end: self.n_drawn,
            depth: 0,
        }];
        while let Some(pending) = stack.pop() {
            let (weight, weighted_sum) = self.node_sums(pending.start, pending.end);
            let value = weighted_sum / weight;
            self.nodes[pending.node] = Node::Leaf { value };

            let too_small = pending.end - pending.start < 2;
            if too_small || pending.depth >= self.builder.params.max_depth {
                continue;
            }
            if self.is_pure(pending.start, pending.end, value) {
                continue;
            }
            let Some(cut) = self.best_cut(pending.start, pending.end, weight, weighted_sum) else {
                continue;
            };

            let n_left = self.partition(cut, pending.start, pending.end);
            let left = self.nodes.len();
            let right = left + 1;
            self.nodes.push(Node::Leaf { value: 0.0 });
            self.nodes.push(Node::Leaf { value: 0.0 });
            self.nodes[pending.node] = match cut {
                Cut::Numeric {
                    param, threshold, ..
                } => Node::Numeric {
                    param: param as u32,
                    threshold,
                    left: left as u32,
                    right: right as u32,
                },
                Cut::Category { param, choice } => Node::Category {
                    param: param as u32,
                    choice,
                    left: left as u32,
                    right: right as u32,
                },
            };
            let middle = pending.start + n_left;
            let depth = pending.depth + 1;
            stack.push(Pending {
                node: right,
                start: middle,
                end: pending.end,
                depth,
            });
            stack.push(Pending {
                node: left,
                start: pending.start,
                end: middle,
                depth,
            });
        }
        Tree { nodes: self.nodes }
    }

    fn rows(&self, param: usize, start: usize, end: usize) -> &[u32] {
        let offset = param * self.n_drawn;
        &self.sorted[offset + start..offset + end]
    }

    fn node_sums(&self, start: usize, end: usize) -> (f64, f64) {
        self.rows(0, start, end)
            .iter()
            .fold((0.0, 0.0), |(w, s), &row| {
                (
                    w + self.weights[row as usize],
                    s + self.weighted_targets[row as usize],
                )
            })
    }

    /// Whether the weighted variance of the node's targets is at most machine epsilon (the
    /// targets are normalized, so this is relative to their spread).
    fn is_pure(&self, start: usize, end: usize, mean: f64) -> bool {
        let (weight, squares) = self
            .rows(0, start, end)
            .iter()
            .fold((0.0, 0.0), |(w, q), &row| {
                let deviation = self.builder.targets[row as usize] - mean;
                let row_weight = self.weights[row as usize];
                (w + row_weight, q + row_weight * deviation * deviation)
            });
        squares / weight <= f64::EPSILON
    }

    /// The cut maximizing `S_L²/W_L + S_R²/W_R` (equivalently, the weighted variance
    /// reduction); ties keep the first cut met, parameters being visited in random order.
    fn best_cut(&mut self, start: usize, end: usize, weight: f64, sum: f64) -> Option<Cut> {
        let n_params = self.visit_order.len();
        for i in (1..n_params).rev() {
            let j = self.rng.random_range(0..=i);
            self.visit_order.swap(i, j);
        }

        let mut best: Option<Cut> = None;
        let mut best_score = f64::NEG_INFINITY;
        for &param in &self.visit_order {
            let column = &self.builder.columns[param];
            let rows = self.rows(param, start, end);
            match self.builder.data.space().domains()[param] {
                Domain::Numeric { .. } => {
                    let mut left_weight = 0.0;
                    let mut left_sum = 0.0;
                    for (position, pair) in rows.windows(2).enumerate() {
                        let (row, next) = (pair[0] as usize, pair[1] as usize);
                        left_weight += self.weights[row];
                        left_sum += self.weighted_targets[row];
                        let (value, next_value) = (column[row], column[next]);
                        if next_value <= value {
                            continue;
                        }
                        let right_sum = sum - left_sum;
                        let score = left_sum * left_sum / left_weight
                            + right_sum * right_sum / (weight - left_weight);
                        if score > best_score {
                            best_score = score;
                            let threshold = midpoint(value, next_value);
                            best = Some(Cut::Numeric {
                                param,
                                last_left: position,
                                threshold,
                            });
                        }
                    }
                }
                Domain::Categorical { .. } => {
                    // Rows are sorted by choice, so each choice is one contiguous group.
                    let mut group_weight = 0.0;
                    let mut group_sum = 0.0;
                    for (position, &row) in rows.iter().enumerate() {
                        let row = row as usize;
                        group_weight += self.weights[row];
                        group_sum += self.weighted_targets[row];
                        let choice = column[row];
                        let group_ends = rows
                            .get(position + 1)
                            .is_none_or(|&next| column[next as usize] != choice);
                        if !group_ends {
                            continue;
                        }
                        if group_weight < weight {
                            let rest_sum = sum - group_sum;
                            let score = group_sum * group_sum / group_weight
                                + rest_sum * rest_sum / (weight - group_weight);
                            if score > best_score {
                                best_score = score;
                                best = Some(Cut::Category {
                                    param,
                                    choice: choice as u32,
                                });
                            }
                        }
                        group_weight = 0.0;
                        group_sum = 0.0;
                    }
                }
            }
        }
        best
    }

    /// Moves the rows going left to the front of `start..end` in every sorted list, keeping
    /// each list's order; returns how many go left.
    fn partition(&mut self, cut: Cut, start: usize, end: usize) -> usize {
        let (cut_param, n_left) = match cut {
            Cut::Numeric {
                param, last_left, ..
            } => {
                let offset = param * self.n_drawn;
                for (position, &row) in self.sorted[offset + start..offset + end].iter().enumerate()
                {
                    self.goes_left[row as usize] = position <= last_left;
                }
                (param, last_left + 1)
            }
            Cut::Category { param, choice } => {
                let offset = param * self.n_drawn;
                let column = &self.builder.columns[param];
                let mut n_left = 0;
                for &row in &self.sorted[offset + start..offset + end] {
                    let left = column[row as usize] != f64::from(choice);
                    self.goes_left[row as usize] = left;
                    n_left += usize::from(left);
                }
                (param, n_left)
            }
        };

        let n_blocks = self.sorted.len() / self.n_drawn.max(1);
        for block in 0..n_blocks {
            let is_already_split = block == cut_param && matches!(cut, Cut::Numeric { .. });
            if is_already_split {
                continue;
            }
            let offset = block * self.n_drawn;
            let segment = &mut self.sorted[offset + start..offset + end];
            self.scratch.clear();
            let mut write = 0;
            for read in 0..segment.len() {
                let row = segment[read];
                if self.goes_left[row as usize] {
                    segment[write] = row;
                    write += 1;
                } else {
                    self.scratch.push(row);
                }
            }
            segment[write..].copy_from_slice(&self.scratch);
        }
        n_left
    }
}

/// A threshold strictly between `low < high` in the sense that `low <= t < high`: their
/// midpoint, or `low` when the two are adjacent floats and the midpoint rounds up to `high`.
fn midpoint(low: f64, high: f64) -> f64 {
    let middle = low / 2.0 + high / 2.0;
    if middle < high {
        middle
    } else {
        low
    }
}

/// A fitted forest.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomForest {
    trees: Vec<Tree>,
}

impl RandomForest {
    /// Fits `params.n_trees()` trees in parallel on `n_threads` threads (`None`: all cores).
    /// The trees are identical for any thread count.
    ///
    /// # Errors
    /// [`Error::InvalidForestSetting`] for `n_threads == Some(0)`, [`Error::ThreadPool`] if the
    /// threads cannot be started.
    pub fn fit(
        data: Dataset<'_>,
        params: ForestParams,
        n_threads: Option<usize>,
    ) -> Result<Self, Error> {
        let builder = TreeBuilder::new(data, params);
        let trees = run_in_pool(n_threads, || {
            (0..params.n_trees())
                .into_par_iter()
                .map(|index| builder.fit_tree(index))
                .collect()
        })?;
        Ok(Self { trees })
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The forest's prediction (mean over trees) on the normalized target scale.
    pub fn predict(&self, configuration: &[f64]) -> f64 {
        let total: f64 = self
            .trees
            .iter()
            .map(|tree| tree.predict(configuration))
            .sum();
        total / self.trees.len() as f64
    }
}

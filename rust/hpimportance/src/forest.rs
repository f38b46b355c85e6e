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
//!   up to rounding, and it keeps objective values near `1e300` finite.
//! * A node is pure, and a leaf, when all its targets are equal. (scikit-learn's test, a
//!   variance below machine epsilon on the raw targets, depends on their scale.)
//!
//! Every tree draws from its own generator seeded from `(seed, tree index)`, so a forest is the
//! same whatever the number of threads. The rows are put in a canonical order before anything
//! is drawn (see [`TreeBuilder::new`]), so it is also the same whatever the order of the rows.
//! Rows are sorted once per parameter for all trees, and each node partitions the sorted lists
//! stably: growing a tree costs `O(d · n · depth)`.

use rand::{Rng, RngExt, SeedableRng};
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
            return Err(Error::InvalidForestSetting { name: "n_trees", value: n_trees });
        }
        if max_depth == 0 {
            return Err(Error::InvalidForestSetting { name: "max_depth", value: max_depth });
        }
        Ok(Self { n_trees, max_depth, seed })
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
    Numeric { param: u32, threshold: f64, left: u32, right: u32 },
    /// Rows whose categorical `x[param]` equals `choice` go to `right`, the others to `left`.
    Category { param: u32, choice: u32, left: u32, right: u32 },
}

/// A regression tree stored as a flat node array with the root at index 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// A tree from hand-written nodes, for tests of the algorithms that read trees.
    #[cfg(test)]
    pub(crate) fn from_nodes(nodes: Vec<Node>) -> Self {
        Self { nodes }
    }

    /// The nodes; index 0 is the root.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|node| matches!(node, Node::Leaf { .. })).count()
    }

    /// The prediction for one configuration (one value per parameter, categoricals as choice
    /// indices), on the normalized target scale.
    ///
    /// # Panics
    /// If `configuration` holds fewer values than the data the tree was grown on had columns.
    pub fn predict(&self, configuration: &[f64]) -> f64 {
        let mut index = 0;
        loop {
            match self.nodes[index] {
                Node::Leaf { value } => return value,
                Node::Numeric { param, threshold, left, right } => {
                    let goes_left = configuration[param as usize] <= threshold;
                    index = if goes_left { left } else { right } as usize;
                }
                Node::Category { param, choice, left, right } => {
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

/// One parameter's values as dense ranks: `levels` holds the sorted distinct values, and
/// `ranks[row]` the index of `row`'s value in `levels`.
#[derive(Debug, Clone)]
struct RankedColumn {
    levels: Vec<f64>,
    ranks: Vec<u32>,
    /// Rows sorted by value (ties by row index).
    order: Vec<u32>,
}

impl RankedColumn {
    fn new(values: &[f64]) -> Self {
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        let mut levels: Vec<f64> = Vec::new();
        let mut ranks = vec![0_u32; values.len()];
        for &row in &order {
            let value = values[row as usize];
            if levels.last() != Some(&value) {
                levels.push(value);
            }
            ranks[row as usize] = (levels.len() - 1) as u32;
        }
        Self { levels, ranks, order }
    }
}

/// What every tree of a forest shares: each column's rows in sorted order and as dense ranks,
/// and the normalized targets. Building it costs `O(d · n log n)`; each tree then costs
/// `O(d · n · depth)`.
#[derive(Debug, Clone)]
pub struct TreeBuilder<'a> {
    data: Dataset<'a>,
    params: ForestParams,
    columns: Vec<RankedColumn>,
    is_categorical: Vec<bool>,
    targets: Vec<f64>,
    scale: TargetScale,
}

impl<'a> TreeBuilder<'a> {
    /// Sorts every column once for all the trees to come.
    ///
    /// The rows are first put in a canonical order, so that the trees depend on the set of
    /// rows and not on the order they come in: the bootstrap draws row positions, and without
    /// it, shuffling the trials would reshuffle the forest.
    pub fn new(data: Dataset<'a>, params: ForestParams) -> Self {
        let order = canonical_order(&data);
        let columns = (0..data.n_params())
            .map(|param| {
                let values: Vec<f64> = order.iter().map(|&row| data.value(row, param)).collect();
                RankedColumn::new(&values)
            })
            .collect();
        let is_categorical = data
            .space()
            .domains()
            .iter()
            .map(|domain| matches!(domain, Domain::Categorical { .. }))
            .collect();
        let targets: Vec<f64> = order.iter().map(|&row| data.targets()[row]).collect();
        let scale = TargetScale::of(&targets);
        let targets = targets.iter().map(|&y| scale.normalize(y)).collect();
        Self { data, params, columns, is_categorical, targets, scale }
    }

    /// The forest settings.
    pub fn params(&self) -> &ForestParams {
        &self.params
    }

    /// The data the trees are fitted to.
    pub fn data(&self) -> &Dataset<'a> {
        &self.data
    }

    /// Converts a tree's output (leaf values are normalized targets, in `[-1, 1]`) back to the
    /// scale of the data's targets.
    pub fn restore_target(&self, normalized: f64) -> f64 {
        self.scale.restore(normalized)
    }

    /// Converts a spread of tree outputs (a standard deviation, say) back to the scale of the
    /// data's targets.
    pub fn restore_spread(&self, normalized: f64) -> f64 {
        self.scale.restore_spread(normalized)
    }

    /// Grows tree number `index`; the result depends only on the data, the settings and
    /// `index`.
    pub fn fit_tree(&self, index: usize) -> Tree {
        self.fit_tree_with_decreases(index).0
    }

    /// Grows tree number `index`, as [`fit_tree`](Self::fit_tree), and returns with it the
    /// impurity decrease of its cuts summed per parameter (one entry per parameter, in column
    /// order).
    ///
    /// The decrease of a cut is `W·I − W_L·I_L − W_R·I_R`, with `W` a node's bootstrap
    /// weight (the draws of its rows) and `I` the weighted variance of its normalized
    /// targets: the squared error the cut removes, which is what the cut was chosen to
    /// maximize. It is computed from the cut's own score (the deviation of one side from the
    /// node's mean), so it costs nothing beyond growing the tree, is never negative, and does
    /// not suffer the cancellation of `Σw·y² − (Σw·y)²/W`.
    pub fn fit_tree_with_decreases(&self, index: usize) -> (Tree, Vec<f64>) {
        let (draws, rng) = self.bootstrap(index);
        self.grow(&draws, rng)
    }

    /// How often each row is drawn into tree `index`'s bootstrap sample, and the generator
    /// that then orders the parameters at each node.
    fn bootstrap(&self, index: usize) -> (Vec<u32>, Xoshiro256PlusPlus) {
        let n_rows = self.data.n_rows();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(tree_seed(self.params.seed, index));
        let mut draws = vec![0_u32; n_rows];
        for _ in 0..n_rows {
            draws[rng.random_range(0..n_rows)] += 1;
        }
        (draws, rng)
    }

    fn grow(&self, draws: &[u32], rng: Xoshiro256PlusPlus) -> (Tree, Vec<f64>) {
        if draws.iter().all(|&count| count == 0) {
            let tree = Tree { nodes: vec![Node::Leaf { value: 0.0 }] };
            return (tree, vec![0.0; self.data.n_params()]);
        }
        Grower::new(self, draws, rng).grow()
    }

    /// Tree `index`'s bootstrap draws per row, for tests that recompute what a tree holds.
    #[cfg(test)]
    pub(crate) fn draws(&self, index: usize) -> Vec<u32> {
        self.bootstrap(index).0
    }

    /// A tree grown on the given draws per row, for tests with hand-computed trees.
    #[cfg(test)]
    pub(crate) fn fit_tree_on_draws(&self, draws: &[u32]) -> (Tree, Vec<f64>) {
        self.grow(draws, Xoshiro256PlusPlus::seed_from_u64(0))
    }

    /// The data's rows in the order the trees index them (see [`canonical_order`]).
    #[cfg(test)]
    pub(crate) fn row_order(&self) -> Vec<usize> {
        canonical_order(&self.data)
    }

    /// The targets the trees are fitted to: the data's in [`Self::row_order`], mapped onto
    /// `[-1, 1]`.
    #[cfg(test)]
    pub(crate) fn normalized_targets(&self) -> &[f64] {
        &self.targets
    }
}

/// Relative difference under which two cut scores count as a tie (see `Grower::best_cut`).
/// Summation-order noise on `n` rows is about `n · 1e-16` relative, far below it.
const TIE_TOLERANCE: f64 = 1e-9;

/// A cut whose `|D_L|` (see `Grower::best_cut`) is at most this fraction of the node's weight
/// counts as no improvement at all: its children's means differ by less than about `4e-12` of
/// the targets' spread, which is rounding noise when they are equal in exact arithmetic.
const NO_IMPROVEMENT: f64 = 1e-12;

/// A uniform draw from `0..n` by one multiply-shift of a 64-bit draw. Its bias, at most
/// `n / 2^64`, is far below anything observable for the handful of parameters it shuffles,
/// and it costs a fraction of an exact bounded draw: it runs once per parameter per node.
fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// The rows sorted by configuration, then target, each compared lexicographically with
/// `total_cmp`. Rows that compare equal are identical, so which of them comes first does not
/// matter. Costs `O(n log n)` comparisons, most decided by the first column.
fn canonical_order(data: &Dataset<'_>) -> Vec<usize> {
    let targets = data.targets();
    let mut order: Vec<usize> = (0..data.n_rows()).collect();
    order.sort_unstable_by(|&a, &b| {
        (0..data.n_params())
            .map(|param| data.value(a, param).total_cmp(&data.value(b, param)))
            .find(|ordering| ordering.is_ne())
            .unwrap_or_else(|| targets[a].total_cmp(&targets[b]))
    });
    order
}

/// The affine map of a forest's targets onto `[-1, 1]`, centred on their median (constant
/// targets map to zeros). Centring on the median rather than the middle of the range keeps the
/// bulk of the targets near 0, at full precision, when a few are far out (a failed trial scored
/// 1e10, say).
///
/// The targets are first multiplied by the power of two that brings the largest magnitude into
/// `[1, 2)`. That product is exact, so nothing below can overflow (targets near the largest
/// float) or lose precision (subnormal targets), and targets rescaled by a power of two map to
/// the very same values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TargetScale {
    /// The power of two the targets are divided by.
    exponent: i32,
    /// The median of the divided targets.
    median: f64,
    /// The largest distance from the median to a divided target; 0 for constant targets.
    spread: f64,
}

impl TargetScale {
    fn of(targets: &[f64]) -> Self {
        let largest = targets.iter().fold(0.0_f64, |largest, y| largest.max(y.abs()));
        if largest == 0.0 {
            return Self { exponent: 0, median: 0.0, spread: 0.0 };
        }
        let exponent = binary_exponent(largest);
        let scaled: Vec<f64> = targets.iter().map(|&y| times_power_of_two(y, -exponent)).collect();
        let mut scratch = scaled.clone();
        let middle = scratch.len() / 2;
        let (below, &mut upper, _) = scratch.select_nth_unstable_by(middle, f64::total_cmp);
        // For an even count, the mean of the two middle values: negating the targets then
        // negates the map exactly, so the forest is the same up to the sign of its leaves (when
        // no two rows share a configuration; the canonical order breaks such ties by target).
        let median = match below.iter().copied().max_by(f64::total_cmp) {
            Some(lower) if targets.len() % 2 == 0 => (lower + upper) / 2.0,
            _ => upper,
        };
        let min = scaled.iter().copied().fold(f64::INFINITY, f64::min);
        let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let spread = (max - median).max(median - min);
        Self { exponent, median, spread }
    }

    fn normalize(self, target: f64) -> f64 {
        if self.spread == 0.0 {
            return 0.0;
        }
        let scaled = times_power_of_two(target, -self.exponent);
        ((scaled - self.median) / self.spread).clamp(-1.0, 1.0)
    }

    /// The inverse of [`Self::normalize`]; finite for any value in `[-1, 1]`.
    fn restore(self, normalized: f64) -> f64 {
        times_power_of_two(self.median + self.spread * normalized, self.exponent)
    }

    /// A spread of normalized values (a standard deviation, say) on the targets' scale.
    fn restore_spread(self, normalized: f64) -> f64 {
        times_power_of_two(self.spread * normalized, self.exponent)
    }
}

/// Maps targets affinely onto `[-1, 1]` (see [`TargetScale`]); constant targets map to zeros.
#[cfg(test)]
fn normalized_targets(targets: &[f64]) -> Vec<f64> {
    let scale = TargetScale::of(targets);
    targets.iter().map(|&y| scale.normalize(y)).collect()
}

/// `floor(log2(value))` for a positive finite `value`, subnormals included.
fn binary_exponent(value: f64) -> i32 {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // A subnormal: its mantissa times 2^-1074.
        let mantissa = bits & ((1 << 52) - 1);
        63 - mantissa.leading_zeros() as i32 - 1074
    } else {
        biased - 1023
    }
}

/// `value · 2^exponent` for `exponent` in `-1023..=1074`, in two exact steps (one power of two
/// cannot span that range).
fn times_power_of_two(value: f64, exponent: i32) -> f64 {
    fn power_of_two(exponent: i32) -> f64 {
        f64::from_bits(((exponent + 1023) as u64) << 52)
    }
    let half = exponent / 2;
    value * power_of_two(half) * power_of_two(exponent - half)
}

/// The best cut found at a node.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// Entries at positions `..=last_left` of `param`'s sorted block go left.
    Numeric { param: usize, last_left: usize, threshold: f64 },
    /// Rows whose value has rank `rank` go right.
    Category { param: usize, rank: u32 },
}

impl Cut {
    fn param(&self) -> usize {
        match *self {
            Self::Numeric { param, .. } | Self::Category { param, .. } => param,
        }
    }
}

/// A node waiting to be grown: its rows are positions `start..end` of every block.
struct Pending {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
}

/// A drawn row inside one parameter's sorted block.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The rank of the row's value of that parameter.
    rank: u32,
    /// The row's index among the drawn rows.
    id: u32,
}

/// A drawn row's bootstrap weight `w` and `w·y`, `y` its normalized target: what the cut
/// scans read for every row (16 bytes: one cache line holds four rows).
#[derive(Debug, Clone, Copy)]
struct RowStats {
    weight: f64,
    weighted_target: f64,
}

/// The sums over a node's rows.
#[derive(Debug, Clone, Copy)]
struct NodeTotals {
    weight: f64,
    weighted_target: f64,
}

/// The best cut of a node found so far, by the score `D_L² / (W_L · W_R)` (see
/// `Grower::best_cut`).
///
/// Scores are compared as `numerator > bar · denominator`, with `bar` the best score plus the
/// tie tolerance: that keeps the division (tens of cycles) out of the loops that run for every
/// row of every parameter.
struct BestCut {
    found: Option<(Cut, f64)>,
    /// The score a cut must beat.
    bar: f64,
    /// Numerators at most this count as exactly 0 (see [`NO_IMPROVEMENT`]).
    floor: f64,
    /// The node's total weight `W`.
    node_weight: f64,
}

impl BestCut {
    fn new(node_weight: f64) -> Self {
        let floor = (NO_IMPROVEMENT * node_weight) * (NO_IMPROVEMENT * node_weight);
        Self { found: None, bar: f64::NEG_INFINITY, floor, node_weight }
    }

    /// Whether a cut of this score might beat the best: a cheap test that is rarely true, so
    /// that the caller can check the rest (is there a cut at all?) only then.
    #[inline]
    fn may_beat(&self, numerator: f64, denominator: f64) -> bool {
        numerator > self.bar * denominator
    }

    /// Keeps `cut()` if its score beats the best by more than the tie tolerance.
    #[inline]
    fn offer(&mut self, numerator: f64, denominator: f64, cut: impl FnOnce() -> Cut) {
        if !self.may_beat(numerator, denominator) {
            return;
        }
        let numerator = if numerator > self.floor { numerator } else { 0.0 };
        if self.may_beat(numerator, denominator) {
            let score = numerator / denominator;
            self.bar = score * (1.0 + TIE_TOLERANCE);
            self.found = Some((cut(), score));
        }
    }
}

/// The working state of one tree's growth.
struct Grower<'b, 'a> {
    builder: &'b TreeBuilder<'a>,
    rng: Xoshiro256PlusPlus,
    stats: Vec<RowStats>,
    /// Each drawn row's unweighted target, for the purity test.
    targets: Vec<f64>,
    /// One block of `n_drawn` entries per parameter; within each pending node's range
    /// `start..end`, block `j` lists the node's rows by increasing value of parameter `j`.
    blocks: Vec<Entry>,
    n_drawn: usize,
    goes_left: Vec<bool>,
    scratch: Vec<Entry>,
    visit_order: Vec<usize>,
    nodes: Vec<Node>,
    /// Per parameter, the impurity decrease of the cuts made on it so far.
    decreases: Vec<f64>,
}

impl<'b, 'a> Grower<'b, 'a> {
    fn new(builder: &'b TreeBuilder<'a>, draws: &[u32], rng: Xoshiro256PlusPlus) -> Self {
        let n_params = builder.data.n_params();
        let mut ids = vec![u32::MAX; draws.len()];
        let mut stats = Vec::new();
        let mut targets = Vec::new();
        for (row, &count) in draws.iter().enumerate() {
            if count > 0 {
                ids[row] = stats.len() as u32;
                let (weight, target) = (f64::from(count), builder.targets[row]);
                stats.push(RowStats { weight, weighted_target: weight * target });
                targets.push(target);
            }
        }
        let n_drawn = stats.len();

        // Without parameters there is nothing to cut; one block still lists the rows.
        let mut blocks = Vec::with_capacity(n_params.max(1) * n_drawn);
        if n_params == 0 {
            blocks.extend((0..n_drawn as u32).map(|id| Entry { rank: 0, id }));
        }
        for column in &builder.columns {
            // Branch-free filter of the rows drawn (about 63% of them, in no pattern).
            let block_start = blocks.len();
            blocks.resize(block_start + n_drawn + 1, Entry { rank: 0, id: 0 });
            let block = &mut blocks[block_start..];
            let mut cursor = 0;
            for &row in &column.order {
                let id = ids[row as usize];
                block[cursor] = Entry { rank: column.ranks[row as usize], id };
                cursor += usize::from(id != u32::MAX);
            }
            blocks.truncate(block_start + n_drawn);
        }
        Self {
            builder,
            rng,
            stats,
            targets,
            blocks,
            n_drawn,
            goes_left: vec![false; n_drawn],
            scratch: vec![Entry { rank: 0, id: 0 }; n_drawn],
            visit_order: (0..n_params).collect(),
            nodes: Vec::new(),
            decreases: vec![0.0; n_params],
        }
    }

    fn grow(mut self) -> (Tree, Vec<f64>) {
        self.nodes.push(Node::Leaf { value: 0.0 });
        let mut stack = vec![Pending { node: 0, start: 0, end: self.n_drawn, depth: 0 }];
        while let Some(pending) = stack.pop() {
            let totals = self.node_totals(pending.start, pending.end);
            let mean = totals.weighted_target / totals.weight;
            self.nodes[pending.node] = Node::Leaf { value: mean };

            let too_small = pending.end - pending.start < 2;
            if too_small || pending.depth >= self.builder.params.max_depth {
                continue;
            }
            if self.is_pure(pending.start, pending.end) {
                continue;
            }
            let Some((cut, score)) = self.best_cut(pending.start, pending.end, totals) else {
                continue;
            };
            self.decreases[cut.param()] += totals.weight * score;

            let left = self.nodes.len();
            let right = left + 1;
            let depth = pending.depth + 1;
            if pending.end - pending.start == 2 || depth >= self.builder.params.max_depth {
                // Both children are leaves: their values follow from the cut's sums, and no
                // list needs reordering.
                let (left_totals, right_totals) = self.sides(cut, pending.start, pending.end);
                self.nodes[pending.node] = self.split_node(cut, left as u32, right as u32);
                self.nodes.push(Node::Leaf { value: left_totals.0 / left_totals.1 });
                self.nodes.push(Node::Leaf { value: right_totals.0 / right_totals.1 });
                continue;
            }
            let n_left = self.partition(cut, pending.start, pending.end);
            self.nodes.push(Node::Leaf { value: 0.0 });
            self.nodes.push(Node::Leaf { value: 0.0 });
            self.nodes[pending.node] = self.split_node(cut, left as u32, right as u32);
            let middle = pending.start + n_left;
            stack.push(Pending { node: right, start: middle, end: pending.end, depth });
            stack.push(Pending { node: left, start: pending.start, end: middle, depth });
        }
        (Tree { nodes: self.nodes }, self.decreases)
    }

    fn split_node(&self, cut: Cut, left: u32, right: u32) -> Node {
        match cut {
            Cut::Numeric { param, threshold, .. } => {
                Node::Numeric { param: param as u32, threshold, left, right }
            }
            Cut::Category { param, rank } => Node::Category {
                param: param as u32,
                choice: self.builder.columns[param].levels[rank as usize] as u32,
                left,
                right,
            },
        }
    }

    /// `(Σ w·y, Σ w)` of the rows going left and of those going right.
    fn sides(&self, cut: Cut, start: usize, end: usize) -> ((f64, f64), (f64, f64)) {
        let (param, goes_left): (usize, &dyn Fn(usize, Entry) -> bool) = match cut {
            Cut::Numeric { param, last_left, .. } => {
                (param, &move |position, _| position <= last_left)
            }
            Cut::Category { param, rank } => (param, &move |_, entry: Entry| entry.rank != rank),
        };
        let mut left = (0.0, 0.0);
        let mut right = (0.0, 0.0);
        for (position, &entry) in self.entries(param, start, end).iter().enumerate() {
            let row = &self.stats[entry.id as usize];
            let side = if goes_left(position, entry) { &mut left } else { &mut right };
            side.0 += row.weighted_target;
            side.1 += row.weight;
        }
        (left, right)
    }

    /// The weight and weighted target of an entry's row.
    #[inline]
    fn row(&self, entry: Entry) -> RowStats {
        // The ids in the blocks are the drawn rows' indices into `stats`, given out by
        // `Grower::new`; the scans read one for every row of every parameter at every node,
        // and unchecked, that read costs two instructions fewer.
        debug_assert!((entry.id as usize) < self.stats.len());
        // SAFETY: every entry's id is below `n_drawn == stats.len()` (see `Grower::new`).
        unsafe { *self.stats.get_unchecked(entry.id as usize) }
    }

    fn entries(&self, param: usize, start: usize, end: usize) -> &[Entry] {
        let offset = param * self.n_drawn;
        &self.blocks[offset + start..offset + end]
    }

    fn node_totals(&self, start: usize, end: usize) -> NodeTotals {
        let empty = NodeTotals { weight: 0.0, weighted_target: 0.0 };
        self.entries(0, start, end).iter().fold(empty, |total, &entry| {
            let row = self.row(entry);
            NodeTotals {
                weight: total.weight + row.weight,
                weighted_target: total.weighted_target + row.weighted_target,
            }
        })
    }

    /// Whether every row of the node has the same target. An impure node usually shows it
    /// within its first few rows, so this costs little where a cut follows.
    fn is_pure(&self, start: usize, end: usize) -> bool {
        let mut targets = self.entries(0, start, end).iter().map(|e| self.targets[e.id as usize]);
        let first = targets.next();
        targets.all(|target| Some(target) == first)
    }

    /// The cut with the largest weighted variance reduction. With `D_L` the weighted sum of
    /// the left rows' deviations from the node mean, the reduction is `W · D_L² / (W_L · W_R)`,
    /// so the score compared is `D_L² / (W_L · W_R)`.
    ///
    /// Parameters are visited in random order and ties keep the first cut met. Two cuts that
    /// split the rows the same way (on two parameters, say) must tie, but their sums are
    /// accumulated in different orders and differ in the last bits; scores within
    /// [`TIE_TOLERANCE`] of the best therefore count as ties, which keeps the tree the same
    /// when the targets are rescaled. A relative tolerance cannot tie scores that are 0 in
    /// exact arithmetic (children with equal means, common with repeated targets), so scores
    /// under the [`NO_IMPROVEMENT`] floor count as 0 exactly. Such a cut is still made when
    /// nothing beats it: it can prepare a good cut below (as for an exclusive or).
    ///
    /// Returns the cut and its score.
    fn best_cut(&mut self, start: usize, end: usize, totals: NodeTotals) -> Option<(Cut, f64)> {
        let n_params = self.visit_order.len();
        for i in (1..n_params).rev() {
            let j = below(&mut self.rng, i + 1);
            self.visit_order.swap(i, j);
        }

        let mut best = BestCut::new(totals.weight);
        let mean = totals.weighted_target / totals.weight;
        for &param in &self.visit_order {
            let entries = self.entries(param, start, end);
            if entries.first().map(|e| e.rank) == entries.last().map(|e| e.rank) {
                continue; // constant in this node
            }
            if self.builder.is_categorical[param] {
                self.score_choices(param, entries, mean, &mut best);
            } else {
                self.score_thresholds(param, entries, mean, &mut best);
            }
        }
        let (mut cut, score) = best.found?;
        if let Cut::Numeric { param, last_left, ref mut threshold } = cut {
            let entries = self.entries(param, start, end);
            let levels = &self.builder.columns[param].levels;
            let (low, high) = (entries[last_left].rank, entries[last_left + 1].rank);
            *threshold = midpoint(levels[low as usize], levels[high as usize]);
        }
        Some((cut, score))
    }

    /// Scores the cut between every two neighbouring distinct values in `entries` (a numeric
    /// parameter's rows of one node, by increasing value).
    ///
    /// This loop runs for every row of every parameter at every node: most of a forest's time.
    /// It takes two rows per step, the running sums advancing by the pair's sum, which halves
    /// the chain of dependent additions that bounds it; and it compares ranks (rows with equal
    /// values cannot be separated) only for the rare cut that beats the best one.
    fn score_thresholds(&self, param: usize, entries: &[Entry], mean: f64, best: &mut BestCut) {
        let weight = best.node_weight;
        let offer = |best: &mut BestCut, position: usize, numerator: f64, denominator: f64| {
            if !best.may_beat(numerator, denominator) {
                return;
            }
            let (entry, next) = (entries[position], entries[position + 1]);
            if entry.rank == next.rank {
                return;
            }
            // The threshold is filled in once the node's best cut is known (see `best_cut`).
            best.offer(numerator, denominator, || Cut::Numeric {
                param,
                last_left: position,
                threshold: f64::NAN,
            });
        };

        // Cuts follow positions `0..last`; a cut after `last` would leave the right side empty.
        let last = entries.len() - 1;
        let mut left_weight = 0.0;
        let mut left_deviation = 0.0;
        let mut pairs = entries[..last].chunks_exact(2);
        let mut position = 0;
        for pair in &mut pairs {
            let (a, b) = (self.row(pair[0]), self.row(pair[1]));
            let deviation_a = a.weighted_target - a.weight * mean;
            let deviation_b = b.weighted_target - b.weight * mean;
            // The sums after the first row and after both, written lane by lane so that the
            // compiler can keep each pair of numbers in one vector register.
            let weights = [left_weight + a.weight, left_weight + (a.weight + b.weight)];
            let deviations =
                [left_deviation + deviation_a, left_deviation + (deviation_a + deviation_b)];
            let numerators = [deviations[0] * deviations[0], deviations[1] * deviations[1]];
            let denominators =
                [weights[0] * (weight - weights[0]), weights[1] * (weight - weights[1])];
            let beats = [
                best.may_beat(numerators[0], denominators[0]),
                best.may_beat(numerators[1], denominators[1]),
            ];
            if beats[0] | beats[1] {
                offer(best, position, numerators[0], denominators[0]);
                offer(best, position + 1, numerators[1], denominators[1]);
            }
            left_weight = weights[1];
            left_deviation = deviations[1];
            position += 2;
        }
        if let [entry] = pairs.remainder() {
            let row = self.row(*entry);
            left_weight += row.weight;
            left_deviation += row.weighted_target - row.weight * mean;
            let numerator = left_deviation * left_deviation;
            offer(best, position, numerator, left_weight * (weight - left_weight));
        }
    }

    /// Scores the one-vs-rest cut of every choice present in `entries`. They are sorted by
    /// choice, so each choice is one contiguous group.
    fn score_choices(&self, param: usize, entries: &[Entry], mean: f64, best: &mut BestCut) {
        let weight = best.node_weight;
        let mut group_weight = 0.0;
        let mut group_deviation = 0.0;
        for (position, entry) in entries.iter().enumerate() {
            let row = self.row(*entry);
            group_weight += row.weight;
            group_deviation += row.weighted_target - row.weight * mean;
            let group_ends = entries.get(position + 1).is_none_or(|next| next.rank != entry.rank);
            if !group_ends {
                continue;
            }
            let numerator = group_deviation * group_deviation;
            let denominator = group_weight * (weight - group_weight);
            let rank = entry.rank;
            best.offer(numerator, denominator, || Cut::Category { param, rank });
            group_weight = 0.0;
            group_deviation = 0.0;
        }
    }

    /// Moves the rows going left to the front of `start..end` in every block, keeping each
    /// block's order; returns how many go left.
    fn partition(&mut self, cut: Cut, start: usize, end: usize) -> usize {
        let (cut_param, n_left) = match cut {
            Cut::Numeric { param, last_left, .. } => {
                let offset = param * self.n_drawn;
                let entries = &self.blocks[offset + start..offset + end];
                for (position, entry) in entries.iter().enumerate() {
                    self.goes_left[entry.id as usize] = position <= last_left;
                }
                (param, last_left + 1)
            }
            Cut::Category { param, rank } => {
                let offset = param * self.n_drawn;
                let mut n_left = 0;
                for entry in &self.blocks[offset + start..offset + end] {
                    let left = entry.rank != rank;
                    self.goes_left[entry.id as usize] = left;
                    n_left += usize::from(left);
                }
                (param, n_left)
            }
        };

        let goes_left = &self.goes_left;
        let scratch = &mut self.scratch;
        for (block, entries) in self.blocks.chunks_exact_mut(self.n_drawn.max(1)).enumerate() {
            if block == cut_param && matches!(cut, Cut::Numeric { .. }) {
                continue; // already in order: left rows first
            }
            let segment = &mut entries[start..end];
            // A parameter constant here stays constant below, where its block is never read
            // (cuts skip it); block 0 alone is also read for the nodes' sums.
            if block != 0 && segment.first().map(|e| e.rank) == segment.last().map(|e| e.rank) {
                continue;
            }
            // SAFETY: the ids are the drawn rows' indices, below `n_drawn == goes_left.len()`
            // (see `Grower::new`).
            let left =
                unsafe { stable_partition(segment, &mut scratch[..segment.len()], goes_left) };
            debug_assert_eq!(left, n_left);
        }
        n_left
    }
}

/// Moves the entries whose row `goes_left` to the front of `segment`, the others behind them,
/// both in their order; returns how many go left. `scratch` must be as long as `segment`.
///
/// It is branch-free: every entry is written to both places and only one cursor advances
/// (which side a row goes is a coin flip the branch predictor would miss). This loop runs for
/// every row of every parameter at every node, so its indexing is unchecked: the bounds checks
/// alone were a third of its instructions.
///
/// # Safety
/// Every entry's id must be below `goes_left.len()`.
#[inline]
unsafe fn stable_partition(
    segment: &mut [Entry],
    scratch: &mut [Entry],
    goes_left: &[bool],
) -> usize {
    assert_eq!(scratch.len(), segment.len());
    let (mut left, mut right) = (0, 0);
    for read in 0..segment.len() {
        // SAFETY: `left + right == read < segment.len() == scratch.len()` before the writes,
        // and each id indexes `goes_left` (the caller's promise, asserted in debug builds).
        unsafe {
            let entry = *segment.get_unchecked(read);
            debug_assert!((entry.id as usize) < goes_left.len());
            let goes = *goes_left.get_unchecked(entry.id as usize);
            *segment.get_unchecked_mut(left) = entry;
            *scratch.get_unchecked_mut(right) = entry;
            left += usize::from(goes);
            right += usize::from(!goes);
        }
    }
    segment[left..].copy_from_slice(&scratch[..right]);
    left
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
        let trees = run_in_pool(n_threads, params.n_trees(), || {
            (0..params.n_trees()).into_par_iter().map(|index| builder.fit_tree(index)).collect()
        })?;
        Ok(Self { trees })
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The forest's prediction (mean over trees) on the normalized target scale.
    pub fn predict(&self, configuration: &[f64]) -> f64 {
        let total: f64 = self.trees.iter().map(|tree| tree.predict(configuration)).sum();
        total / self.trees.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::SearchSpace;

    fn numeric_space(n_params: usize) -> SearchSpace {
        SearchSpace::new(vec![Domain::Numeric { low: 0.0, high: 1.0 }; n_params]).unwrap()
    }

    /// `n` rows of a deterministic pseudo-random design on `[0, 1]^n_params`.
    fn design(n: usize, n_params: usize) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        (0..n * n_params).map(|_| rng.random::<f64>()).collect()
    }

    #[test]
    fn midpoint_lies_between_neighbours() {
        assert_eq!(midpoint(1.0, 2.0), 1.5);
        assert_eq!(midpoint(-1e308, 1e308), 0.0);
        let next = f64::from_bits(1.0_f64.to_bits() + 1);
        assert_eq!(midpoint(1.0, next), 1.0);
    }

    #[test]
    fn normalized_targets_span_minus_one_to_one() {
        assert_eq!(normalized_targets(&[2.0, 4.0, 3.0]), vec![-1.0, 1.0, 0.0]);
        assert_eq!(normalized_targets(&[2.0, 10.0, 3.0]), vec![-0.5 / 3.5, 1.0, 0.0]);
        assert_eq!(normalized_targets(&[-1.7e308, 0.0, 1.7e308]), vec![-1.0, 0.0, 1.0]);
        assert_eq!(normalized_targets(&[5.0, 5.0]), vec![0.0, 0.0]);
        assert_eq!(normalized_targets(&[]), Vec::<f64>::new());
    }

    #[test]
    fn restoring_inverts_the_normalization() {
        for targets in [vec![2.0, 10.0, 3.0], vec![-1.7e308, 0.0, 1.7e308], vec![5.0, 5.0]] {
            let scale = TargetScale::of(&targets);
            for &y in &targets {
                let restored = scale.restore(scale.normalize(y));
                assert!((restored - y).abs() <= 1e-15 * y.abs(), "{restored} vs {y}");
            }
            assert!(scale.restore(1.0).is_finite() && scale.restore(-1.0).is_finite());
        }
    }

    #[test]
    fn normalized_targets_keep_subnormal_differences() {
        let tiniest = f64::from_bits(1);
        assert_eq!(normalized_targets(&[0.0, tiniest]), vec![-1.0, 1.0]);
        assert_eq!(normalized_targets(&[tiniest, 3.0 * tiniest, 2.0 * tiniest]), [-1.0, 1.0, 0.0]);
        assert_eq!(normalized_targets(&[f64::MAX, -f64::MAX]), vec![1.0, -1.0]);
    }

    #[test]
    fn normalized_targets_ignore_power_of_two_scales() {
        let y = [0.3, -7.25, 1e-3, 12.5, 0.3, 4.0];
        let reference = normalized_targets(&y);
        for exponent in [-1000, -60, -1, 1, 60, 900] {
            let scaled: Vec<f64> = y.iter().map(|v| times_power_of_two(*v, exponent)).collect();
            assert_eq!(normalized_targets(&scaled), reference, "2^{exponent}");
        }
        let negated: Vec<f64> = y.iter().map(|v| -v).collect();
        let flipped: Vec<f64> = reference.iter().map(|v| -v).collect();
        assert_eq!(normalized_targets(&negated), flipped);
    }

    #[test]
    fn binary_exponents_of_normal_and_subnormal_numbers() {
        assert_eq!(binary_exponent(1.0), 0);
        assert_eq!(binary_exponent(1.5), 0);
        assert_eq!(binary_exponent(0.75), -1);
        assert_eq!(binary_exponent(f64::MAX), 1023);
        assert_eq!(binary_exponent(f64::MIN_POSITIVE), -1022);
        assert_eq!(binary_exponent(f64::from_bits(1)), -1074);
        assert_eq!(binary_exponent(f64::from_bits(3 << 20)), -1074 + 21);
        assert_eq!(times_power_of_two(f64::from_bits(1), 1074), 1.0);
        assert_eq!(times_power_of_two(f64::MAX, -1023), f64::MAX / 2f64.powi(1023));
    }

    #[test]
    fn the_order_of_the_rows_does_not_matter() {
        let space = SearchSpace::new(vec![
            Domain::Numeric { low: 0.0, high: 1.0 },
            Domain::Categorical { n_choices: 3 },
        ])
        .unwrap();
        // Duplicated configurations with different targets too, which only the target orders.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for row in 0..60 {
            let (value, choice) = ((row % 20) as f64 / 20.0, (row % 3) as f64);
            x.extend([value, choice]);
            y.push(value * choice + (row / 20) as f64);
        }
        let mut reversed_x = Vec::new();
        for row in x.chunks(2).rev() {
            reversed_x.extend_from_slice(row);
        }
        let reversed_y: Vec<f64> = y.iter().rev().copied().collect();
        let params = ForestParams::new(4, 64, 5).unwrap();
        let forward = RandomForest::fit(Dataset::new(&x, &y, &space).unwrap(), params, Some(1));
        let backward = Dataset::new(&reversed_x, &reversed_y, &space).unwrap();
        assert_eq!(forward.unwrap(), RandomForest::fit(backward, params, Some(1)).unwrap());
    }

    #[test]
    fn fully_grown_tree_reproduces_its_bootstrap_rows() {
        let space = numeric_space(3);
        let x = design(200, 3);
        let y: Vec<f64> = x.chunks(3).map(|row| row[0] + 2.0 * row[1] * row[2]).collect();
        let data = Dataset::new(&x, &y, &space).unwrap();
        let builder = TreeBuilder::new(data, ForestParams::new(1, 64, 3).unwrap());
        let tree = builder.fit_tree(0);
        let normalized = normalized_targets(&y);
        let mut drawn = 0;
        for (row, configuration) in x.chunks(3).enumerate() {
            let prediction = tree.predict(configuration);
            if (prediction - normalized[row]).abs() < 1e-12 {
                drawn += 1;
            }
        }
        // A bootstrap sample holds about 63% of the distinct rows, each predicted exactly.
        assert!((100..=160).contains(&drawn), "{drawn} rows reproduced");
        assert_eq!(tree.n_leaves() * 2 - 1, tree.nodes().len());
    }

    #[test]
    fn a_far_out_target_does_not_make_the_rest_pure() {
        // Targets 0.5 + 0.1 x spread over 1e-11 of the range set by one value of 1e10; a
        // purity test on variance (below machine epsilon) would stop at the root's sibling.
        let space = numeric_space(1);
        let x = design(200, 1);
        let mut y: Vec<f64> = x.iter().map(|v| 0.5 + 0.1 * v).collect();
        y[0] = 1e10;
        let data = Dataset::new(&x, &y, &space).unwrap();
        let tree = TreeBuilder::new(data, ForestParams::new(1, 64, 0).unwrap()).fit_tree(0);
        assert!(tree.n_leaves() > 100, "{} leaves", tree.n_leaves());
    }

    #[test]
    fn cuts_that_improve_nothing_stay_tied_when_the_target_is_rescaled() {
        // Found by the property tests: in one tree, a node whose children have equal means
        // for every cut; scaled by 915.42..., some of those zero scores became 1e-35.
        let space = SearchSpace::new(vec![
            Domain::Numeric { low: 0.0, high: 1.6486823848259229 },
            Domain::Categorical { n_choices: 2 },
        ])
        .unwrap();
        let x = [
            -7.040662669353909e32,
            0.0,
            -0.5,
            0.0,
            0.8243411924129614,
            1.0,
            -0.5,
            0.0,
            0.25,
            0.0,
            1.6486823848259229,
            0.0,
            0.8243411924129614,
            1.0,
            1.6486823848259229,
            0.0,
        ];
        let y = [0.0, 0.0, 3.0, 0.0, -4.0, -5.0, -18.0, -4.0];
        let scaled: Vec<f64> = y.iter().map(|v| v * 915.4226927312048).collect();
        let params = ForestParams::new(4, 64, 15405530114699302173).unwrap();
        let builder = TreeBuilder::new(Dataset::new(&x, &y, &space).unwrap(), params);
        let scaled_builder = TreeBuilder::new(Dataset::new(&x, &scaled, &space).unwrap(), params);
        let shape = |tree: &Tree| -> Vec<Node> {
            let leaf = Node::Leaf { value: 0.0 };
            tree.nodes().iter().map(|n| if let Node::Leaf { .. } = n { leaf } else { *n }).collect()
        };
        for index in 0..4 {
            assert_eq!(shape(&builder.fit_tree(index)), shape(&scaled_builder.fit_tree(index)));
        }
    }

    #[test]
    fn max_depth_bounds_every_path() {
        let space = numeric_space(2);
        let x = design(300, 2);
        let y: Vec<f64> = x.chunks(2).map(|row| (10.0 * row[0]).sin() + row[1]).collect();
        let data = Dataset::new(&x, &y, &space).unwrap();
        let tree = TreeBuilder::new(data, ForestParams::new(1, 3, 0).unwrap()).fit_tree(0);
        fn depth(nodes: &[Node], index: usize) -> usize {
            match nodes[index] {
                Node::Leaf { .. } => 0,
                Node::Numeric { left, right, .. } | Node::Category { left, right, .. } => {
                    1 + depth(nodes, left as usize).max(depth(nodes, right as usize))
                }
            }
        }
        assert_eq!(depth(tree.nodes(), 0), 3);
        assert_eq!(tree.n_leaves(), 8);
    }

    #[test]
    fn constant_target_gives_a_single_leaf() {
        let space = numeric_space(2);
        let x = design(50, 2);
        let y = vec![3.5; 50];
        let data = Dataset::new(&x, &y, &space).unwrap();
        let tree = TreeBuilder::new(data, ForestParams::new(1, 64, 0).unwrap()).fit_tree(0);
        assert_eq!(tree.nodes(), &[Node::Leaf { value: 0.0 }]);
    }

    #[test]
    fn categorical_cut_splits_off_the_choice_that_differs() {
        let space = SearchSpace::new(vec![
            Domain::Categorical { n_choices: 4 },
            Domain::Numeric { low: 0.0, high: 1.0 },
        ])
        .unwrap();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for row in 0..80 {
            let choice = (row % 4) as f64;
            x.extend([choice, (row as f64) / 80.0]);
            y.push(if choice == 2.0 { 10.0 } else { 0.0 });
        }
        let data = Dataset::new(&x, &y, &space).unwrap();
        let tree = TreeBuilder::new(data, ForestParams::new(1, 64, 0).unwrap()).fit_tree(0);
        match tree.nodes()[0] {
            Node::Category { param: 0, choice: 2, left, right } => {
                // The median target, 0, maps to 0 and the largest, 10, to 1.
                assert_eq!(tree.nodes()[left as usize], Node::Leaf { value: 0.0 });
                assert_eq!(tree.nodes()[right as usize], Node::Leaf { value: 1.0 });
            }
            other => panic!("expected a cut on choice 2 at the root, got {other:?}"),
        }
        assert_eq!(tree.predict(&[2.0, 0.3]), 1.0);
        assert_eq!(tree.predict(&[3.0, 0.3]), 0.0);
    }

    #[test]
    fn forest_is_identical_for_any_thread_count() {
        let space = numeric_space(4);
        let x = design(300, 4);
        let y: Vec<f64> = x.chunks(4).map(|r| r[0] * r[1] + r[2]).collect();
        let data = Dataset::new(&x, &y, &space).unwrap();
        let params = ForestParams::new(12, 64, 42).unwrap();
        let one = RandomForest::fit(data, params, Some(1)).unwrap();
        let two = RandomForest::fit(data, params, Some(2)).unwrap();
        let many = RandomForest::fit(data, params, Some(5)).unwrap();
        assert_eq!(one, two);
        assert_eq!(one, many);
        let other_seed = RandomForest::fit(data, ForestParams::new(12, 64, 43).unwrap(), Some(2));
        assert_ne!(one, other_seed.unwrap());
    }

    #[test]
    fn rejects_invalid_settings() {
        assert_eq!(
            ForestParams::new(0, 64, 0),
            Err(Error::InvalidForestSetting { name: "n_trees", value: 0 })
        );
        assert_eq!(
            ForestParams::new(8, 0, 0),
            Err(Error::InvalidForestSetting { name: "max_depth", value: 0 })
        );
        let space = numeric_space(1);
        let data = Dataset::new(&[0.0, 1.0], &[0.0, 1.0], &space).unwrap();
        let params = ForestParams::new(2, 4, 0).unwrap();
        assert_eq!(
            RandomForest::fit(data, params, Some(0)),
            Err(Error::InvalidForestSetting { name: "n_threads", value: 0 })
        );
    }
}

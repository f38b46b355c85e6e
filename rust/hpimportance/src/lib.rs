//! Hyperparameter importance from tuning histories: fast, exact fANOVA on random forests, and
//! PED-ANOVA.
//!
//! Given the configurations a tuner tried (one row per trial, one column per parameter) and
//! the scores they got, [`fanova()`] fits a random forest to them and measures how much of the
//! forest's variance each parameter explains on its own.
//!
//! ```
//! use hpimportance::{fanova, Dataset, Domain, ForestParams, SearchSpace};
//!
//! // y = 10 x0 + x1 on [0, 1]^2: x0 carries about 99% of the variance.
//! let space = SearchSpace::new(vec![
//!     Domain::Numeric { low: 0.0, high: 1.0 },
//!     Domain::Numeric { low: 0.0, high: 1.0 },
//! ])?;
//! let mut x = Vec::new();
//! let mut y = Vec::new();
//! for i in 0..20 {
//!     for j in 0..20 {
//!         let (a, b) = (i as f64 / 19.0, j as f64 / 19.0);
//!         x.extend([a, b]);
//!         y.push(10.0 * a + b);
//!     }
//! }
//! let data = Dataset::new(&x, &y, &space)?;
//! let result = fanova(data, ForestParams::new(16, 64, 0)?, None)?;
//! assert!(result.importances[0] > 0.9 && result.importances[1] < 0.05);
//! # Ok::<(), hpimportance::Error>(())
//! ```
//!
//! [`fanova_with_detail`] also gives pairwise importances (what two parameters explain
//! together beyond their own shares) and marginal curves, for plots. The crate's
//! `examples/tuning_history.rs` walks through both on a made-up tuning history:
//! `cargo run --release --example tuning_history`.
//!
//! Modules:
//! * [`space`]: parameter domains and the measure importances are computed under;
//! * [`data`]: the validated configuration matrix and targets;
//! * [`forest`]: the regression random forest (flat-array CART trees);
//! * [`fanova`](mod@fanova): marginal variances of each tree by a single leaf sweep;
//! * [`mdi`]: mean decrease impurity, the squared error each parameter's cuts remove;
//! * [`ped_anova`](mod@ped_anova): PED-ANOVA's Parzen estimates on grids and their Pearson
//!   divergences;
//! * [`parallel`]: the per-call worker pool.

pub mod data;
pub mod error;
pub mod fanova;
pub mod forest;
pub mod mdi;
pub mod parallel;
pub mod ped_anova;
pub mod space;

pub use data::Dataset;
pub use error::Error;
pub use fanova::{
    decompositions_of_trees, fanova, fanova_with_detail, summarize, summarize_detail,
    tree_decomposition, tree_variances, variances_of_trees, Detail, DetailResult, FanovaResult,
    TreeVariances,
};
pub use forest::{ForestParams, Node, RandomForest, Tree, TreeBuilder};
pub use mdi::{
    decreases_of_trees, mean_decrease_impurity, summarize_decreases, MdiResult, TreeDecreases,
};
pub use parallel::WorkerPool;
pub use ped_anova::{divergences, Grid, Problem, Reference};
pub use space::{Domain, SearchSpace};

//! Which hyperparameters mattered in a tuning history, from Rust.
//!
//! A made-up history of 1,000 trials of a model with a learning rate (log-uniform), a layer
//! count (an integer) and an optimizer (a categorical of three choices). The score depends
//! strongly on the learning rate, a little on the layers and, jointly, on the optimizer and the
//! learning rate. Run with `cargo run --release --example tuning_history`.

use hpimportance::{fanova_with_detail, Dataset, Detail, Domain, Error, ForestParams, SearchSpace};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const NAMES: [&str; 3] = ["log10(lr)", "layers", "optimizer"];

fn main() -> Result<(), Error> {
    // The learning rate is analysed on its log scale: the column holds log10(lr).
    let space = SearchSpace::new(vec![
        Domain::Numeric { low: -5.0, high: -1.0 },
        Domain::Numeric { low: 1.0, high: 8.0 },
        Domain::Categorical { n_choices: 3 },
    ])?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..1000 {
        let log_lr: f64 = rng.random_range(-5.0..-1.0);
        let layers = rng.random_range(1..=8) as f64;
        let optimizer = rng.random_range(0..3);
        let best_log_lr = [-3.0, -2.0, -3.5][optimizer];
        let loss = (log_lr - best_log_lr).powi(2) + 0.05 * (layers - 4.0).abs();
        x.extend([log_lr, layers, optimizer as f64]);
        y.push(loss);
    }

    // The short way: importances only.
    let data = Dataset::new(&x, &y, &space)?;
    let params = ForestParams::new(64, 64, 0)?;
    let result = hpimportance::fanova(data, params, None)?;
    println!("importance (std across trees):");
    for (name, (mean, std)) in NAMES.iter().zip(result.importances.iter().zip(&result.std)) {
        println!("  {name:<10} {mean:.3} ({std:.3})");
    }

    // The detailed way: pairwise importances and a marginal curve, from the same forest.
    let detail =
        Detail::new(vec![(0, 2), (0, 1)], vec![(0, vec![-5.0, -4.0, -3.0, -2.0, -1.0])], &space)?;
    let (same, detailed) = fanova_with_detail(data, params, None, &detail)?;
    assert_eq!(same, result);
    for (&(i, j), share) in detail.pairs().iter().zip(&detailed.pairwise) {
        println!("pair {} x {}: {share:.3}", NAMES[i], NAMES[j]);
    }
    println!("marginal loss by log10(lr):");
    for (value, mean) in detail.points()[0].1.iter().zip(&detailed.marginal_mean[0]) {
        println!("  {value:>5.1} -> {mean:.3}");
    }
    Ok(())
}

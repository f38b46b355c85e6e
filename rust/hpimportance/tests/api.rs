//! The public API as another crate uses it.

use hpimportance::{
    decreases_of_trees, fanova, mean_decrease_impurity, summarize_decreases, Dataset, Domain,
    Error, ForestParams, RandomForest, SearchSpace, TreeBuilder, WorkerPool,
};

/// `y = 4 x0 + x1 + [0, 2, 0][c]` on a grid of 18 x 18 x 3 points.
fn grid() -> (SearchSpace, Vec<f64>, Vec<f64>) {
    let space = SearchSpace::new(vec![
        Domain::Numeric { low: 0.0, high: 1.0 },
        Domain::Numeric { low: 0.0, high: 1.0 },
        Domain::Categorical { n_choices: 3 },
    ])
    .unwrap();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..18 {
        for j in 0..18 {
            for c in 0..3 {
                let (a, b) = (i as f64 / 17.0, j as f64 / 17.0);
                x.extend([a, b, c as f64]);
                y.push(4.0 * a + b + if c == 1 { 2.0 } else { 0.0 });
            }
        }
    }
    (space, x, y)
}

#[test]
fn importances_follow_the_variance_of_each_term() {
    let (space, x, y) = grid();
    let data = Dataset::new(&x, &y, &space).unwrap();
    let result = fanova(data, ForestParams::new(32, 64, 7).unwrap(), None).unwrap();
    // Var(4 x0) = 16/12, Var(x1) = 1/12, Var(2 [c = 1]) = 4 * 2/9 on an additive function.
    let variances = [16.0 / 12.0, 1.0 / 12.0, 8.0 / 9.0];
    let total: f64 = variances.iter().sum();
    for (importance, variance) in result.importances.iter().zip(variances) {
        assert!((importance - variance / total).abs() < 0.03, "{:?}", result.importances);
    }
    assert_eq!(result.n_trees_used, 32);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (space, x, y) = grid();
    let data = Dataset::new(&x, &y, &space).unwrap();
    let params = ForestParams::new(16, 64, 1).unwrap();
    let one = fanova(data, params, Some(1)).unwrap();
    let three = fanova(data, params, Some(3)).unwrap();
    assert_eq!(one, three);
    let forest = RandomForest::fit(data, params, Some(2)).unwrap();
    assert_eq!(forest, RandomForest::fit(data, params, Some(1)).unwrap());
    assert_eq!(forest.trees().len(), 16);
}

#[test]
fn invalid_input_is_a_typed_error() {
    let (space, x, y) = grid();
    assert!(matches!(Dataset::new(&x[1..], &y, &space), Err(Error::ColumnCountMismatch { .. })));
    let data = Dataset::new(&x, &y, &space).unwrap();
    assert_eq!(
        fanova(data, ForestParams::new(4, 8, 0).unwrap(), Some(0)),
        Err(Error::InvalidForestSetting { name: "n_threads", value: 0 })
    );
}

#[test]
fn mean_decrease_impurity_in_chunks_is_the_same() {
    let (space, x, y) = grid();
    let data = Dataset::new(&x, &y, &space).unwrap();
    let params = ForestParams::new(10, 64, 3).unwrap();
    let whole = mean_decrease_impurity(data, params, Some(2)).unwrap();

    let builder = TreeBuilder::new(data, params);
    let pool = WorkerPool::new(Some(2), 10).unwrap();
    let mut per_tree = decreases_of_trees(&builder, 0..4, &pool);
    per_tree.extend(decreases_of_trees(&builder, 4..10, &pool));
    assert_eq!(summarize_decreases(&per_tree, 3), whole);

    // The trees are those of the forest: MDI reads the same trees fANOVA does.
    let forest = RandomForest::fit(data, params, Some(1)).unwrap();
    for (index, tree) in forest.trees().iter().enumerate() {
        assert_eq!(&builder.fit_tree_with_decreases(index).0, tree);
    }
    // The grid is noise-free and additive; x0 removes most of the error, then c, then x1.
    let [x0, x1, c] = whole.importances[..] else { panic!("three importances expected") };
    assert!(x0 > c && c > x1 && x1 > 0.0, "{:?}", whole.importances);
    assert!((x0 + x1 + c - 1.0).abs() < 1e-12);
}

#[test]
fn ped_anova_finds_the_parameter_the_best_trials_agree_on() {
    use hpimportance::{divergences, Grid, Problem, Reference};

    // 200 trials; the best 20 have x near 0.2 and any choice of c.
    let x: Vec<f64> = (0..200).map(|i| (i as f64 * 0.618_034) % 1.0).collect();
    let c: Vec<f64> = (0..200).map(|i| (i % 3) as f64).collect();
    let mut order: Vec<usize> = (0..200).collect();
    order.sort_by(|&a, &b| (x[a] - 0.2).abs().total_cmp(&(x[b] - 0.2).abs()));
    let mut is_top = vec![false; 200];
    for &i in &order[..20] {
        is_top[i] = true;
    }
    let problems = [
        Problem {
            grid: Grid::Numeric { n_points: 50, low: 0.0, high: 1.0 },
            values: &x,
            is_top: &is_top,
        },
        Problem { grid: Grid::Categorical { n_choices: 3 }, values: &c, is_top: &is_top },
    ];
    let local = divergences(&problems, Reference::Region, Some(2)).unwrap();
    assert!(local[0] > 4.0 && local[1] < 0.02, "{local:?}");
    let global = divergences(&problems, Reference::Uniform, Some(1)).unwrap();
    assert!(global[0] > 4.0 && global[1] < 0.02, "{global:?}");
}

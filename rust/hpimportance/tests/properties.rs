//! Property tests of the public API over arbitrary input: shapes from empty to a dozen rows,
//! values including NaN, infinities, subnormals, the extreme floats, duplicates, constant
//! columns, zero-width bounds, values outside their bounds and huge choice counts.
//!
//! Every entry point (fANOVA, forest fitting, mean decrease impurity, PED-ANOVA's divergences)
//! must either return a typed [`Error`] or a result that satisfies its contract (finite
//! importances in `[0, 1]`, well-formed trees, finite non-negative divergences), and never
//! panic. The invariants are checked on valid data: the fANOVA importances of one tree sum to at
//! most 1; fANOVA and MDI do not change when the rows are permuted or the target is rescaled;
//! PED-ANOVA's divergences do not change when the trials are permuted.
//!
//! Each property runs 2,000 cases from a fixed seed (see [`config`]).

use hpimportance::space::MAX_CHOICES;
use hpimportance::{
    divergences, fanova, mean_decrease_impurity, tree_variances, Dataset, Domain, Error,
    ForestParams, Grid, Node, Problem, RandomForest, Reference, SearchSpace, Tree, TreeBuilder,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{RngSeed, TestCaseError};

/// 2,000 cases drawn from a fixed seed, so that CI runs the same ones every time; the
/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` variables ask for more, or for fresh ones.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 2000;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0);
    }
    // Failures print their minimal case; with a fixed seed there is nothing to replay.
    config.failure_persistence = None;
    config
}

/// Floats from everywhere: any bit pattern but signalling NaNs, the special values, and
/// ordinary small numbers.
fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => prop::num::f64::ANY,
        2 => select(vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            -f64::from_bits(1),
            f64::EPSILON,
            1e300,
            -1e300,
        ]),
        3 => -3.0..3.0_f64,
    ]
}

/// Finite floats of every magnitude, subnormals and the extremes included.
fn finite_value() -> impl Strategy<Value = f64> {
    any_value().prop_map(|v| if v.is_finite() { v } else { 0.5 })
}

/// Mostly valid domains (zero-width ones too), some invalid: reversed or non-finite bounds, no
/// choices, more choices than supported; and choice counts up to the largest supported.
fn domain() -> impl Strategy<Value = Domain> {
    prop_oneof![
        4 => (finite_value(), finite_value())
            .prop_map(|(a, b)| Domain::Numeric { low: a.min(b), high: a.max(b) }),
        1 => finite_value().prop_map(|v| Domain::Numeric { low: v, high: v }),
        1 => (any_value(), any_value()).prop_map(|(low, high)| Domain::Numeric { low, high }),
        3 => (1_usize..6).prop_map(|n_choices| Domain::Categorical { n_choices }),
        1 => select(vec![0, 1 << 40, MAX_CHOICES, MAX_CHOICES + 1, usize::MAX])
            .prop_map(|n_choices| Domain::Categorical { n_choices }),
    ]
}

/// A value for a cell of `domain`'s column, from a selector and a raw float: bounds, midpoint,
/// a small pool (so that values repeat and columns can be constant), anything finite (so
/// outside the bounds too), or a choice index.
fn cell_value(domain: Domain, selector: u8, raw: f64) -> f64 {
    match domain {
        Domain::Numeric { low, high } => match selector % 8 {
            0 => low,
            1 => high,
            2 => low / 2.0 + high / 2.0,
            3..=5 => f64::from(selector % 5) * 0.25 - 0.5,
            _ if raw.is_finite() => raw,
            _ => low,
        },
        Domain::Categorical { n_choices } => (usize::from(selector) % n_choices.clamp(1, 7)) as f64,
    }
}

/// A target from a small pool (ties, constant targets), of any finite magnitude, or subnormal.
fn target() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (-3_i32..3).prop_map(f64::from),
        3 => finite_value(),
        1 => (1_u64..1000).prop_map(f64::from_bits),
    ]
}

/// An input to the core: domains (maybe invalid), a row-major `x` and `y` (maybe with one
/// corrupted entry, maybe of inconsistent lengths).
#[derive(Debug, Clone)]
struct Input {
    domains: Vec<Domain>,
    x: Vec<f64>,
    y: Vec<f64>,
}

fn input() -> impl Strategy<Value = Input> {
    (prop::collection::vec(domain(), 0..=4), 0_usize..=12)
        .prop_flat_map(|(domains, n_rows)| {
            let n_cells = domains.len() * n_rows;
            (
                Just(domains),
                prop::collection::vec((any::<u8>(), finite_value()), n_cells),
                prop::collection::vec(target(), n_rows),
                // Corruptions: (which, where, value); `which` 0 or 1 hits x or y, 2 drops
                // the last cell of x, 3 adds a target, anything else leaves the input alone.
                (0_u8..8, any::<prop::sample::Index>(), any_value()),
            )
        })
        .prop_map(|(domains, cells, mut y, (which, index, value))| {
            let n_params = domains.len().max(1);
            let mut x: Vec<f64> = cells
                .iter()
                .enumerate()
                .map(|(i, &(selector, raw))| cell_value(domains[i % n_params], selector, raw))
                .collect();
            match which {
                0 if !x.is_empty() => {
                    let position = index.index(x.len());
                    x[position] = value;
                }
                1 if !y.is_empty() => {
                    let position = index.index(y.len());
                    y[position] = value;
                }
                2 => {
                    x.pop();
                }
                3 => y.push(0.0),
                _ => {}
            }
            Input { domains, x, y }
        })
}

/// Whether the core must accept the input, written from the documentation of
/// `SearchSpace::new` and `Dataset::new`.
fn should_accept(input: &Input) -> bool {
    let space_ok = input.domains.iter().all(|domain| match *domain {
        Domain::Numeric { low, high } => low.is_finite() && high.is_finite() && low <= high,
        Domain::Categorical { n_choices } => (1..=MAX_CHOICES).contains(&n_choices),
    });
    let n_params = input.domains.len();
    let shape_ok = input.x.len() == n_params * input.y.len();
    // With the right shape, a space without parameters has no values to check.
    let values_ok = shape_ok
        && input.x.iter().enumerate().all(|(i, &value)| match input.domains[i % n_params] {
            Domain::Numeric { .. } => value.is_finite(),
            Domain::Categorical { n_choices } => {
                value >= 0.0 && value.fract() == 0.0 && value < n_choices as f64
            }
        });
    space_ok && values_ok && input.y.iter().all(|v| v.is_finite())
}

/// The input's search space if the core must accept the input, after checking that it does
/// (`SearchSpace::new` and `Dataset::new` succeed); `None` after checking that it refuses it
/// with a typed error.
fn accepted_space(input: &Input) -> Result<Option<SearchSpace>, TestCaseError> {
    let accept = should_accept(input);
    let space = match SearchSpace::new(input.domains.clone()) {
        Ok(space) => space,
        Err(error) => {
            prop_assert!(!accept);
            let expected = matches!(
                error,
                Error::InvalidBounds { .. }
                    | Error::NoChoices { .. }
                    | Error::TooManyChoices { .. }
            );
            prop_assert!(expected, "{}", error);
            return Ok(None);
        }
    };
    if let Err(error) = Dataset::new(&input.x, &input.y, &space) {
        prop_assert!(!accept, "{error}");
        return Ok(None);
    }
    prop_assert!(accept);
    Ok(Some(space))
}

fn forest_params() -> impl Strategy<Value = (ForestParams, Option<usize>)> {
    (
        0_usize..=4,
        prop_oneof![3 => 0_usize..=6, 1 => Just(usize::MAX)],
        any::<u64>(),
        prop_oneof![Just(None), Just(Some(0)), (1_usize..=3).prop_map(Some)],
    )
        .prop_map(|(n_trees, max_depth, seed, n_threads)| {
            // Invalid settings are checked by `forest_settings_are_validated`.
            let params = ForestParams::new(n_trees.max(1), max_depth.max(1), seed);
            (params.expect("valid settings"), n_threads)
        })
}

/// Checks a fitted tree's shape: children after their parent, every node reached once, cuts on
/// existing parameters of the right kind, finite thresholds, leaves in `[-1, 1]`.
fn assert_well_formed(tree: &Tree, domains: &[Domain], max_depth: usize) {
    let nodes = tree.nodes();
    let mut reached = vec![false; nodes.len()];
    let mut stack = vec![(0_usize, 0_usize)];
    while let Some((index, depth)) = stack.pop() {
        assert!(!reached[index], "node {index} reached twice");
        reached[index] = true;
        assert!(depth <= max_depth, "depth {depth} beyond {max_depth}");
        match nodes[index] {
            Node::Leaf { value } => assert!((-1.0..=1.0).contains(&value), "leaf {value}"),
            Node::Numeric { param, threshold, left, right } => {
                assert!(matches!(domains[param as usize], Domain::Numeric { .. }));
                assert!(threshold.is_finite());
                assert!(left as usize > index && right as usize > index);
                stack.extend([(left as usize, depth + 1), (right as usize, depth + 1)]);
            }
            Node::Category { param, choice, left, right } => {
                let Domain::Categorical { n_choices } = domains[param as usize] else {
                    panic!("categorical cut on numeric parameter {param}");
                };
                assert!((choice as usize) < n_choices);
                assert!(left as usize > index && right as usize > index);
                stack.extend([(left as usize, depth + 1), (right as usize, depth + 1)]);
            }
        }
    }
    assert!(reached.iter().all(|&r| r), "unreachable nodes");
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary input: a typed error exactly when the documentation says so, otherwise finite
    /// importances in [0, 1] that sum to at most 1.
    #[test]
    fn fanova_returns_importances_or_a_typed_error(
        input in input(),
        (params, n_threads) in forest_params(),
    ) {
        let Some(space) = accepted_space(&input)? else { return Ok(()) };
        let data = Dataset::new(&input.x, &input.y, &space).unwrap();

        match fanova(data, params, n_threads) {
            Ok(result) => {
                let n_params = space.len();
                prop_assert_eq!(result.importances.len(), n_params);
                prop_assert_eq!(result.std.len(), n_params);
                prop_assert!(result.n_trees_used <= params.n_trees());
                for (&importance, &std) in result.importances.iter().zip(&result.std) {
                    prop_assert!((0.0..=1.0).contains(&importance), "{:?}", result);
                    prop_assert!((0.0..=0.5).contains(&std), "{:?}", result);
                }
                prop_assert!(result.importances.iter().sum::<f64>() <= 1.0 + 1e-12);
                if result.n_trees_used == 0 {
                    prop_assert!(result.importances.iter().all(|&v| v == 0.0));
                }
            }
            Err(error) => prop_assert_eq!(error, Error::InvalidForestSetting {
                name: "n_threads",
                value: 0,
            }),
        }
    }

    /// Fitting a forest on valid data gives well-formed trees, the same on any thread count,
    /// whose predictions are finite and whose variance decomposition is consistent.
    #[test]
    fn forest_fitting_gives_well_formed_trees(
        input in input(),
        (params, _) in forest_params(),
    ) {
        let Ok(space) = SearchSpace::new(input.domains.clone()) else { return Ok(()) };
        let Ok(data) = Dataset::new(&input.x, &input.y, &space) else { return Ok(()) };

        let forest = RandomForest::fit(data, params, Some(1)).expect("one thread starts");
        prop_assert_eq!(&forest, &RandomForest::fit(data, params, Some(2)).unwrap());
        prop_assert_eq!(forest.trees().len(), params.n_trees());
        let n_params = space.len();
        for tree in forest.trees() {
            assert_well_formed(tree, space.domains(), params.max_depth());
            prop_assert_eq!(tree.n_leaves() * 2 - 1, tree.nodes().len());
            for row in input.x.chunks(n_params.max(1)).take(data.n_rows()) {
                let prediction = tree.predict(row);
                prop_assert!((-1.0..=1.0).contains(&prediction));
            }
            let variances = tree_variances(tree, &space);
            prop_assert!(variances.total.is_finite() && variances.total >= 0.0);
            let explained: f64 = variances.main_effects.iter().sum();
            prop_assert!(variances.main_effects.iter().all(|v| v.is_finite() && *v >= 0.0));
            prop_assert!(explained <= variances.total * (1.0 + 1e-12) + 1e-300);
        }
        // Grown tree by tree, the same trees.
        let builder = TreeBuilder::new(data, params);
        for (index, tree) in forest.trees().iter().enumerate() {
            prop_assert_eq!(tree, &builder.fit_tree(index));
        }
    }

    /// Arbitrary input: a typed error exactly when the documentation says so, otherwise
    /// finite importances in [0, 1] that sum to 1 or are all 0; the same on any thread count.
    #[test]
    fn mdi_returns_importances_or_a_typed_error(
        input in input(),
        (params, n_threads) in forest_params(),
    ) {
        let Some(space) = accepted_space(&input)? else { return Ok(()) };
        let data = Dataset::new(&input.x, &input.y, &space).unwrap();

        match mean_decrease_impurity(data, params, n_threads) {
            Ok(result) => {
                prop_assert_eq!(result.importances.len(), space.len());
                prop_assert!(result.n_trees_used <= params.n_trees());
                prop_assert!(
                    result.importances.iter().all(|v| (0.0..=1.0).contains(v)),
                    "{:?}", result
                );
                // All 0 when no tree has a cut, or no cut removes any error (a cut that
                // removes nothing is still made where it may prepare one below).
                let total: f64 = result.importances.iter().sum();
                let zeros = result.importances.iter().all(|&v| v == 0.0);
                prop_assert!(zeros || (total - 1.0).abs() <= 1e-12, "{:?}", result);
                prop_assert!(result.n_trees_used > 0 || zeros, "{:?}", result);
                let other_threads = n_threads.map_or(1, |n| n % 3 + 1);
                prop_assert_eq!(
                    &result,
                    &mean_decrease_impurity(data, params, Some(other_threads)).unwrap()
                );
            }
            Err(error) => prop_assert_eq!(error, Error::InvalidForestSetting {
                name: "n_threads",
                value: 0,
            }),
        }
    }

    #[test]
    fn forest_settings_are_validated(n_trees in 0_usize..3, max_depth in 0_usize..3) {
        let result = ForestParams::new(n_trees, max_depth, 0);
        match (n_trees, max_depth) {
            (0, _) => prop_assert_eq!(
                result,
                Err(Error::InvalidForestSetting { name: "n_trees", value: 0 })
            ),
            (_, 0) => prop_assert_eq!(
                result,
                Err(Error::InvalidForestSetting { name: "max_depth", value: 0 })
            ),
            _ => prop_assert!(result.is_ok()),
        }
    }
}

/// Valid data whose targets are small integers, so that shifting them by an integer is exact
/// and scaling them keeps distinct targets apart.
#[derive(Debug, Clone)]
struct Valid {
    domains: Vec<Domain>,
    x: Vec<f64>,
    y: Vec<f64>,
}

fn valid() -> impl Strategy<Value = Valid> {
    let domain = prop_oneof![
        3 => (-2.0..2.0_f64, 0.0..3.0_f64)
            .prop_map(|(low, width)| Domain::Numeric { low, high: low + width }),
        1 => (-2.0..2.0_f64).prop_map(|v| Domain::Numeric { low: v, high: v }),
        2 => (1_usize..6).prop_map(|n_choices| Domain::Categorical { n_choices }),
    ];
    (prop::collection::vec(domain, 1..=4), 2_usize..=16)
        .prop_flat_map(|(domains, n_rows)| {
            let n_cells = domains.len() * n_rows;
            (
                Just(domains),
                prop::collection::vec((any::<u8>(), finite_value()), n_cells),
                prop::collection::vec((-20_i32..20).prop_map(f64::from), n_rows),
            )
        })
        .prop_map(|(domains, cells, y)| {
            let n_params = domains.len();
            let x = cells
                .iter()
                .enumerate()
                .map(|(i, &(selector, raw))| cell_value(domains[i % n_params], selector, raw))
                .collect();
            Valid { domains, x, y }
        })
}

fn importances_of(valid: &Valid, x: &[f64], y: &[f64], params: ForestParams) -> Vec<f64> {
    let space = SearchSpace::new(valid.domains.clone()).unwrap();
    let data = Dataset::new(x, y, &space).unwrap();
    fanova(data, params, Some(1)).unwrap().importances
}

proptest! {
    #![proptest_config(config())]

    /// A single tree's first-order effects are shares of its variance: they sum to at most 1.
    #[test]
    fn one_tree_explains_at_most_all_of_its_variance(valid in valid(), seed in any::<u64>()) {
        let params = ForestParams::new(1, 64, seed).unwrap();
        let importances = importances_of(&valid, &valid.x, &valid.y, params);
        prop_assert!(importances.iter().sum::<f64>() <= 1.0 + 1e-12, "{:?}", importances);
    }

    /// The rows are put in a canonical order before fitting: any permutation gives the same
    /// forest, so the same importances bit for bit.
    #[test]
    fn permuting_the_rows_changes_nothing(
        (valid, order) in valid().prop_flat_map(|valid| {
            let order: Vec<usize> = (0..valid.y.len()).collect();
            (Just(valid), Just(order).prop_shuffle())
        }),
        seed in any::<u64>(),
    ) {
        let n_params = valid.domains.len();
        let x: Vec<f64> = order
            .iter()
            .flat_map(|&row| valid.x[row * n_params..(row + 1) * n_params].to_vec())
            .collect();
        let y: Vec<f64> = order.iter().map(|&row| valid.y[row]).collect();
        let params = ForestParams::new(4, 64, seed).unwrap();
        prop_assert_eq!(
            importances_of(&valid, &x, &y, params),
            importances_of(&valid, &valid.x, &valid.y, params)
        );
    }

    /// Targets are prescaled by a power of two and centred: a power-of-two scale, or an exact
    /// shift, gives identical normalized targets and so identical results; any other positive
    /// scale changes only their last bits, and cut scores within 1e-9 of each other tie, so
    /// the trees are the same and the importances agree to rounding (measured: below 1e-15).
    #[test]
    fn rescaling_the_target_changes_nothing(
        valid in valid(),
        exponent in -1000_i32..1000,
        shift in -1_000_000_i32..1_000_000,
        scale in 1e-3..1e3_f64,
        seed in any::<u64>(),
    ) {
        let params = ForestParams::new(4, 64, seed).unwrap();
        let reference = importances_of(&valid, &valid.x, &valid.y, params);
        let power = 2_f64.powi(exponent / 2) * 2_f64.powi(exponent - exponent / 2);

        let times_power: Vec<f64> = valid.y.iter().map(|v| v * power).collect();
        prop_assert_eq!(&importances_of(&valid, &valid.x, &times_power, params), &reference);
        let shifted: Vec<f64> = valid.y.iter().map(|v| v + f64::from(shift)).collect();
        prop_assert_eq!(&importances_of(&valid, &valid.x, &shifted, params), &reference);
        let scaled: Vec<f64> = valid.y.iter().map(|v| v * scale).collect();
        for (a, b) in importances_of(&valid, &valid.x, &scaled, params).iter().zip(&reference) {
            prop_assert!((a - b).abs() <= 1e-9, "{} vs {}", a, b);
        }
    }

    /// MDI fits the same forest as fANOVA: permuted rows or a power-of-two scale of the
    /// target give the same importances bit for bit.
    #[test]
    fn mdi_ignores_the_order_of_the_rows_and_the_scale_of_the_target(
        (valid, order) in valid().prop_flat_map(|valid| {
            let order: Vec<usize> = (0..valid.y.len()).collect();
            (Just(valid), Just(order).prop_shuffle())
        }),
        exponent in -1000_i32..1000,
        seed in any::<u64>(),
    ) {
        let n_params = valid.domains.len();
        let space = SearchSpace::new(valid.domains.clone()).unwrap();
        let params = ForestParams::new(4, 64, seed).unwrap();
        let mdi = |x: &[f64], y: &[f64]| {
            mean_decrease_impurity(Dataset::new(x, y, &space).unwrap(), params, Some(1)).unwrap()
        };
        let reference = mdi(&valid.x, &valid.y);

        let x: Vec<f64> = order
            .iter()
            .flat_map(|&row| valid.x[row * n_params..(row + 1) * n_params].to_vec())
            .collect();
        let y: Vec<f64> = order.iter().map(|&row| valid.y[row]).collect();
        prop_assert_eq!(&mdi(&x, &y), &reference);
        let power = 2_f64.powi(exponent / 2) * 2_f64.powi(exponent - exponent / 2);
        let times_power: Vec<f64> = valid.y.iter().map(|v| v * power).collect();
        prop_assert_eq!(&mdi(&valid.x, &times_power), &reference);
    }
}

/// One PED-ANOVA problem, maybe invalid: a grid (maybe empty, with any bounds), values (any
/// floats, or choice indices with an occasional wrong one) and top-set flags (maybe of the
/// wrong length).
#[derive(Debug, Clone)]
struct PedProblem {
    grid: Grid,
    values: Vec<f64>,
    is_top: Vec<bool>,
}

fn ped_problem() -> impl Strategy<Value = PedProblem> {
    let grid =
        prop_oneof![
            (0_usize..=6).prop_map(|n_choices| Grid::Categorical { n_choices }),
            (0_usize..=60, any_value(), any_value())
                .prop_map(|(n_points, low, high)| Grid::Numeric { n_points, low, high }),
            (1_usize..=60, -3.0..3.0_f64, 0.0..3.0_f64).prop_map(|(n_points, low, width)| {
                Grid::Numeric { n_points, low, high: low + width }
            }),
        ];
    (grid, 0_usize..=30)
        .prop_flat_map(|(grid, n_values)| {
            let value = match grid {
                Grid::Categorical { n_choices } => prop_oneof![
                    8 => (0..n_choices.max(1)).prop_map(|i| i as f64),
                    1 => any_value(),
                ]
                .boxed(),
                Grid::Numeric { .. } => any_value().boxed(),
            };
            (
                Just(grid),
                prop::collection::vec(value, n_values),
                prop::collection::vec(any::<bool>(), n_values),
                0_u8..8,
            )
        })
        .prop_map(|(grid, values, mut is_top, corruption)| {
            match corruption {
                0 => is_top.push(true),
                1 => {
                    is_top.pop();
                }
                _ => {}
            }
            PedProblem { grid, values, is_top }
        })
}

/// A problem [`divergences`] must accept: a valid grid, values it can hold (numbers anywhere,
/// on a numeric grid: outside its bounds they count at the nearest end), one flag per value.
fn valid_ped_problem() -> impl Strategy<Value = PedProblem> {
    let grid = prop_oneof![
        (1_usize..=6).prop_map(|n_choices| Grid::Categorical { n_choices }),
        (1_usize..=60, -3.0..3.0_f64, 0.0..3.0_f64).prop_map(|(n_points, low, width)| {
            Grid::Numeric { n_points, low, high: low + width }
        }),
    ];
    (grid, 0_usize..=30).prop_flat_map(|(grid, n_values)| {
        let value = match grid {
            Grid::Categorical { n_choices } => (0..n_choices).prop_map(|i| i as f64).boxed(),
            Grid::Numeric { .. } => finite_value().boxed(),
        };
        (prop::collection::vec(value, n_values), prop::collection::vec(any::<bool>(), n_values))
            .prop_map(move |(values, is_top)| PedProblem { grid, values, is_top })
    })
}

/// Whether [`divergences`] must accept the problem, written from the documentation of
/// [`Grid::check`] and `grid_counts`.
fn should_accept_problem(problem: &PedProblem) -> bool {
    problem.grid.check().is_ok()
        && problem.values.len() == problem.is_top.len()
        && problem.values.iter().all(|&value| problem.grid.index_of(value).is_some())
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary problems: a typed error naming the first bad problem exactly when one is
    /// invalid, otherwise one finite, non-negative divergence per problem, the same on any
    /// thread count; and exactly 0 where the top set is the whole region set.
    #[test]
    fn ped_anova_gives_divergences_or_a_typed_error(
        problems in prop::collection::vec(ped_problem(), 0..=4),
        uniform in any::<bool>(),
        n_threads in prop_oneof![Just(None), Just(Some(0)), (1_usize..=3).prop_map(Some)],
    ) {
        let reference = if uniform { Reference::Uniform } else { Reference::Region };
        let views: Vec<Problem<'_>> = problems
            .iter()
            .map(|p| Problem { grid: p.grid, values: &p.values, is_top: &p.is_top })
            .collect();
        let first_bad = problems.iter().position(|p| !should_accept_problem(p));

        match divergences(&views, reference, n_threads) {
            Ok(values) => {
                prop_assert!(first_bad.is_none(), "accepted {:?}", problems[first_bad.unwrap()]);
                prop_assert_ne!(n_threads, Some(0));
                prop_assert_eq!(values.len(), problems.len());
                for (value, problem) in values.iter().zip(&problems) {
                    prop_assert!(value.is_finite() && *value >= 0.0, "{} for {:?}", value, problem);
                    if !uniform && problem.is_top.iter().all(|&top| top) {
                        prop_assert_eq!(*value, 0.0);
                    }
                }
                prop_assert_eq!(&values, &divergences(&views, reference, Some(2)).unwrap());
            }
            Err(Error::InvalidForestSetting { name: "n_threads", value: 0 }) => {
                prop_assert_eq!(n_threads, Some(0));
            }
            Err(Error::InProblem { problem, source }) => {
                prop_assert_eq!(Some(problem), first_bad);
                let typed = matches!(
                    *source,
                    Error::EmptyGrid
                        | Error::InvalidGridBounds { .. }
                        | Error::TopFlagsMismatch { .. }
                        | Error::NonFiniteGridValue { .. }
                        | Error::InvalidGridChoice { .. }
                );
                prop_assert!(typed, "{}", source);
            }
            Err(error) => prop_assert!(false, "unexpected error {}", error),
        }
    }

    /// Only which values are in which set counts, not the order of the trials: permuted, the
    /// same divergence bit for bit.
    #[test]
    fn ped_anova_ignores_the_order_of_the_trials(
        (problem, order) in valid_ped_problem()
            .prop_flat_map(|problem| {
                let order: Vec<usize> = (0..problem.values.len()).collect();
                (Just(problem), Just(order).prop_shuffle())
            }),
        uniform in any::<bool>(),
    ) {
        prop_assert!(should_accept_problem(&problem));
        let reference = if uniform { Reference::Uniform } else { Reference::Region };
        let values: Vec<f64> = order.iter().map(|&i| problem.values[i]).collect();
        let is_top: Vec<bool> = order.iter().map(|&i| problem.is_top[i]).collect();
        let original =
            Problem { grid: problem.grid, values: &problem.values, is_top: &problem.is_top };
        let permuted = Problem { grid: problem.grid, values: &values, is_top: &is_top };
        prop_assert_eq!(
            divergences(&[original], reference, Some(1)).unwrap(),
            divergences(&[permuted], reference, Some(1)).unwrap()
        );
    }
}

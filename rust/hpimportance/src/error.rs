//! The one error type of the crate.
//!
//! Every variant carries the numbers a caller needs to find the offending input, so that the
//! Python layer can turn it into a message that says what to fix.

/// Why a computation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration matrix and the target vector disagree in length.
    #[error("x has {x_rows} rows but y has {y_len} values; pass one target value per row")]
    RowCountMismatch { x_rows: usize, y_len: usize },

    /// The configuration matrix is not as wide as the search space.
    #[error("x has {x_cols} columns but the search space has {n_params} parameters")]
    ColumnCountMismatch { x_cols: usize, n_params: usize },

    /// A configuration holds NaN or an infinity.
    #[error("x[{row}, {param}] is {value}; configurations must be finite")]
    NonFiniteValue { row: usize, param: usize, value: f64 },

    /// A target value is NaN or infinite.
    #[error("y[{row}] is {value}; drop trials with non-finite targets before fitting")]
    NonFiniteTarget { row: usize, value: f64 },

    /// A categorical column holds something other than a choice index in `0..n_choices`.
    #[error(
        "x[{row}, {param}] is {value}, which is not a choice index of a categorical with \
         {n_choices} choices (expected an integer in 0..{n_choices})"
    )]
    InvalidChoice { row: usize, param: usize, value: f64, n_choices: usize },

    /// A numeric parameter's bounds are not finite or are reversed.
    #[error(
        "parameter {param} has bounds [{low}, {high}]; bounds must be finite with low <= high"
    )]
    InvalidBounds { param: usize, low: f64, high: f64 },

    /// A categorical parameter without any choice.
    #[error("parameter {param} is categorical with no choices; give it at least one")]
    NoChoices { param: usize },

    /// A categorical parameter with more choices than choice indices can address.
    #[error("parameter {param} has {n_choices} choices; at most {max} are supported")]
    TooManyChoices { param: usize, n_choices: usize, max: usize },

    /// More rows than trees can index (rows are numbered with `u32`).
    #[error("{n_rows} rows were given; at most {max} are supported")]
    TooManyRows { n_rows: usize, max: usize },

    /// More parameters than trees can name (parameters are numbered with `u32`).
    #[error("{n_params} parameters were given; at most {max} are supported")]
    TooManyParams { n_params: usize, max: usize },

    /// A forest setting is out of range.
    #[error("{name} must be at least 1, got {value}")]
    InvalidForestSetting { name: &'static str, value: usize },

    /// A pair of parameters to analyse jointly names a parameter twice or one out of range.
    #[error("pair ({first}, {second}) must name two different parameters below {n_params}")]
    InvalidPair { first: usize, second: usize, n_params: usize },

    /// A value at which to evaluate a marginal is not in the parameter's domain.
    #[error(
        "{value} is not a value of parameter {param}: marginals are evaluated within a \
         numeric parameter's bounds, or at choice indices for a categorical"
    )]
    InvalidPoint { param: usize, value: f64 },

    /// A PED-ANOVA grid without points.
    #[error("the grid has no points; give a categorical at least one choice and a grid a point")]
    EmptyGrid,

    /// A numeric PED-ANOVA grid whose bounds are not finite or are reversed.
    #[error("the grid runs from {low} to {high}; its bounds must be finite with low <= high")]
    InvalidGridBounds { low: f64, high: f64 },

    /// A PED-ANOVA problem with more or fewer top-set flags than values.
    #[error("{n_values} values but {n_flags} top-set flags; pass one flag per value")]
    TopFlagsMismatch { n_values: usize, n_flags: usize },

    /// A value on a numeric PED-ANOVA grid is NaN or infinite.
    #[error("value {row} is {value}; values on a numeric grid must be finite")]
    NonFiniteGridValue { row: usize, value: f64 },

    /// A value on a categorical PED-ANOVA grid is not a choice index.
    #[error(
        "value {row} is {value}, which is not a choice index of a categorical with {n_choices} \
         choices (expected an integer in 0..{n_choices})"
    )]
    InvalidGridChoice { row: usize, value: f64, n_choices: usize },

    /// One problem of a batch failed; `source` says why.
    #[error("problem {problem}: {source}")]
    InProblem { problem: usize, source: Box<Error> },

    /// The worker thread pool could not be created.
    #[error("could not start a pool of {n_threads} worker threads: {reason}")]
    ThreadPool { n_threads: usize, reason: String },
}

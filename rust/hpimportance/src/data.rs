//! A validated training set: a row-major configuration matrix, its targets and its search space.

use crate::error::Error;
use crate::space::{Domain, SearchSpace};

/// The largest number of rows: trees number rows with `u32` and keep `u32::MAX` as a marker.
pub const MAX_ROWS: usize = u32::MAX as usize - 1;

/// Configurations (`n_rows x space.len()`, row-major) and one target per row, checked against
/// the search space once so that the algorithms never meet invalid values.
#[derive(Debug, Clone, Copy)]
pub struct Dataset<'a> {
    x: &'a [f64],
    y: &'a [f64],
    space: &'a SearchSpace,
}

impl<'a> Dataset<'a> {
    /// Checks the shapes and values.
    ///
    /// Numeric values may lie outside their parameter's bounds (the measure ignores them
    /// there); categorical values must be choice indices.
    ///
    /// # Errors
    /// [`Error::RowCountMismatch`] or [`Error::ColumnCountMismatch`] for inconsistent shapes,
    /// [`Error::NonFiniteValue`] / [`Error::NonFiniteTarget`] for NaN or infinities,
    /// [`Error::InvalidChoice`] for a categorical value that is not an index in range,
    /// [`Error::TooManyRows`] beyond [`MAX_ROWS`].
    pub fn new(x: &'a [f64], y: &'a [f64], space: &'a SearchSpace) -> Result<Self, Error> {
        let n_params = space.len();
        let n_rows = y.len();
        check_row_count(n_rows)?;
        if n_params == 0 {
            if !x.is_empty() {
                return Err(Error::ColumnCountMismatch {
                    x_cols: x.len() / n_rows.max(1),
                    n_params,
                });
            }
        } else if x.len() % n_params != 0 {
            return Err(Error::ColumnCountMismatch { x_cols: x.len(), n_params });
        } else if x.len() / n_params != n_rows {
            return Err(Error::RowCountMismatch { x_rows: x.len() / n_params, y_len: n_rows });
        }

        if let Some((row, &value)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFiniteTarget { row, value });
        }
        for (index, &value) in x.iter().enumerate() {
            let (row, param) = (index / n_params, index % n_params);
            if !value.is_finite() {
                return Err(Error::NonFiniteValue { row, param, value });
            }
            if let Domain::Categorical { n_choices } = space.domains()[param] {
                let is_index = value >= 0.0 && value.fract() == 0.0 && value < n_choices as f64;
                if !is_index {
                    return Err(Error::InvalidChoice { row, param, value, n_choices });
                }
            }
        }
        Ok(Self { x, y, space })
    }

    /// The number of rows (trials).
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    /// The number of parameters (columns).
    pub fn n_params(&self) -> usize {
        self.space.len()
    }

    /// The value of `param` in `row`.
    #[inline]
    pub fn value(&self, row: usize, param: usize) -> f64 {
        self.x[row * self.n_params() + param]
    }

    /// The targets.
    pub fn targets(&self) -> &'a [f64] {
        self.y
    }

    /// The search space.
    pub fn space(&self) -> &'a SearchSpace {
        self.space
    }
}

fn check_row_count(n_rows: usize) -> Result<(), Error> {
    if n_rows > MAX_ROWS {
        return Err(Error::TooManyRows { n_rows, max: MAX_ROWS });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> SearchSpace {
        SearchSpace::new(vec![
            Domain::Numeric { low: 0.0, high: 1.0 },
            Domain::Categorical { n_choices: 3 },
        ])
        .unwrap()
    }

    #[test]
    fn checks_shapes() {
        let space = space();
        let err = Dataset::new(&[0.5, 1.0, 0.5], &[1.0], &space).unwrap_err();
        assert!(matches!(err, Error::ColumnCountMismatch { .. }));
        let err = Dataset::new(&[0.5, 1.0, 0.5, 2.0], &[1.0], &space).unwrap_err();
        assert_eq!(err, Error::RowCountMismatch { x_rows: 2, y_len: 1 });
    }

    #[test]
    fn checks_values() {
        let space = space();
        let err = Dataset::new(&[f64::NAN, 1.0], &[1.0], &space).unwrap_err();
        assert!(matches!(err, Error::NonFiniteValue { row: 0, param: 0, .. }));
        let err = Dataset::new(&[0.5, 3.0], &[1.0], &space).unwrap_err();
        assert!(matches!(err, Error::InvalidChoice { param: 1, n_choices: 3, .. }));
        let err = Dataset::new(&[0.5, 1.5], &[1.0], &space).unwrap_err();
        assert!(matches!(err, Error::InvalidChoice { .. }));
        let err = Dataset::new(&[0.5, 1.0], &[f64::INFINITY], &space).unwrap_err();
        assert!(matches!(err, Error::NonFiniteTarget { row: 0, .. }));
    }

    #[test]
    fn row_count_is_bounded_by_what_trees_can_index() {
        // Four billion rows cannot be allocated in a test; the check alone can be called.
        assert_eq!(check_row_count(MAX_ROWS), Ok(()));
        assert_eq!(
            check_row_count(MAX_ROWS + 1),
            Err(Error::TooManyRows { n_rows: MAX_ROWS + 1, max: MAX_ROWS })
        );
    }

    #[test]
    fn accepts_values_outside_numeric_bounds() {
        let space = space();
        let data = Dataset::new(&[7.0, 2.0, -1.0, 0.0], &[1.0, 2.0], &space).unwrap();
        assert_eq!(data.n_rows(), 2);
        assert_eq!(data.value(1, 0), -1.0);
    }
}

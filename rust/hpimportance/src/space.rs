//! The search space: what each column of a configuration matrix means and which measure
//! fANOVA integrates over.
//!
//! A numeric parameter (float or integer, linear or log-scaled) is analysed under the uniform
//! measure on its interval `[low, high]`, as Optuna's fANOVA does on the raw scale (a caller
//! wanting the log measure passes logarithms of values and bounds); a parameter with
//! `low == high` carries a point mass at `low`. A categorical parameter with `K` choices is
//! stored as the choice index `0..K` and analysed under the uniform measure over its `K`
//! choices, the measure a user means by "averaged over the choices". (Optuna's one-hot
//! encoding instead averages over the `[0, 1]^K` hypercube, whose corners are not choices.)

use crate::error::Error;

/// The largest number of choices of a categorical parameter: trees store choices as `u32`.
pub const MAX_CHOICES: usize = u32::MAX as usize;

/// The largest number of parameters: trees name parameters with `u32`.
pub const MAX_PARAMS: usize = u32::MAX as usize;

/// The domain of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Domain {
    /// A real or integer value in `[low, high]`, measured uniformly on the raw scale.
    Numeric { low: f64, high: f64 },
    /// A choice index in `0..n_choices`, measured uniformly over the choices.
    Categorical { n_choices: usize },
}

/// A validated list of parameter domains, one per column of the configuration matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpace {
    domains: Vec<Domain>,
}

impl SearchSpace {
    /// Checks and wraps the domains.
    ///
    /// # Errors
    /// [`Error::InvalidBounds`] for non-finite or reversed bounds, [`Error::NoChoices`] for a
    /// categorical without choices, [`Error::TooManyChoices`] and [`Error::TooManyParams`]
    /// beyond [`MAX_CHOICES`] and [`MAX_PARAMS`].
    pub fn new(domains: Vec<Domain>) -> Result<Self, Error> {
        if domains.len() > MAX_PARAMS {
            return Err(Error::TooManyParams { n_params: domains.len(), max: MAX_PARAMS });
        }
        for (param, domain) in domains.iter().enumerate() {
            match *domain {
                Domain::Numeric { low, high } => {
                    if !(low.is_finite() && high.is_finite() && low <= high) {
                        return Err(Error::InvalidBounds { param, low, high });
                    }
                }
                Domain::Categorical { n_choices } => {
                    if n_choices == 0 {
                        return Err(Error::NoChoices { param });
                    }
                    if n_choices > MAX_CHOICES {
                        return Err(Error::TooManyChoices { param, n_choices, max: MAX_CHOICES });
                    }
                }
            }
        }
        Ok(Self { domains })
    }

    /// The domains, in column order.
    pub fn domains(&self) -> &[Domain] {
        &self.domains
    }

    /// The number of parameters (columns).
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// Whether the space has no parameter.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_reversed_and_infinite_bounds() {
        let reversed = SearchSpace::new(vec![Domain::Numeric { low: 2.0, high: 1.0 }]);
        assert_eq!(reversed, Err(Error::InvalidBounds { param: 0, low: 2.0, high: 1.0 }));
        let infinite = SearchSpace::new(vec![
            Domain::Categorical { n_choices: 2 },
            Domain::Numeric { low: 0.0, high: f64::INFINITY },
        ]);
        assert!(matches!(infinite, Err(Error::InvalidBounds { param: 1, .. })));
    }

    #[test]
    fn rejects_more_choices_than_trees_can_name() {
        let space = SearchSpace::new(vec![Domain::Categorical { n_choices: MAX_CHOICES + 1 }]);
        assert!(matches!(space, Err(Error::TooManyChoices { param: 0, .. })));
    }

    #[test]
    fn rejects_empty_categorical() {
        let space = SearchSpace::new(vec![Domain::Categorical { n_choices: 0 }]);
        assert_eq!(space, Err(Error::NoChoices { param: 0 }));
    }

    #[test]
    fn accepts_point_domain() {
        let space = SearchSpace::new(vec![Domain::Numeric { low: 1.0, high: 1.0 }]).unwrap();
        assert_eq!(space.len(), 1);
    }
}

//! Style selection for multi-style networks: one style or a weighted blend.

use std::fmt;
use std::str::FromStr;

use bevy::reflect::Reflect;
use thiserror::Error;

/// Why a style selection cannot be used.
#[derive(Debug, Error, PartialEq)]
pub enum StyleError {
    /// The text is neither `INDEX` nor `INDEX=WEIGHT,INDEX=WEIGHT,...`.
    #[error("cannot read style `{0}`: expected an index like `7` or a blend like `12=0.5,20=0.5`")]
    Parse(String),
    /// An index beyond the model's styles.
    #[error("style {index} does not exist: the model has {num_styles} styles (0..={})", num_styles.saturating_sub(1))]
    OutOfRange {
        /// Requested style.
        index: usize,
        /// Styles in the model.
        num_styles: usize,
    },
    /// No style, a weight that is negative or not finite, or weights that
    /// sum to zero (no style at all: a flat picture).
    #[error(
        "a style blend needs at least one style and finite, non-negative weights, not all zero"
    )]
    BadWeights,
    /// An arbitrary-style model was given no style image.
    #[error("this model takes its style from a style image, and none was given")]
    NeedsStyleImage,
    /// A style image was given to a model that holds its styles.
    #[error("this model holds its own styles and cannot take one from an image")]
    NoPredictor,
}

/// Which style(s) a multi-style network renders: one style, or a weighted
/// blend of several (weights are used as given, as in the original method).
///
/// ```
/// use bevy_gan_style_runtime::prelude::StyleWeights;
/// let one: StyleWeights = "7".parse().unwrap();
/// let mix: StyleWeights = "12=0.5,20=0.5".parse().unwrap();
/// assert_eq!(one.to_dense(26).unwrap()[7], 1.0);
/// assert_eq!(mix.to_dense(26).unwrap()[20], 0.5);
/// assert!("30".parse::<StyleWeights>().unwrap().to_dense(26).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Reflect)]
pub struct StyleWeights {
    /// `(style index, weight)` pairs.
    pub weights: Vec<(usize, f32)>,
}

impl StyleWeights {
    /// Style `index` alone.
    pub fn single(index: usize) -> Self {
        Self {
            weights: vec![(index, 1.0)],
        }
    }

    /// A blend of `(index, weight)` pairs.
    pub fn blend(weights: impl IntoIterator<Item = (usize, f32)>) -> Self {
        Self {
            weights: weights.into_iter().collect(),
        }
    }

    /// `(1 − t) · self + t · other`: a smooth transition between two
    /// selections as `t` goes from 0 to 1.
    ///
    /// ```
    /// use bevy_gan_style_runtime::prelude::StyleWeights;
    /// let halfway = StyleWeights::single(3).lerp(&StyleWeights::single(7), 0.25);
    /// let dense = halfway.to_dense(26).unwrap();
    /// assert_eq!((dense[3], dense[7]), (0.75, 0.25));
    /// ```
    pub fn lerp(&self, other: &StyleWeights, t: f32) -> StyleWeights {
        let t = t.clamp(0.0, 1.0);
        let mut weights: Vec<(usize, f32)> = Vec::new();
        let scaled = self
            .weights
            .iter()
            .map(|&(i, w)| (i, w * (1.0 - t)))
            .chain(other.weights.iter().map(|&(i, w)| (i, w * t)));
        for (index, weight) in scaled {
            match weights.iter_mut().find(|(i, _)| *i == index) {
                Some((_, total)) => *total += weight,
                None => weights.push((index, weight)),
            }
        }
        StyleWeights { weights }
    }

    /// Dense weight vector of length `num_styles` (repeated indices add up).
    pub fn to_dense(&self, num_styles: usize) -> Result<Vec<f32>, StyleError> {
        if self.weights.is_empty() {
            return Err(StyleError::BadWeights);
        }
        let mut dense = vec![0.0; num_styles];
        for &(index, weight) in &self.weights {
            if !weight.is_finite() || weight < 0.0 {
                return Err(StyleError::BadWeights);
            }
            let slot = dense
                .get_mut(index)
                .ok_or(StyleError::OutOfRange { index, num_styles })?;
            *slot += weight;
        }
        if dense.iter().sum::<f32>() <= 0.0 {
            return Err(StyleError::BadWeights);
        }
        Ok(dense)
    }
}

impl Default for StyleWeights {
    fn default() -> Self {
        Self::single(0)
    }
}

impl FromStr for StyleWeights {
    type Err = StyleError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let parse_error = || StyleError::Parse(spec.to_string());
        let spec = spec.trim();
        if let Ok(index) = spec.parse::<usize>() {
            return Ok(Self::single(index));
        }
        let weights = spec
            .split(',')
            .map(|part| {
                let (index, weight) = part.split_once('=').ok_or_else(parse_error)?;
                let index = index.trim().parse::<usize>().map_err(|_| parse_error())?;
                let weight = weight.trim().parse::<f32>().map_err(|_| parse_error())?;
                Ok((index, weight))
            })
            .collect::<Result<Vec<_>, StyleError>>()?;
        Ok(Self { weights })
    }
}

impl fmt::Display for StyleWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [(index, weight)] = self.weights.as_slice()
            && *weight == 1.0
        {
            return write!(f, "{index}");
        }
        let parts: Vec<String> = self
            .weights
            .iter()
            .map(|(i, w)| format!("{i}={w}"))
            .collect();
        write!(f, "{}", parts.join(","))
    }
}

//! Style vectors: the style input of arbitrary-style models, predicted once
//! per style image and then blended, interpolated and weakened at will.

use burn::prelude::*;

use super::style_weights::{StyleError, StyleWeights};

/// A point in an arbitrary-style model's style space (`[1, style_dim]`),
/// predicted from a style image by [`super::StyleNet::predict_style`].
/// Predict once per image and keep it: blends, transitions and strength are
/// then arithmetic on vectors, which the transformer turns into the
/// corresponding in-between styles.
///
/// ```
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::model::{StyleVector, StyleWeights};
/// let device = Default::default();
/// let starry = StyleVector::<CpuBackend>::from_values(&[1.0, 0.0], &device);
/// let wave = StyleVector::<CpuBackend>::from_values(&[0.0, 1.0], &device);
/// let mix = StyleVector::blend(&[starry.clone(), wave.clone()], &StyleWeights::blend([(0, 0.25), (1, 0.75)]))?;
/// assert_eq!(mix.to_vec(), [0.25, 0.75]);
/// // Magenta's strength: a·style + (1 − a)·content.
/// assert_eq!(starry.with_strength(&wave, 0.5).to_vec(), [0.5, 0.5]);
/// # Ok::<(), bevy_gan_style_runtime::model::StyleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StyleVector<B: Backend>(Tensor<B, 2>);

impl<B: Backend> StyleVector<B> {
    /// Wraps a `[1, style_dim]` tensor.
    pub fn from_tensor(tensor: Tensor<B, 2>) -> Self {
        Self(tensor)
    }

    /// A vector from its values.
    pub fn from_values(values: &[f32], device: &B::Device) -> Self {
        Self(Tensor::<B, 1>::from_floats(values, device).reshape([1, values.len()]))
    }

    /// The `[1, style_dim]` tensor the transformer takes.
    pub fn tensor(&self) -> Tensor<B, 2> {
        self.0.clone()
    }

    /// The values (reads the tensor back from its device).
    pub fn to_vec(&self) -> Vec<f32> {
        self.0
            .clone()
            .into_data()
            .convert::<f32>()
            .into_vec()
            .unwrap_or_default()
    }

    /// `Σ wᵢ · vectors[i]` with the weights of `weights` (indices into
    /// `vectors`, weights used as given): a mix of several style images.
    pub fn blend(vectors: &[StyleVector<B>], weights: &StyleWeights) -> Result<Self, StyleError> {
        let dense = weights.to_dense(vectors.len())?;
        Ok(Self::weighted_sum(vectors, &dense))
    }

    /// `Σ weights[i] · vectors[i]` for weights already checked by
    /// [`StyleWeights::to_dense`] (so at least one vector exists).
    pub(crate) fn weighted_sum(vectors: &[StyleVector<B>], weights: &[f32]) -> Self {
        let mut sum: Option<Tensor<B, 2>> = None;
        for (vector, &weight) in vectors.iter().zip(weights) {
            if weight == 0.0 {
                continue;
            }
            let term = vector.0.clone().mul_scalar(weight);
            sum = Some(match sum {
                Some(sum) => sum + term,
                None => term,
            });
        }
        // All weights zero: the zero vector.
        Self(sum.unwrap_or_else(|| vectors[0].0.zeros_like()))
    }

    /// Magenta's strength: `a · self + (1 − a) · content`, where `content`
    /// is the content image's own style vector. `a = 1` is the full style;
    /// `a = 0` redraws the content in its own style (not an identity).
    pub fn with_strength(&self, content: &StyleVector<B>, strength: f32) -> Self {
        Self(self.0.clone().mul_scalar(strength) + content.0.clone().mul_scalar(1.0 - strength))
    }
}

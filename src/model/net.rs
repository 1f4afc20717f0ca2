//! A style model's network, whichever architecture its card names.

use burn::prelude::*;

use crate::nn::{JohnsonNet, MultiStyleNet};

/// The network of a [`super::StyleModel`], built by
/// [`super::CardModel::build`]. Every architecture takes the same inputs:
/// an image in the card's `input_range` and a `[N, num_styles]` style
/// blend (single-style networks ignore it).
///
/// ```no_run
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::prelude::*;
/// let model = StyleModel::load_file("assets/models/ml5_wave.style.ron")?;
/// let net = model.build::<CpuBackend>(&Default::default())?;
/// let style = model.style_tensor(&StyleWeights::single(0), &Default::default())?;
/// let image = Tensor::<CpuBackend, 4>::full([1, 3, 64, 64], 128.0, &Default::default());
/// assert_eq!(net.forward(image, style).dims(), [1, 3, 64, 64]);
/// # Ok::<(), bevy_gan_style::model::ModelError>(())
/// ```
#[derive(Debug)]
pub enum StyleNet<B: Backend> {
    /// Conditional-instance-norm multi-style transformer.
    MultiStyle(MultiStyleNet<B>),
    /// Johnson et al.'s single-style transformer (the ml5 models).
    Johnson(Box<JohnsonNet<B>>),
}

impl<B: Backend> StyleNet<B> {
    /// Stylises `image` (`[N, 3, H, W]`) with the style blend `style`.
    pub fn forward(&self, image: Tensor<B, 4>, style: Tensor<B, 2>) -> Tensor<B, 4> {
        match self {
            Self::MultiStyle(net) => net.forward(image, style),
            Self::Johnson(net) => net.forward(image),
        }
    }
}

//! The patch discriminator: a fully convolutional critic that scores every
//! overlapping patch of an image as exemplar-like or generated.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation;

/// Architecture of a [`PatchDiscriminator`].
///
/// ```
/// # use bevy_gan_style::device::CpuBackend;
/// # use burn::prelude::*;
/// use bevy_gan_style::train::PatchDiscriminatorConfig;
/// let d = PatchDiscriminatorConfig::new(vec![8, 16]).init::<CpuBackend>(&Default::default());
/// let scores = d.forward(Tensor::zeros([2, 3, 32, 32], &Default::default()));
/// assert_eq!(scores.dims(), [2, 1, 8, 8]);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct PatchDiscriminatorConfig {
    /// Channels of each 4×4 stride-2 convolution (each halves the size).
    pub channels: Vec<usize>,
    /// Input channels: RGB, plus any conditioning planes (e.g. a one-hot
    /// style code per pixel).
    #[config(default = 3)]
    pub input_channels: usize,
}

impl PatchDiscriminatorConfig {
    /// Creates the discriminator with freshly initialised weights.
    pub fn init<B: Backend>(&self, device: &B::Device) -> PatchDiscriminator<B> {
        let mut convs = Vec::new();
        let mut channels_in = self.input_channels;
        for &channels_out in &self.channels {
            convs.push(
                Conv2dConfig::new([channels_in, channels_out], [4, 4])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
            );
            channels_in = channels_out;
        }
        PatchDiscriminator {
            convs,
            score: Conv2dConfig::new([channels_in, 1], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
        }
    }
}

/// Scores `[N, input_channels, H, W]` images (RGB in `[-1, 1]`, then any
/// conditioning planes) with a logit per patch,
/// `[N, 1, H / 2^k, W / 2^k]`.
#[derive(Module, Debug)]
pub struct PatchDiscriminator<B: Backend> {
    /// Downsampling convolutions, each followed by a leaky ReLU.
    pub convs: Vec<Conv2d<B>>,
    /// Final 3×3 convolution to one logit per patch.
    pub score: Conv2d<B>,
}

impl<B: Backend> PatchDiscriminator<B> {
    /// Patch logits.
    pub fn forward(&self, mut x: Tensor<B, 4>) -> Tensor<B, 4> {
        for conv in &self.convs {
            x = activation::leaky_relu(conv.forward(x), 0.2);
        }
        self.score.forward(x)
    }
}

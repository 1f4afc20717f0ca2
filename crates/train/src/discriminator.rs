//! The patch discriminator: a fully convolutional critic that scores every
//! overlapping patch of an image as exemplar-like or generated.

use bevy_gan_style_nn::{conv2d, conv2d_module};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation;
use burn::tensor::ops::ConvOptions;

use super::spectral::SpectralNorm;
use bevy_gan_style_nn::drawn;

/// Zero padding of every convolution (4×4 stride 2 and the 3×3 score).
const PADDING: usize = 1;

/// Architecture of a [`PatchDiscriminator`].
///
/// ```
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// # use burn::prelude::*;
/// use bevy_gan_style_train::PatchDiscriminatorConfig;
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
    /// Divide every convolution's weight by its largest singular value
    /// ([`SpectralNorm`]): a 1-Lipschitz critic without second-order
    /// gradients.
    #[config(default = false)]
    pub spectral_norm: bool,
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
                    .with_padding(padding())
                    .init(device),
            );
            channels_in = channels_out;
        }
        let score = Conv2dConfig::new([channels_in, 1], [3, 3])
            .with_padding(padding())
            .init(device);
        let spectral = if self.spectral_norm {
            convs
                .iter()
                .chain([&score])
                .map(|conv: &Conv2d<B>| SpectralNorm::new(conv.weight.val()))
                .collect()
        } else {
            Vec::new()
        };
        // Drawn now, in order: see `drawn`.
        drawn(PatchDiscriminator {
            convs,
            score,
            spectral,
        })
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
    /// With spectral normalisation, one per convolution (`convs`, then
    /// `score`); empty without.
    pub spectral: Vec<SpectralNorm<B>>,
}

impl<B: Backend> PatchDiscriminator<B> {
    /// Patch logits.
    pub fn forward(&self, mut x: Tensor<B, 4>) -> Tensor<B, 4> {
        for (index, conv) in self.convs.iter().enumerate() {
            x = activation::leaky_relu(self.convolve(index, conv, x), 0.2);
        }
        self.convolve(self.convs.len(), &self.score, x)
    }

    /// One power-iteration step of every spectral norm (once per training
    /// step, before the discriminator's forward pass); nothing without
    /// spectral normalisation.
    pub fn power_iteration(&mut self) {
        let convs = self.convs.iter().chain([&self.score]);
        for (norm, conv) in self.spectral.iter_mut().zip(convs) {
            norm.power_iteration(conv.weight.val());
        }
    }

    fn convolve(&self, index: usize, conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
        match self.spectral.get(index) {
            Some(norm) => conv2d(
                x,
                norm.normalise(conv.weight.val()),
                conv.bias.as_ref().map(|bias| bias.val()),
                ConvOptions::new(conv.stride, [PADDING; 2], conv.dilation, conv.groups),
            ),
            None => conv2d_module(conv, x),
        }
    }
}

fn padding() -> PaddingConfig2d {
    PaddingConfig2d::Explicit(PADDING, PADDING, PADDING, PADDING)
}

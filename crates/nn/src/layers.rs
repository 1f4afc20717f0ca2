//! Reusable layer modules shared by the crate's networks: conditional
//! instance normalisation and the convolution block built on it.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;

use super::condition::StyleCondition;
use super::init::conv_weight;
use super::ops::{BlockActivation, instance_norm};
use super::stage::{ConvStage, Skip, StagePost};

/// Configuration of a [`CondInstanceNorm`].
#[derive(Config, Debug)]
pub struct CondInstanceNormConfig {
    /// Number of styles (rows of `gamma` / `beta`).
    pub num_styles: usize,
    /// Number of channels normalised.
    pub channels: usize,
    /// Added to the variance before the square root.
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

impl CondInstanceNormConfig {
    /// Creates the layer with identity scale and zero shift for every style.
    pub fn init<B: Backend>(&self, device: &B::Device) -> CondInstanceNorm<B> {
        CondInstanceNorm {
            gamma: Initializer::Ones.init([self.num_styles, self.channels], device),
            beta: Initializer::Zeros.init([self.num_styles, self.channels], device),
            epsilon: self.epsilon,
        }
    }
}

/// Conditional instance normalisation (Dumoulin et al., 2017).
///
/// Each channel is normalised over its spatial extent (biased variance), then
/// scaled and shifted by a *blend* of per-style parameters:
/// `scale = Σ_s w_s · gamma[s]`, `shift = Σ_s w_s · beta[s]`.
/// A one-hot `w` selects one style; any other weights mix styles.
#[derive(Module, Debug)]
pub struct CondInstanceNorm<B: Backend> {
    /// Per-style scales, `[num_styles, channels]`.
    pub gamma: Param<Tensor<B, 2>>,
    /// Per-style shifts, `[num_styles, channels]`.
    pub beta: Param<Tensor<B, 2>>,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

impl<B: Backend> CondInstanceNorm<B> {
    /// Normalises `x` (`[N, C, H, W]`) with the style blend `style` (`[N, num_styles]`).
    pub fn forward(&self, x: Tensor<B, 4>, style: Tensor<B, 2>) -> Tensor<B, 4> {
        let (scale, shift) = self.scale_shift(style);
        instance_norm(x, scale, shift, self.epsilon)
    }

    /// What follows the convolution for `condition`: the norm with the
    /// blended scale and shift, per image or per pixel.
    pub fn post(&self, condition: &StyleCondition<B>) -> StagePost<B> {
        match condition {
            StyleCondition::Global(style) => {
                let (scale, shift) = self.scale_shift(style.clone());
                StagePost::Norm {
                    scale,
                    shift,
                    epsilon: self.epsilon,
                }
            }
            StyleCondition::Map { styles, map } => StagePost::MappedNorm {
                scales: styles.clone().matmul(self.gamma.val()),
                shifts: styles.clone().matmul(self.beta.val()),
                map: map.clone(),
                epsilon: self.epsilon,
            },
        }
    }

    /// The blended scale and shift (`[N, C, 1, 1]` each) for `style`.
    pub fn scale_shift(&self, style: Tensor<B, 2>) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let [n, _] = style.dims();
        let [_, c] = self.gamma.dims();
        let scale = style.clone().matmul(self.gamma.val()).reshape([n, c, 1, 1]);
        let shift = style.matmul(self.beta.val()).reshape([n, c, 1, 1]);
        (scale, shift)
    }
}

/// Configuration of a [`ConvBlock`].
#[derive(Config, Debug)]
pub struct ConvBlockConfig {
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Square kernel size (odd).
    pub kernel: usize,
    /// Number of styles of the conditional instance norm.
    pub num_styles: usize,
    /// Convolution stride.
    #[config(default = 1)]
    pub stride: usize,
    /// Upsample ×2 (nearest) before the convolution.
    #[config(default = false)]
    pub upsample: bool,
    /// Non-linearity after the norm.
    #[config(default = "BlockActivation::Relu")]
    pub activation: BlockActivation,
    /// Instance-norm epsilon.
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

impl ConvBlockConfig {
    /// Creates the block with Kaiming-uniform weights.
    pub fn init<B: Backend>(&self, device: &B::Device) -> ConvBlock<B> {
        ConvBlock {
            w: conv_weight([self.channels_in, self.channels_out], self.kernel, device),
            norm: CondInstanceNormConfig::new(self.num_styles, self.channels_out)
                .with_epsilon(self.epsilon)
                .init(device),
            stride: self.stride,
            upsample: self.upsample,
            activation: self.activation,
        }
    }
}

/// `[upsample ×2] → reflection-padded conv (no bias) → conditional instance
/// norm → activation`: the unit every style transformer here is built from.
///
/// Parameter names (`w`, `norm.gamma`, `norm.beta`) are the names in the
/// safetensors files, so weights load by name without remapping.
#[derive(Module, Debug)]
pub struct ConvBlock<B: Backend> {
    /// Convolution weight `[out, in, k, k]`.
    pub w: Param<Tensor<B, 4>>,
    /// Conditional instance norm after the convolution.
    pub norm: CondInstanceNorm<B>,
    /// Convolution stride.
    pub stride: usize,
    /// Nearest ×2 upsampling before the convolution.
    pub upsample: bool,
    /// Non-linearity after the norm.
    #[module(skip)]
    pub activation: BlockActivation,
}

impl<B: Backend> ConvBlock<B> {
    /// Applies the block to `x` with the style blend `style` (`[N, num_styles]`).
    pub fn forward(&self, x: Tensor<B, 4>, style: Tensor<B, 2>) -> Tensor<B, 4> {
        self.stage(&StyleCondition::Global(style), Skip::None)
            .forward_plain(x)
    }

    /// The block as a [`ConvStage`] for `condition`.
    pub fn stage(&self, condition: &StyleCondition<B>, skip: Skip) -> ConvStage<B> {
        ConvStage {
            weight: self.w.val(),
            stride: self.stride,
            upsample: self.upsample,
            post: self.norm.post(condition),
            activation: self.activation,
            skip,
        }
    }
}

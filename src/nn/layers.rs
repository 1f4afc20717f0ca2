//! Reusable layers shared by the crate's networks: reflection-padded
//! convolution, (conditional) instance normalisation and nearest upsampling.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation;
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};

use super::init::conv_weight;
use super::stage::{ConvStage, Skip, StagePost};

/// Pads the two spatial dimensions of an `[N, C, H, W]` tensor by mirroring
/// (the edge pixel itself is not repeated), like ONNX / PyTorch `reflect`.
///
/// The pad must be smaller than both spatial sizes; callers check image sizes
/// before running a network (see [`crate::nn::MultiStyleConfig::min_input_size`]).
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::nn::reflect_pad;
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[1.0, 2.0, 3.0]]]], &Default::default());
/// let y = reflect_pad(x.reshape([1, 1, 1, 3]).repeat_dim(2, 2), 1);
/// assert_eq!(y.dims(), [1, 1, 4, 5]);
/// ```
pub fn reflect_pad<B: Backend>(x: Tensor<B, 4>, pad: usize) -> Tensor<B, 4> {
    if pad == 0 {
        return x;
    }
    // Concatenating mirrored strips copies the image once per dimension;
    // burn's generic `pad(Reflect)` goes through zeros + slice assignments,
    // which costs several full copies on the CPU backends.
    let mirror = |x: Tensor<B, 4>, dim: usize| {
        let size = x.dims()[dim];
        let before = x.clone().narrow(dim, 1, pad).flip([dim as isize]);
        let after = x
            .clone()
            .narrow(dim, size - pad - 1, pad)
            .flip([dim as isize]);
        Tensor::cat(vec![before, x, after], dim)
    };
    mirror(mirror(x, 2), 3)
}

/// Zero-pads an `[N, C, H, W]` tensor as TensorFlow's "SAME" convolution
/// padding does for `kernel` and `stride`: the output of the convolution is
/// `ceil(n / stride)`, and an odd pixel of padding goes after (bottom /
/// right), e.g. `(0, 1)` for a 3×3 stride-2 convolution of an even size.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::nn::same_pad;
/// let x = Tensor::<CpuBackend, 4>::ones([1, 1, 4, 5], &Default::default());
/// assert_eq!(same_pad(x.clone(), 3, 2).dims(), [1, 1, 5, 7]);
/// assert_eq!(same_pad(x, 3, 1).dims(), [1, 1, 6, 7]);
/// ```
pub fn same_pad<B: Backend>(x: Tensor<B, 4>, kernel: usize, stride: usize) -> Tensor<B, 4> {
    let [_, _, h, w] = x.dims();
    let total = |n: usize| ((n.div_ceil(stride) - 1) * stride + kernel).saturating_sub(n);
    let (ph, pw) = (total(h), total(w));
    if ph == 0 && pw == 0 {
        return x;
    }
    x.pad(
        (pw / 2, pw - pw / 2, ph / 2, ph - ph / 2),
        PadMode::Constant(0.0),
    )
}

/// 2-D convolution without bias, reflection-padded by `k / 2` so that stride 1
/// keeps the spatial size (stride 2 halves it).
///
/// `weight` is `[out, in, k, k]` (PyTorch / ONNX layout).
pub fn reflect_conv2d<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    stride: usize,
) -> Tensor<B, 4> {
    let [_, _, kernel, _] = weight.dims();
    let x = reflect_pad(x, kernel / 2);
    conv2d(
        x,
        weight,
        None,
        ConvOptions::new([stride, stride], [0, 0], [1, 1], 1),
    )
}

/// A 1×1 convolution (stride 1, no padding, one group) as one matrix
/// product over channels: `weight [O, C] · x [N, C, H·W]`, plus the bias.
///
/// Why not [`Conv2d::forward`]: burn's GPU backend runs a 1×1 convolution as
/// `x [N·H·W, C] · weightᵀ [C, O]` with a column-major right-hand side, and on
/// that layout the double-buffered unit matmul of cubek 0.2 returns wrong
/// values when `C ≡ 8 (mod 16)` (seen on lavapipe; MobileNetV2's 24-channel
/// layers). Autotune chooses it by timing, so the error came and went between
/// runs. Here both operands are row-major, a layout every candidate kernel
/// computed right for the predictor's shapes.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use burn::nn::conv::Conv2dConfig;
/// use bevy_gan_style::nn::pointwise_conv;
/// let device = Default::default();
/// let conv = Conv2dConfig::new([24, 8], [1, 1]).init::<CpuBackend>(&device);
/// let x = Tensor::<CpuBackend, 4>::random([2, 24, 3, 5], burn::tensor::Distribution::Default, &device);
/// let diff = (pointwise_conv(&conv, x.clone()) - conv.forward(x)).abs().max().into_scalar();
/// assert!(diff < 1e-5);
/// ```
pub fn pointwise_conv<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let [o, ..] = conv.weight.dims();
    debug_assert!(
        conv.kernel_size == [1, 1] && conv.stride == [1, 1] && conv.groups == 1,
        "pointwise_conv needs a 1×1, stride-1, single-group convolution"
    );
    let y = conv
        .weight
        .val()
        .reshape([1, o, c])
        .matmul(x.reshape([n, c, h * w]));
    let y = match &conv.bias {
        Some(bias) => y + bias.val().reshape([1, o, 1]),
        None => y,
    };
    y.reshape([n, o, h, w])
}

/// Nearest-neighbour ×2 upsampling: `out[2i + a][2j + b] = in[i][j]`.
///
/// Built from reshape + broadcast so that it is exact on every backend and
/// differentiable for training.
pub fn upsample_nearest2x<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h, 1, w, 1])
        .expand([n, c, h, 2, w, 2])
        .reshape([n, c, h * 2, w * 2])
}

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
            gamma: Param::from_tensor(Tensor::ones([self.num_styles, self.channels], device)),
            beta: Param::from_tensor(Tensor::zeros([self.num_styles, self.channels], device)),
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

    /// The blended scale and shift (`[N, C, 1, 1]` each) for `style`.
    pub fn scale_shift(&self, style: Tensor<B, 2>) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let [n, _] = style.dims();
        let [_, c] = self.gamma.dims();
        let scale = style.clone().matmul(self.gamma.val()).reshape([n, c, 1, 1]);
        let shift = style.matmul(self.beta.val()).reshape([n, c, 1, 1]);
        (scale, shift)
    }
}

/// Instance normalisation: each channel of each image is normalised over its
/// spatial extent (biased variance), then multiplied by `scale` and shifted
/// by `shift` (both `[N, C, 1, 1]`): the core of every conditional instance
/// norm here, whatever computes its scale and shift.
pub fn instance_norm<B: Backend>(
    x: Tensor<B, 4>,
    scale: Tensor<B, 4>,
    shift: Tensor<B, 4>,
    epsilon: f64,
) -> Tensor<B, 4> {
    let mean = spatial_mean(x.clone());
    let centered = x - mean;
    let var = spatial_mean(centered.clone().square());
    centered * (scale / var.add_scalar(epsilon).sqrt()) + shift
}

/// Per-channel mean and biased variance over the spatial extent of an
/// `[N, C, H, W]` tensor, each `[N, C, 1, 1]` (the statistics of
/// [`instance_norm`]).
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::nn::channel_mean_var;
/// let x = Tensor::<CpuBackend, 1>::from_floats([1.0, 3.0, 5.0, 7.0], &Default::default());
/// let (mean, var) = channel_mean_var(x.reshape([1, 1, 2, 2]));
/// assert_eq!(mean.into_scalar(), 4.0);
/// assert_eq!(var.into_scalar(), 5.0);
/// ```
pub fn channel_mean_var<B: Backend>(x: Tensor<B, 4>) -> (Tensor<B, 4>, Tensor<B, 4>) {
    let mean = spatial_mean(x.clone());
    let var = spatial_mean((x - mean.clone()).square());
    (mean, var)
}

/// Mean over H and W, `[N, C, 1, 1]`.
fn spatial_mean<B: Backend>(t: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, _] = t.dims();
    // Reduce over W, then over H (exact for means of equal rows): single
    // reductions longer than ~65k elements return wrong values on
    // burn-wgpu 0.21 with lavapipe, short ones are reliable. Both stages
    // reduce the innermost, contiguous axis.
    t.mean_dim(3)
        .reshape([n, c, h])
        .mean_dim(2)
        .reshape([n, c, 1, 1])
}

/// Non-linearity applied after a [`ConvBlock`]'s normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BlockActivation {
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + e^-x)`, mapping to `[0, 1]` (image outputs).
    Sigmoid,
    /// Identity (second conv of a residual block).
    Identity,
}

impl BlockActivation {
    /// Applies the non-linearity.
    pub fn apply<B: Backend>(self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        match self {
            Self::Relu => activation::relu(x),
            Self::Sigmoid => activation::sigmoid(x),
            Self::Identity => x,
        }
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
        self.stage(style, Skip::None).forward_plain(x)
    }

    /// The block as a [`ConvStage`] for the style blend `style`.
    pub fn stage(&self, style: Tensor<B, 2>, skip: Skip) -> ConvStage<B> {
        let (scale, shift) = self.norm.scale_shift(style);
        ConvStage {
            weight: self.w.val(),
            stride: self.stride,
            upsample: self.upsample,
            post: StagePost::Norm {
                scale,
                shift,
                epsilon: self.norm.epsilon,
            },
            activation: self.activation,
            skip,
        }
    }
}

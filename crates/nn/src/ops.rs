//! Functional ops shared by the crate's networks: reflection and "same"
//! padding, reflection-padded and pointwise convolution, nearest
//! upsampling, instance normalisation and the block activations.

use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation;
use burn::tensor::ops::{ConvOptions, PadMode};

use super::cpu::conv2d;

/// Pads the two spatial dimensions of an `[N, C, H, W]` tensor by mirroring
/// (the edge pixel itself is not repeated), like ONNX / PyTorch `reflect`.
///
/// The pad must be smaller than both spatial sizes; callers check image sizes
/// before running a network (see [`crate::MultiStyleConfig::min_input_size`]).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::reflect_pad;
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[1.0, 2.0, 3.0]]]], &Default::default());
/// let y = reflect_pad(x.reshape([1, 1, 1, 3]).repeat_dim(2, 2), 1);
/// assert_eq!(y.dims(), [1, 1, 4, 5]);
/// ```
pub fn reflect_pad<B: Backend>(x: Tensor<B, 4>, pad: usize) -> Tensor<B, 4> {
    if pad == 0 {
        return x;
    }
    let x = match super::cpu::pad(x, pad, super::cpu::Wrap::Reflect) {
        Ok(padded) => return padded,
        Err(x) => x,
    };
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
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::same_pad;
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
/// # use burn::backend::Flex as CpuBackend;
/// use burn::nn::conv::Conv2dConfig;
/// use bevy_gan_style_nn::pointwise_conv;
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
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::channel_mean_var;
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
pub(crate) fn spatial_mean<B: Backend>(t: Tensor<B, 4>) -> Tensor<B, 4> {
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

/// Non-linearity applied after a [`ConvBlock`](super::ConvBlock)'s normalisation.
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

//! Wrap-around ("circular") padding and convolution: what makes a fully
//! convolutional generator's output tile seamlessly. burn has no circular
//! padding mode, so it is built from slices and concatenation (exact and
//! differentiable on every backend).

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;
use burn::tensor::ops::ConvOptions;

use super::cpu::conv2d;
use super::init::conv_weight;

/// Pads the two spatial dimensions of an `[N, C, H, W]` tensor by `pad`
/// pixels taken from the opposite side, as if the image lay on a torus.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::circular_pad;
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[1.0, 2.0, 3.0]]]], &Default::default());
/// let y = circular_pad(x, 1);
/// assert_eq!(y.dims(), [1, 1, 3, 5]);
/// let row: Vec<f32> = y.narrow(2, 1, 1).into_data().to_vec().unwrap();
/// assert_eq!(row, [3.0, 1.0, 2.0, 3.0, 1.0]);
/// ```
pub fn circular_pad<B: Backend>(x: Tensor<B, 4>, pad: usize) -> Tensor<B, 4> {
    if pad == 0 {
        return x;
    }
    let x = match super::cpu::pad(x, pad, super::cpu::Wrap::Circular) {
        Ok(padded) => return padded,
        Err(x) => x,
    };
    let wrap = |x: Tensor<B, 4>, dim: usize| {
        let size = x.dims()[dim];
        assert!(pad <= size, "circular pad {pad} exceeds size {size}");
        let before = x.clone().narrow(dim, size - pad, pad);
        let after = x.clone().narrow(dim, 0, pad);
        Tensor::cat(vec![before, x, after], dim)
    };
    wrap(wrap(x, 2), 3)
}

/// Bilinear ×2 upsampling of an `[N, C, H, W]` tensor on a torus: each
/// output pixel mixes its source cell (¾) with the nearer neighbour (¼),
/// the neighbour of a border cell being the one on the opposite side. Unlike
/// nearest upsampling it leaves no block edges, so the wrap boundary (which
/// always falls on a cell edge) looks like any other place in the image.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::circular_upsample_bilinear2x;
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[0.0, 4.0, 8.0]]]], &Default::default());
/// let y = circular_upsample_bilinear2x(x);
/// assert_eq!(y.dims(), [1, 1, 2, 6]);
/// let row: Vec<f32> = y.narrow(2, 0, 1).into_data().to_vec().unwrap();
/// assert_eq!(row, [2.0, 1.0, 3.0, 5.0, 7.0, 6.0]);
/// ```
pub fn circular_upsample_bilinear2x<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let x = match super::cpu::circular_upsample(x) {
        Ok(y) => return y,
        Err(x) => x,
    };
    let along = |x: Tensor<B, 4>, dim: usize| {
        let mut dims = x.dims();
        // burn's roll_dim(s) gives x[i + s].
        let previous = x.clone().roll_dim(-1, dim);
        let next = x.clone().roll_dim(1, dim);
        let even = x.clone().mul_scalar(0.75) + previous.mul_scalar(0.25);
        let odd = x.mul_scalar(0.75) + next.mul_scalar(0.25);
        dims[dim] *= 2;
        Tensor::stack::<5>(vec![even, odd], dim + 1).reshape(dims)
    };
    along(along(x, 2), 3)
}

/// Configuration of a [`CircularConv2d`].
#[derive(Config, Debug)]
pub struct CircularConv2dConfig {
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Square kernel size (odd).
    #[config(default = 3)]
    pub kernel: usize,
}

impl CircularConv2dConfig {
    /// Creates the convolution with Kaiming-uniform weights and zero bias.
    pub fn init<B: Backend>(&self, device: &B::Device) -> CircularConv2d<B> {
        CircularConv2d {
            w: conv_weight([self.channels_in, self.channels_out], self.kernel, device),
            b: Initializer::Zeros.init([self.channels_out], device),
        }
    }
}

/// Stride-1 convolution with circular padding of `k / 2`: the output keeps
/// the input's size and wraps around at the borders.
///
/// Parameter names `w` (`[out, in, k, k]`) and `b` are the safetensors names.
#[derive(Module, Debug)]
pub struct CircularConv2d<B: Backend> {
    /// Weight `[out, in, k, k]`.
    pub w: Param<Tensor<B, 4>>,
    /// Bias `[out]`.
    pub b: Param<Tensor<B, 1>>,
}

impl<B: Backend> CircularConv2d<B> {
    /// Applies the convolution to `[N, C, H, W]`.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, _, kernel, _] = self.w.dims();
        conv2d(
            circular_pad(x, kernel / 2),
            self.w.val(),
            Some(self.b.val()),
            ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        )
    }
}

//! The one weight initialiser of the crate's convolutions: PyTorch's
//! default for `Conv2d` (Kaiming-uniform with gain 1/√3, i.e. uniform in
//! ±1/√fan_in), so that freshly built networks train like their PyTorch
//! originals.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;

/// Weights `[channels_out, channels_in, kernel, kernel]` of a convolution.
///
/// ```
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::conv_weight;
/// let w = conv_weight::<CpuBackend>([3, 8], 3, &Default::default());
/// assert_eq!(w.dims(), [8, 3, 3, 3]);
/// // Uniform in ±1/√(3·3·3).
/// assert!(w.val().abs().max().into_scalar() <= 1.0 / 27f32.sqrt());
/// ```
pub fn conv_weight<B: Backend>(
    [channels_in, channels_out]: [usize; 2],
    kernel: usize,
    device: &B::Device,
) -> Param<Tensor<B, 4>> {
    kaiming(
        [channels_out, channels_in, kernel, kernel],
        [channels_in, channels_out],
        kernel,
        device,
    )
}

/// Weights `[channels_in, channels_out, kernel, kernel]` of a transposed
/// convolution (burn's and PyTorch's layout), with the fans of the
/// convolution it inverts.
pub fn conv_transpose_weight<B: Backend>(
    [channels_in, channels_out]: [usize; 2],
    kernel: usize,
    device: &B::Device,
) -> Param<Tensor<B, 4>> {
    kaiming(
        [channels_in, channels_out, kernel, kernel],
        [channels_in, channels_out],
        kernel,
        device,
    )
}

fn kaiming<B: Backend>(
    shape: [usize; 4],
    [channels_in, channels_out]: [usize; 2],
    kernel: usize,
    device: &B::Device,
) -> Param<Tensor<B, 4>> {
    Initializer::KaimingUniform {
        gain: 1.0 / 3f64.sqrt(),
        fan_out_only: false,
    }
    .init_with(
        shape,
        Some(channels_in * kernel * kernel),
        Some(channels_out * kernel * kernel),
        device,
    )
}

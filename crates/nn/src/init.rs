//! The one weight initialiser of the crate's convolutions: PyTorch's
//! default for `Conv2d` (Kaiming-uniform with gain 1/√3, i.e. uniform in
//! ±1/√fan_in), so that freshly built networks train like their PyTorch
//! originals.

use burn::module::{Module, ModuleVisitor, Param};
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

/// `module` with every lazily initialised parameter drawn now, in module
/// order, rather than at first use. Networks built one after another from
/// the same seed (data-parallel peers on threads sharing the backend's
/// generator) then get the weights one process would, whatever order their
/// layers are first used in.
///
/// ```
/// # use burn::backend::Flex as CpuBackend;
/// use burn::nn::conv::Conv2dConfig;
/// use bevy_gan_style_nn::drawn;
/// let conv = drawn(Conv2dConfig::new([3, 8], [3, 3]).init::<CpuBackend>(&Default::default()));
/// assert!(conv.weight.is_initialized());
/// ```
pub fn drawn<B: Backend, M: Module<B>>(module: M) -> M {
    struct DrawNow;
    impl<B: Backend> ModuleVisitor<B> for DrawNow {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            param.val();
        }
    }
    module.visit(&mut DrawNow);
    module
}

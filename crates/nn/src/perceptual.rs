//! Perceptual losses of feed-forward style transfer (Gatys et al. 2016,
//! Johnson et al. 2016): content on VGG16 features, style on their Gram
//! matrices, and total variation.

use burn::prelude::*;

use super::vgg::{Vgg16, VggTap};

/// Gram matrices `[N, C, C]` of features `[N, C, H, W]`, normalised by
/// `C·H·W` so that the loss does not grow with layer width or image size.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::gram;
/// // One channel of [1, 2, 3, 4]: sum of squares 30, over C·H·W = 4.
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[1.0, 2.0], [3.0, 4.0]]]], &Default::default());
/// assert_eq!(gram(x).into_scalar(), 7.5);
/// ```
pub fn gram<B: Backend>(features: Tensor<B, 4>) -> Tensor<B, 3> {
    #[cfg(feature = "autodiff")]
    if std::any::TypeId::of::<B>() == std::any::TypeId::of::<crate::cpu::Train>() {
        return crate::cpu::same(crate::cpu::gram(crate::cpu::same(features)));
    }
    let [n, c, h, w] = features.dims();
    let flat = features.reshape([n, c, h * w]);
    flat.clone()
        .matmul(flat.swap_dims(1, 2))
        .div_scalar((c * h * w) as f32)
}

/// Mean squared difference of two feature maps (the content loss on one
/// tap).
pub fn content_loss<B: Backend>(generated: Tensor<B, 4>, target: Tensor<B, 4>) -> Tensor<B, 1> {
    (generated - target).powi_scalar(2).mean()
}

/// Σ over taps of `weight · mean((G(generated) − target)²)`: `generated`
/// holds a batch's features per tap, `targets` one Gram matrix `[N, C, C]`
/// per tap (each image's own style target).
pub fn style_loss<B: Backend>(
    generated: &[Tensor<B, 4>],
    targets: &[Tensor<B, 3>],
    weights: &[f32],
) -> Tensor<B, 1> {
    let device = targets[0].device();
    generated.iter().zip(targets).zip(weights).fold(
        Tensor::zeros([1], &device),
        |sum, ((features, target), &w)| {
            sum + (gram(features.clone()) - target.clone())
                .powi_scalar(2)
                .mean()
                .mul_scalar(w)
        },
    )
}

/// Total variation: mean squared difference between horizontal neighbours
/// plus that between vertical neighbours.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::total_variation;
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[0.0, 1.0], [0.0, 1.0]]]], &Default::default());
/// // Horizontal differences are all 1, vertical ones 0.
/// assert_eq!(total_variation(x).into_scalar(), 1.0);
/// ```
pub fn total_variation<B: Backend>(image: Tensor<B, 4>) -> Tensor<B, 1> {
    let [_, _, h, w] = image.dims();
    let dx = image.clone().narrow(3, 1, w - 1) - image.clone().narrow(3, 0, w - 1);
    let dy = image.clone().narrow(2, 1, h - 1) - image.narrow(2, 0, h - 1);
    dx.powi_scalar(2).mean() + dy.powi_scalar(2).mean()
}

/// Gram targets of style images: for each style, its Gram matrix `[1, C, C]`
/// at each of [`VggTap::STYLE`].
pub fn style_grams<B: Backend>(vgg: &Vgg16<B>, styles: &[Tensor<B, 4>]) -> Vec<Vec<Tensor<B, 3>>> {
    styles
        .iter()
        .map(|style| {
            vgg.forward(style.clone(), VggTap::Relu4_3)
                .into_iter()
                .map(gram)
                .collect()
        })
        .collect()
}

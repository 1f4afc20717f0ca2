//! How far an image is from a content image and from a style image, on
//! VGG16 features: the measures of style transfer.

use burn::prelude::*;

use bevy_gan_style_nn::{Vgg16, VggTap, content_loss, gram};

/// Mean squared difference of VGG16 relu3_3 features of two images
/// (`[N, 3, H, W]` in `[0, 1]`), per image.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_nn::Vgg16;
/// use bevy_gan_style_train::eval::content_distance;
/// let vgg = Vgg16::<CpuBackend>::new(&Default::default());
/// let image = Tensor::<CpuBackend, 4>::full([1, 3, 16, 16], 0.5, &Default::default());
/// assert_eq!(content_distance(&vgg, image.clone(), image), 0.0);
/// ```
pub fn content_distance<B: Backend>(vgg: &Vgg16<B>, a: Tensor<B, 4>, b: Tensor<B, 4>) -> f32 {
    let fa = vgg.forward(a, VggTap::Relu3_3).pop();
    let fb = vgg.forward(b, VggTap::Relu3_3).pop();
    match (fa, fb) {
        (Some(fa), Some(fb)) => content_loss(fa, fb).into_scalar().elem(),
        _ => 0.0,
    }
}

/// VGG16 layers of the Gram style distance, in [`style_layer_distances`]'s order.
pub const STYLE_LAYERS: [&str; 4] = ["relu1_2", "relu2_2", "relu3_3", "relu4_3"];

/// Gram style distance of `image` to `style` (each `[1, 3, H, W]` in
/// `[0, 1]`, any sizes): the sum over relu1_2, relu2_2, relu3_3 and relu4_3
/// of the mean squared difference of Gram matrices normalised by `C·H·W` —
/// the style loss of training with all layer weights 1.
pub fn style_distance<B: Backend>(vgg: &Vgg16<B>, image: Tensor<B, 4>, style: Tensor<B, 4>) -> f32 {
    style_layer_distances(vgg, image, style).iter().sum()
}

/// The terms of [`style_distance`], one per layer of [`STYLE_LAYERS`]:
/// which layers' statistics an image shares with a painting (low layers:
/// colours and fine texture; high layers: larger motifs).
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_nn::Vgg16;
/// use bevy_gan_style_train::eval::style_layer_distances;
/// let vgg = Vgg16::<CpuBackend>::new(&Default::default());
/// let image = Tensor::<CpuBackend, 4>::full([1, 3, 16, 16], 0.5, &Default::default());
/// assert_eq!(style_layer_distances(&vgg, image.clone(), image), [0.0; 4]);
/// ```
pub fn style_layer_distances<B: Backend>(
    vgg: &Vgg16<B>,
    image: Tensor<B, 4>,
    style: Tensor<B, 4>,
) -> [f32; 4] {
    let a = vgg.forward(image, VggTap::Relu4_3);
    let b = vgg.forward(style, VggTap::Relu4_3);
    let mut distances = [0.0; 4];
    for ((distance, fa), fb) in distances.iter_mut().zip(a).zip(b) {
        *distance = (gram(fa) - gram(fb))
            .powi_scalar(2)
            .mean()
            .into_scalar()
            .elem();
    }
    distances
}

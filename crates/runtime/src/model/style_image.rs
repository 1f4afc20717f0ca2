//! Preparing any picture as the input of a style predictor.

use burn::prelude::*;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use image::imageops::FilterType;
use image::{DynamicImage, RgbaImage};

/// Side of the square image a style predictor takes.
pub const STYLE_IMAGE_SIZE: u32 = 256;

/// The longest side [`style_image_input`] resizes to (the rest of a longer
/// image lies outside its centre crop).
const MAX_SCALED_SIDE: u32 = 4 * STYLE_IMAGE_SIZE;

/// Magenta's preparation of a style image: used as is when it is already
/// 256×256, otherwise its shorter side is scaled to 256 (bilinear) and the
/// centre 256×256 is cropped. Alpha is dropped (the colour under transparent
/// pixels is kept, as when decoding to RGB); the result is opaque.
///
/// ```
/// use bevy_gan_style_runtime::model::{STYLE_IMAGE_SIZE, style_image_input};
/// let odd = image::DynamicImage::new_rgba8(301, 97);
/// let input = style_image_input(&odd);
/// assert_eq!(input.dimensions(), (STYLE_IMAGE_SIZE, STYLE_IMAGE_SIZE));
/// assert!(input.pixels().all(|p| p[3] == 255));
/// // A thin strip is cropped before it is resized, not blown up whole.
/// let strip = image::DynamicImage::new_rgb8(1, 16384);
/// assert_eq!(style_image_input(&strip).dimensions(), (256, 256));
/// ```
pub fn style_image_input(image: &DynamicImage) -> RgbaImage {
    let size = STYLE_IMAGE_SIZE;
    // A very elongated image (say 1×16384) would be resized to gigabytes
    // before the crop: keep only the middle of its long side first, enough
    // for the crop and the filter around it.
    let (width, height) = (image.width().max(1), image.height().max(1));
    let scale = size as f64 / width.min(height) as f64;
    let keep = |side: u32| {
        let most = (MAX_SCALED_SIDE as f64 / scale).ceil() as u32;
        side.min(most.max(1))
    };
    let (kept_w, kept_h) = (keep(width), keep(height));
    let image = if (kept_w, kept_h) == (width, height) {
        image.clone()
    } else {
        image.crop_imm((width - kept_w) / 2, (height - kept_h) / 2, kept_w, kept_h)
    };
    let (width, height) = (kept_w, kept_h);
    let scaled = |side: u32| ((side as f64 * scale).round() as u32).max(size);
    let (w, h) = (scaled(width), scaled(height));
    let rgb = image.to_rgb8();
    let resized = if (w, h) == (width, height) {
        rgb
    } else {
        image::imageops::resize(&rgb, w, h, FilterType::Triangle)
    };
    let cropped =
        image::imageops::crop_imm(&resized, (w - size) / 2, (h - size) / 2, size, size).to_image();
    DynamicImage::from(cropped).to_rgba8()
}

/// The same preparation for an image already on a device (`[N, 3, H, W]`):
/// the centre square, resized to 256×256 by bilinear interpolation (without
/// the antialiasing of [`style_image_input`], which matters little for the
/// style of a rendered frame). How the camera filter gets a frame's own
/// style vector.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::model::style_tensor_input;
/// let frame = Tensor::<CpuBackend, 4>::ones([1, 3, 90, 160], &Default::default());
/// assert_eq!(style_tensor_input(frame).dims(), [1, 3, 256, 256]);
/// ```
pub fn style_tensor_input<B: Backend>(image: Tensor<B, 4>) -> Tensor<B, 4> {
    let [_, _, height, width] = image.dims();
    let side = height.min(width);
    let square = image
        .narrow(2, (height - side) / 2, side)
        .narrow(3, (width - side) / 2, side);
    let size = STYLE_IMAGE_SIZE as usize;
    if side == size {
        return square;
    }
    interpolate(
        square,
        [size, size],
        InterpolateOptions {
            mode: InterpolateMode::Bilinear,
            align_corners: false,
        },
    )
}

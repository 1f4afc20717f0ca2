//! Images ↔ tensors through host memory, for the CPU backend and for tools
//! (loading inputs, writing PNGs). The per-frame GPU path never uses these.

use std::path::Path;

use burn::prelude::*;
use image::{DynamicImage, ImageError, ImageReader, Limits, RgbImage, RgbaImage};

/// The largest side of an image read with [`open_image`].
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// The most a decoder may allocate for one image read with [`open_image`].
pub const MAX_IMAGE_BYTES: u64 = 512 << 20;

/// Reads a PNG or JPEG file (format from its content), refusing images over
/// [`MAX_IMAGE_SIDE`] on a side or [`MAX_IMAGE_BYTES`] decoded, so that a
/// header claiming an enormous size is an error rather than an allocation
/// of gigabytes.
///
/// ```
/// # std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).unwrap();
/// use bevy_gan_style_runtime::bridge::open_image;
/// let image = open_image("assets/images/chelsea_256x168.png")?;
/// assert_eq!((image.width(), image.height()), (256, 168));
/// assert!(open_image("no/such/file.png").is_err());
/// # Ok::<(), image::ImageError>(())
/// ```
pub fn open_image(path: impl AsRef<Path>) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::open(path.as_ref())?.with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_BYTES);
    reader.limits(limits);
    reader.decode()
}

/// An 8-bit image as a `[1, 3, H, W]` tensor, `[0, 1]` mapped onto `range`
/// (the network's input range). Alpha is ignored.
///
/// ```
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::bridge::{image_to_tensor, tensor_to_image};
/// let image = image::RgbImage::from_fn(8, 4, |x, y| image::Rgb([x as u8 * 30, y as u8 * 60, 7]));
/// let tensor = image_to_tensor::<CpuBackend>(&image::DynamicImage::from(image.clone()).to_rgba8(), (0.0, 1.0), &Default::default());
/// assert_eq!(tensor.dims(), [1, 3, 4, 8]);
/// assert_eq!(tensor_to_image(tensor, (0.0, 1.0)), image);
/// ```
pub fn image_to_tensor<B: Backend>(
    image: &RgbaImage,
    range: (f32, f32),
    device: &B::Device,
) -> Tensor<B, 4> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let plane = width * height;
    let scale = (range.1 - range.0) / 255.0;
    let mut planar = vec![0.0f32; 3 * plane];
    for (i, pixel) in image.pixels().enumerate() {
        for c in 0..3 {
            planar[c * plane + i] = pixel.0[c] as f32 * scale + range.0;
        }
    }
    Tensor::from_data(TensorData::new(planar, [1, 3, height, width]), device)
}

/// A `[1, 3, H, W]` tensor with values in `range` (the network's output
/// range) as an 8-bit RGB image (rounded, clamped). Reads the tensor back to
/// host memory, waiting for the device.
pub fn tensor_to_image<B: Backend>(tensor: Tensor<B, 4>, range: (f32, f32)) -> RgbImage {
    let [_, _, height, width] = tensor.dims();
    let plane = width * height;
    let values = tensor
        .narrow(0, 0, 1)
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .unwrap_or_default();
    let scale = 255.0 / (range.1 - range.0);
    RgbImage::from_fn(width as u32, height as u32, |x, y| {
        let i = y as usize * width + x as usize;
        let channel = |c: usize| {
            let v = values.get(c * plane + i).copied().unwrap_or(0.0);
            ((v - range.0) * scale).round().clamp(0.0, 255.0) as u8
        };
        image::Rgb([channel(0), channel(1), channel(2)])
    })
}

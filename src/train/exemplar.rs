//! Exemplar images and the random crops the discriminator sees as real.

use std::path::{Path, PathBuf};

use burn::prelude::*;

use super::TrainError;
use crate::nn::SplitMix64;

/// Which symmetries may augment the crops. Flips and quarter turns suit most
/// stochastic textures (clouds, gravel, caustics); textures with a direction
/// (bricks, stripes, wood) keep `none` or `flips`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Augment {
    /// Crops as they are.
    None,
    /// Horizontal and vertical mirror images.
    #[default]
    Flips,
    /// Mirror images and quarter turns.
    FlipsAndRotations,
}

impl std::str::FromStr for Augment {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "flips" => Ok(Self::Flips),
            "flips+rotations" | "all" => Ok(Self::FlipsAndRotations),
            other => Err(format!(
                "unknown augmentation `{other}` (none, flips, flips+rotations)"
            )),
        }
    }
}

/// One or more exemplar images, RGB in `[-1, 1]`.
pub struct Exemplars {
    images: Vec<Exemplar>,
}

struct Exemplar {
    width: usize,
    height: usize,
    /// Planar RGB.
    pixels: Vec<f32>,
}

impl Exemplars {
    /// Loads the images (PNG / JPEG; grey ones become RGB), scaled by
    /// `scale` (e.g. 0.5 makes the texture's features twice as small
    /// relative to the generator), each at least `crop` pixels on a side.
    pub fn load(paths: &[PathBuf], scale: f32, crop: usize) -> Result<Self, TrainError> {
        if paths.is_empty() {
            return Err(TrainError::NoExemplar);
        }
        let images = paths
            .iter()
            .map(|path| Self::load_one(path, scale, crop))
            .collect::<Result<_, _>>()?;
        Ok(Self { images })
    }

    fn load_one(path: &Path, scale: f32, crop: usize) -> Result<Exemplar, TrainError> {
        let image = image::open(path).map_err(|source| TrainError::Image {
            path: path.to_path_buf(),
            source,
        })?;
        let scale = scale.clamp(0.01, 1.0);
        let (width, height) = (
            ((image.width() as f32 * scale).round() as u32).max(1),
            ((image.height() as f32 * scale).round() as u32).max(1),
        );
        if (width as usize) < crop || (height as usize) < crop {
            return Err(TrainError::ExemplarTooSmall {
                path: path.to_path_buf(),
                width,
                height,
                crop,
            });
        }
        let rgb = image
            .resize_exact(width, height, image::imageops::FilterType::Lanczos3)
            .to_rgb8();
        let plane = (width * height) as usize;
        let mut pixels = vec![0.0; 3 * plane];
        for (i, pixel) in rgb.pixels().enumerate() {
            for c in 0..3 {
                pixels[c * plane + i] = pixel.0[c] as f32 / 127.5 - 1.0;
            }
        }
        Ok(Exemplar {
            width: width as usize,
            height: height as usize,
            pixels,
        })
    }

    /// The shortest side among the exemplars (after scaling).
    pub fn min_side(&self) -> usize {
        self.images
            .iter()
            .map(|image| image.width.min(image.height))
            .min()
            .unwrap_or(0)
    }

    /// `n` random `size × size` crops, `[n, 3, size, size]`.
    pub(crate) fn crops<B: Backend>(
        &self,
        rng: &mut SplitMix64,
        n: usize,
        size: usize,
        augment: Augment,
        device: &B::Device,
    ) -> Tensor<B, 4> {
        let mut data = Vec::with_capacity(n * 3 * size * size);
        for _ in 0..n {
            let image = &self.images[rng.below(self.images.len())];
            let x0 = rng.below(image.width - size + 1);
            let y0 = rng.below(image.height - size + 1);
            let (flip_x, flip_y, turn) = match augment {
                Augment::None => (false, false, false),
                Augment::Flips => (rng.below(2) == 1, rng.below(2) == 1, false),
                Augment::FlipsAndRotations => {
                    (rng.below(2) == 1, rng.below(2) == 1, rng.below(2) == 1)
                }
            };
            let plane = image.width * image.height;
            for c in 0..3 {
                for y in 0..size {
                    for x in 0..size {
                        // A quarter turn is a transpose plus a flip.
                        let (u, v) = if turn { (y, x) } else { (x, y) };
                        let u = if flip_x { size - 1 - u } else { u };
                        let v = if flip_y { size - 1 - v } else { v };
                        data.push(image.pixels[c * plane + (y0 + v) * image.width + x0 + u]);
                    }
                }
            }
        }
        Tensor::from_data(TensorData::new(data, [n, 3, size, size]), device)
    }
}

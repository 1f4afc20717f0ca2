//! Training images in memory and random, augmented crops of them: texture
//! exemplars, style images and content photos or rendered frames.

use std::path::{Path, PathBuf};

use burn::prelude::*;

use super::error::TrainError;
use bevy_gan_style_nn::{Draw, SplitMix64};

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

impl Augment {
    /// A random `(flip_x, flip_y, turn)` among the allowed symmetries.
    fn draw(self, rng: &mut SplitMix64) -> (bool, bool, bool) {
        match self {
            Self::None => (false, false, false),
            Self::Flips => (rng.below(2) == 1, rng.below(2) == 1, false),
            Self::FlipsAndRotations => (rng.below(2) == 1, rng.below(2) == 1, rng.below(2) == 1),
        }
    }
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

/// Images held in memory as planar RGB in `[0, 1]`.
pub struct ImageSet {
    images: Vec<Picture>,
}

struct Picture {
    width: usize,
    height: usize,
    /// Planar RGB.
    pixels: Vec<f32>,
}

/// A file [`ImageSet::from_folder`] left out, and why.
#[derive(Debug)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

impl ImageSet {
    /// Loads the images (PNG / JPEG; grey ones become RGB), scaled by
    /// `scale` (e.g. 0.5 makes a texture's features twice as small relative
    /// to the generator), each at least `crop` pixels on a side. Any image
    /// that cannot be used is an error: these are files the user named.
    pub fn load(paths: &[PathBuf], scale: f32, crop: usize) -> Result<Self, TrainError> {
        let scale = scale.clamp(0.01, 1.0);
        Self::load_with(paths, crop, |w, h| (w as f32 * scale, h as f32 * scale))
    }

    /// Loads the images resized so that their shorter side is `side` pixels
    /// (style images: the scale of their brush strokes relative to the
    /// training crops is what the network learns).
    pub fn load_short_side(paths: &[PathBuf], side: usize) -> Result<Self, TrainError> {
        Self::load_with(paths, side, |w, h| {
            let scale = side as f32 / w.min(h) as f32;
            (w as f32 * scale, h as f32 * scale)
        })
    }

    fn load_with(
        paths: &[PathBuf],
        crop: usize,
        size: impl Fn(u32, u32) -> (f32, f32),
    ) -> Result<Self, TrainError> {
        if paths.is_empty() {
            return Err(TrainError::NoImages("no image given".into()));
        }
        let images = paths
            .iter()
            .map(|path| {
                let image = open(path)?;
                let (w, h) = size(image.width(), image.height());
                let size = ((w.round() as u32).max(1), (h.round() as u32).max(1));
                if size.0.max(size.1) > bevy_gan_style_runtime::bridge::MAX_IMAGE_SIDE {
                    return Err(TrainError::Invalid(format!(
                        "{}: resized to {}×{}, over {} pixels on a side (too elongated)",
                        path.display(),
                        size.0,
                        size.1,
                        bevy_gan_style_runtime::bridge::MAX_IMAGE_SIDE
                    )));
                }
                if (size.0.min(size.1) as usize) < crop {
                    return Err(TrainError::ImageTooSmall {
                        path: path.to_path_buf(),
                        width: size.0,
                        height: size.1,
                        crop,
                    });
                }
                Ok(Picture::new(&image, size))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { images })
    }

    /// Every JPEG and PNG under `dir` (recursively, in name order), resized
    /// so that the shorter side is at most `max_side`. Files that cannot be
    /// decoded or whose shorter side is under `min_side` are left out and
    /// returned with the reason; it is an error only if nothing is left.
    ///
    /// ```no_run
    /// use bevy_gan_style_train::ImageSet;
    /// let (content, skipped) = ImageSet::from_folder("photos".as_ref(), 320, 256)?;
    /// for s in skipped {
    ///     eprintln!("skipped {}: {}", s.path.display(), s.reason);
    /// }
    /// # Ok::<(), bevy_gan_style_train::TrainError>(())
    /// ```
    pub fn from_folder(
        dir: &Path,
        max_side: usize,
        min_side: usize,
    ) -> Result<(Self, Vec<Skipped>), TrainError> {
        let mut files = Vec::new();
        collect_images(dir, &mut files)?;
        files.sort();
        let mut images = Vec::new();
        let mut skipped = Vec::new();
        for path in files {
            match open(&path) {
                Ok(image) => {
                    let short = image.width().min(image.height()) as usize;
                    if short < min_side {
                        skipped.push(Skipped {
                            path,
                            reason: format!(
                                "{}×{} is smaller than {min_side} pixels",
                                image.width(),
                                image.height()
                            ),
                        });
                        continue;
                    }
                    let scale = (max_side as f32 / short as f32).min(1.0);
                    let size = (
                        ((image.width() as f32 * scale).round() as u32).max(min_side as u32),
                        ((image.height() as f32 * scale).round() as u32).max(min_side as u32),
                    );
                    images.push(Picture::new(&image, size));
                }
                Err(e) => skipped.push(Skipped {
                    path,
                    reason: e.to_string(),
                }),
            }
        }
        if images.is_empty() {
            return Err(TrainError::NoImages(format!(
                "no usable JPEG or PNG image in {}",
                dir.display()
            )));
        }
        Ok((Self { images }, skipped))
    }

    /// Both sets' images in one set.
    pub fn merge(mut first: Self, second: Self) -> Self {
        first.images.extend(second.images);
        first
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether there is no image (never, for a set that loaded).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Image `index`'s `(width, height)`.
    pub fn size(&self, index: usize) -> (usize, usize) {
        let image = &self.images[index];
        (image.width, image.height)
    }

    /// The shortest side among the images.
    pub fn min_side(&self) -> usize {
        self.images
            .iter()
            .map(|image| image.width.min(image.height))
            .min()
            .unwrap_or(0)
    }

    /// Image `index` whole, `[1, 3, H, W]` in `[0, 1]`.
    pub fn image<B: Backend>(&self, index: usize, device: &B::Device) -> Tensor<B, 4> {
        let image = &self.images[index];
        Tensor::from_data(
            TensorData::new(image.pixels.clone(), [1, 3, image.height, image.width]),
            device,
        )
    }

    /// The centred `size × size` crop of image `index` (scaled down first
    /// if needed so that its shorter side is `size`), `[1, 3, size, size]`.
    pub fn centre_crop<B: Backend>(
        &self,
        index: usize,
        size: usize,
        device: &B::Device,
    ) -> Tensor<B, 4> {
        let image = &self.images[index];
        let side = image.width.min(image.height) as f32;
        let x0 = (image.width as f32 - side) / 2.0;
        let y0 = (image.height as f32 - side) / 2.0;
        let mut data = Vec::with_capacity(3 * size * size);
        image.sample(&mut data, (x0, y0, side), size, (false, false, false));
        Tensor::from_data(TensorData::new(data, [1, 3, size, size]), device)
    }

    /// `n` random `size × size` crops of random images, `[n, 3, size, size]`
    /// in `[0, 1]`. With `jitter > 1`, each crop covers a square of
    /// `size · jitter^u` pixels (`u` uniform in `[-1, 1]`, at most the
    /// image) resampled bilinearly to `size`: scale augmentation.
    pub(crate) fn crops<B: Backend>(
        &self,
        rng: &mut SplitMix64,
        n: usize,
        size: usize,
        augment: Augment,
        jitter: f32,
        device: &B::Device,
    ) -> Tensor<B, 4> {
        let images: Vec<usize> = (0..n).map(|_| rng.below(self.images.len())).collect();
        self.crops_of(rng, &images, size, augment, jitter, device)
    }

    /// A set of tensors' images (`[1, 3, H, W]` each, values as they are):
    /// e.g. a teacher's outputs, to crop like loaded images.
    pub fn from_tensors<B: Backend>(images: Vec<Tensor<B, 4>>) -> Self {
        let images = images
            .into_iter()
            .map(|image| {
                let [_, _, height, width] = image.dims();
                let pixels = image
                    .into_data()
                    .convert::<f32>()
                    .into_vec()
                    .unwrap_or_default();
                Picture {
                    width,
                    height,
                    pixels,
                }
            })
            .collect();
        Self { images }
    }

    /// Aligned pairs of random crops, one of each image listed in
    /// `images`: `size × size` of this set's image and the matching
    /// `size / factor` square of `low`'s image of the same index (which is
    /// `factor` times smaller), with the same flips and turns, and the same
    /// square of `guide`'s image (full size) where there is a guide.
    /// Returns `(low, high, guide)`.
    pub(crate) fn paired_crops<B: Backend>(
        &self,
        (low, guide): (&ImageSet, Option<&ImageSet>),
        rng: &mut SplitMix64,
        (images, size, factor): (&[usize], usize, usize),
        augment: Augment,
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 4>, Option<Tensor<B, 4>>) {
        let (n, small) = (images.len(), size / factor);
        let mut high_data = Vec::with_capacity(n * 3 * size * size);
        let mut low_data = Vec::with_capacity(n * 3 * small * small);
        let mut guide_data = Vec::with_capacity(guide.map_or(0, |_| n * 3 * size * size));
        for &index in images {
            let (image, reduced) = (&self.images[index], &low.images[index]);
            // Positions on the low image's grid, so that both crops cover
            // the same square.
            let x = rng.below(reduced.width - small + 1);
            let y = rng.below(reduced.height - small + 1);
            let flips = augment.draw(rng);
            let at = |v: usize, scale: usize| (v * scale) as f32;
            let full = (at(x, factor), at(y, factor), size as f32);
            image.sample(&mut high_data, full, size, flips);
            if let Some(guide) = guide {
                guide.images[index].sample(&mut guide_data, full, size, flips);
            }
            reduced.sample(
                &mut low_data,
                (at(x, 1), at(y, 1), small as f32),
                small,
                flips,
            );
        }
        let guide = guide
            .map(|_| Tensor::from_data(TensorData::new(guide_data, [n, 3, size, size]), device));
        (
            Tensor::from_data(TensorData::new(low_data, [n, 3, small, small]), device),
            Tensor::from_data(TensorData::new(high_data, [n, 3, size, size]), device),
            guide,
        )
    }

    /// Like [`Self::crops`], one crop of each image listed in `images`.
    pub(crate) fn crops_of<B: Backend>(
        &self,
        rng: &mut SplitMix64,
        images: &[usize],
        size: usize,
        augment: Augment,
        jitter: f32,
        device: &B::Device,
    ) -> Tensor<B, 4> {
        let mut data = Vec::with_capacity(images.len() * 3 * size * size);
        for &index in images {
            let image = &self.images[index];
            let side = if jitter > 1.0 {
                let u = rng.range(-1.0, 1.0);
                (size as f32 * jitter.powf(u)).min(image.width.min(image.height) as f32)
            } else {
                size as f32
            };
            let x0 = rng.below(image.width - side.ceil() as usize + 1) as f32;
            let y0 = rng.below(image.height - side.ceil() as usize + 1) as f32;
            let flips = augment.draw(rng);
            image.sample(&mut data, (x0, y0, side), size, flips);
        }
        Tensor::from_data(TensorData::new(data, [images.len(), 3, size, size]), device)
    }
}

impl Picture {
    fn new(image: &image::DynamicImage, (width, height): (u32, u32)) -> Self {
        let rgb = if (width, height) == (image.width(), image.height()) {
            image.to_rgb8()
        } else {
            image
                .resize_exact(width, height, image::imageops::FilterType::Lanczos3)
                .to_rgb8()
        };
        let plane = (width * height) as usize;
        let mut pixels = vec![0.0; 3 * plane];
        for (i, pixel) in rgb.pixels().enumerate() {
            for c in 0..3 {
                pixels[c * plane + i] = pixel.0[c] as f32 / 255.0;
            }
        }
        Self {
            width: width as usize,
            height: height as usize,
            pixels,
        }
    }

    /// Appends the planar `size × size` resampling of the square
    /// `(x0, y0, side)`, mirrored / turned by `(flip_x, flip_y, turn)`.
    /// A square of exactly `size` pixels at whole coordinates is copied.
    fn sample(
        &self,
        data: &mut Vec<f32>,
        (x0, y0, side): (f32, f32, f32),
        size: usize,
        (flip_x, flip_y, turn): (bool, bool, bool),
    ) {
        let plane = self.width * self.height;
        let step = side / size as f32;
        for c in 0..3 {
            let channel = &self.pixels[c * plane..(c + 1) * plane];
            for y in 0..size {
                for x in 0..size {
                    // A quarter turn is a transpose plus a flip.
                    let (u, v) = if turn { (y, x) } else { (x, y) };
                    let u = if flip_x { size - 1 - u } else { u };
                    let v = if flip_y { size - 1 - v } else { v };
                    let sx =
                        (x0 + (u as f32 + 0.5) * step - 0.5).clamp(0.0, (self.width - 1) as f32);
                    let sy =
                        (y0 + (v as f32 + 0.5) * step - 0.5).clamp(0.0, (self.height - 1) as f32);
                    let (ix, iy) = (sx.floor() as usize, sy.floor() as usize);
                    let (fx, fy) = (sx - ix as f32, sy - iy as f32);
                    let (jx, jy) = ((ix + 1).min(self.width - 1), (iy + 1).min(self.height - 1));
                    let at = |x: usize, y: usize| channel[y * self.width + x];
                    let top = at(ix, iy) * (1.0 - fx) + at(jx, iy) * fx;
                    let bottom = at(ix, jy) * (1.0 - fx) + at(jx, jy) * fx;
                    data.push(top * (1.0 - fy) + bottom * fy);
                }
            }
        }
    }
}

fn open(path: &Path) -> Result<image::DynamicImage, TrainError> {
    bevy_gan_style_runtime::bridge::open_image(path).map_err(|source| TrainError::Image {
        path: path.to_path_buf(),
        source,
    })
}

fn collect_images(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), TrainError> {
    let entries = std::fs::read_dir(dir).map_err(|source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_images(&path, files)?;
        } else if path.extension().is_some_and(|e| {
            ["jpg", "jpeg", "png"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        }) {
            files.push(path);
        }
    }
    Ok(())
}

//! Frames with the engine's motion vectors and depth ([`FlowFrame`]), as
//! recorded by [`CaptureFlow`](super::CaptureFlow): saved and loaded, paired
//! into consecutive frames ([`FlowSet`]), and the exact warp from one frame
//! to the next that the motion vectors and depth give ([`Warp`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::prelude::*;
use image::RgbImage;
use safetensors::tensor::TensorView;

use super::error::TrainError;
use bevy_gan_style_nn::{Draw, SplitMix64};
use bevy_gan_style_runtime::model::write_atomic;

/// Words before the pixels in a capture buffer: frame, sequence, width,
/// height (`capture_flow.wgsl`).
pub(crate) const HEADER_WORDS: usize = 4;
/// Words per pixel: RGBA8, motion x, motion y, depth.
pub(crate) const PIXEL_WORDS: usize = 4;

/// One rendered frame with what the engine knows about it: its motion
/// vectors (where each pixel was in the previous frame) and its depth.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowFrame {
    /// Frame number (consecutive frames differ by 1).
    pub index: u32,
    /// Sequence (shot) number: frames of different sequences are not
    /// paired (a new random scene, a camera cut).
    pub sequence: u32,
    /// The frame as rendered (sRGB).
    pub rgb: RgbImage,
    /// Per pixel, row major: current minus previous position, in UV units
    /// (Bevy's motion vectors).
    pub motion: Vec<[f32; 2]>,
    /// Per pixel: Bevy's depth (reverse Z: 0 at infinity, larger nearer).
    pub depth: Vec<f32>,
}

impl FlowFrame {
    /// Parses a capture buffer; `None` before a frame was written into it.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let words: &[u32] = bytemuck::try_cast_slice(bytes).ok()?;
        let [index, sequence, width, height] = *words.get(..HEADER_WORDS)? else {
            return None;
        };
        let pixels = (width as usize) * (height as usize);
        let body = words.get(HEADER_WORDS..HEADER_WORDS + pixels * PIXEL_WORDS)?;
        if pixels == 0 {
            return None;
        }
        let mut rgb = RgbImage::new(width, height);
        let mut motion = Vec::with_capacity(pixels);
        let mut depth = Vec::with_capacity(pixels);
        for (pixel, texel) in rgb.pixels_mut().zip(body.chunks_exact(PIXEL_WORDS)) {
            let [r, g, b, _] = texel[0].to_le_bytes();
            pixel.0 = [r, g, b];
            motion.push([f32::from_bits(texel[1]), f32::from_bits(texel[2])]);
            depth.push(f32::from_bits(texel[3]));
        }
        Some(Self {
            index,
            sequence,
            rgb,
            motion,
            depth,
        })
    }

    /// Width and height.
    pub fn size(&self) -> (u32, u32) {
        self.rgb.dimensions()
    }

    /// Writes `<dir>/frame_<index>.safetensors` (RGB, motion and depth,
    /// the numbers as metadata) atomically; returns its path.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let (width, height) = self.size();
        let (w, h) = (width as usize, height as usize);
        let motion: Vec<u8> = bytemuck::cast_slice(&self.motion).to_vec();
        let depth: Vec<u8> = bytemuck::cast_slice(&self.depth).to_vec();
        fn view(
            dtype: safetensors::Dtype,
            shape: Vec<usize>,
            data: &[u8],
        ) -> Result<TensorView<'_>, TrainError> {
            TensorView::new(dtype, shape, data).map_err(|e| TrainError::Invalid(e.to_string()))
        }
        let tensors = [
            (
                "rgb",
                view(safetensors::Dtype::U8, vec![h, w, 3], self.rgb.as_raw())?,
            ),
            (
                "motion",
                view(safetensors::Dtype::F32, vec![h, w, 2], &motion)?,
            ),
            ("depth", view(safetensors::Dtype::F32, vec![h, w], &depth)?),
        ];
        let metadata = HashMap::from([
            ("index".to_string(), self.index.to_string()),
            ("sequence".to_string(), self.sequence.to_string()),
        ]);
        let bytes = safetensors::serialize(tensors, Some(metadata))
            .map_err(|e| TrainError::Invalid(e.to_string()))?;
        let path = dir.join(format!("frame_{:06}.safetensors", self.index));
        write_atomic(&path, &bytes)?;
        Ok(path)
    }

    /// Reads a frame written by [`Self::save`].
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let bad = |message: String| TrainError::Invalid(format!("{}: {message}", path.display()));
        let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
        let file = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let number = |key: &str| -> Result<u32, TrainError> {
            meta.metadata()
                .as_ref()
                .and_then(|m| m.get(key))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(format!("no `{key}` in the metadata")))
        };
        let tensor = |name: &str| file.tensor(name).map_err(|e| bad(format!("{name}: {e}")));
        let rgb = tensor("rgb")?;
        let [h, w, 3] = rgb.shape()[..] else {
            return Err(bad(format!("rgb has shape {:?}", rgb.shape())));
        };
        let rgb = RgbImage::from_raw(w as u32, h as u32, rgb.data().to_vec())
            .ok_or_else(|| bad("rgb is short".into()))?;
        let floats = |name: &str, per_pixel: usize| -> Result<Vec<f32>, TrainError> {
            let view = tensor(name)?;
            if view.dtype() != safetensors::Dtype::F32 || view.data().len() != w * h * per_pixel * 4
            {
                return Err(bad(format!("{name} is not {per_pixel} f32 per pixel")));
            }
            Ok(bytemuck::pod_collect_to_vec(view.data()))
        };
        let motion = floats("motion", 2)?
            .chunks_exact(2)
            .map(|m| [m[0], m[1]])
            .collect();
        Ok(Self {
            index: number("index")?,
            sequence: number("sequence")?,
            rgb,
            motion,
            depth: floats("depth", 1)?,
        })
    }
}

/// Captured frames and the pairs of consecutive ones (same sequence, frame
/// numbers one apart): the temporal loss's data.
#[derive(Debug, Default)]
pub struct FlowSet {
    frames: Vec<FlowFrame>,
    /// Indices into `frames` of each pair's second frame (the first is the
    /// one before it).
    pairs: Vec<usize>,
}

impl FlowSet {
    /// Every `frame_*.safetensors` of `dir`.
    pub fn load_folder(dir: &Path) -> Result<Self, TrainError> {
        let entries = std::fs::read_dir(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "safetensors"))
            .collect();
        paths.sort();
        let frames = paths
            .iter()
            .map(|path| FlowFrame::load(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(frames))
    }

    /// Pairs up `frames` (any order).
    pub fn new(mut frames: Vec<FlowFrame>) -> Self {
        frames.sort_by_key(|frame| frame.index);
        let pairs = (1..frames.len())
            .filter(|&i| {
                let (a, b) = (&frames[i - 1], &frames[i]);
                b.index == a.index + 1 && b.sequence == a.sequence && a.size() == b.size()
            })
            .collect();
        Self { frames, pairs }
    }

    /// Both sets' frames (`second`'s numbered after `first`'s, so that no
    /// pair spans the two).
    pub fn merge(first: Self, second: Self) -> Self {
        let offset = first.frames.last().map_or(0, |frame| frame.index + 2);
        let sequence = first
            .frames
            .iter()
            .map(|f| f.sequence)
            .max()
            .map_or(0, |s| s + 1);
        let frames = first
            .frames
            .into_iter()
            .chain(second.frames.into_iter().map(|mut frame| {
                frame.index += offset;
                frame.sequence += sequence;
                frame
            }))
            .collect();
        Self::new(frames)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// No pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Pair `i`: (previous frame, current frame).
    pub fn pair(&self, i: usize) -> (&FlowFrame, &FlowFrame) {
        let current = self.pairs[i];
        (&self.frames[current - 1], &self.frames[current])
    }

    /// `count` random pairs, each cropped to `size²` at a random place (the
    /// same for both frames): previous and current frames as `[N, 3, size,
    /// size]` tensors in `[0, 1]`, and the warp from each previous crop to
    /// its current crop.
    pub fn crops<B: Backend>(
        &self,
        rng: &mut SplitMix64,
        count: usize,
        size: usize,
        depth_tolerance: f32,
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 4>, Vec<Warp>) {
        let mut previous = Vec::with_capacity(count);
        let mut current = Vec::with_capacity(count);
        let mut warps = Vec::with_capacity(count);
        for _ in 0..count {
            let (a, b) = self.pair(rng.below(self.len()));
            let (width, height) = b.size();
            let side = size.min(width as usize).min(height as usize);
            let x = rng.below(width as usize - side + 1);
            let y = rng.below(height as usize - side + 1);
            let crop = Crop { x, y, side };
            previous.push(crop.tensor::<B>(&a.rgb, device));
            current.push(crop.tensor::<B>(&b.rgb, device));
            warps.push(Warp::between(a, b, crop, depth_tolerance));
        }
        (Tensor::cat(previous, 0), Tensor::cat(current, 0), warps)
    }
}

/// A square window of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Side in pixels.
    pub side: usize,
}

impl Crop {
    /// The window of `rgb` as a `[1, 3, side, side]` tensor in `[0, 1]`.
    fn tensor<B: Backend>(&self, rgb: &RgbImage, device: &B::Device) -> Tensor<B, 4> {
        let s = self.side;
        let mut data = vec![0.0f32; 3 * s * s];
        for row in 0..s {
            for col in 0..s {
                let pixel = rgb.get_pixel((self.x + col) as u32, (self.y + row) as u32);
                for c in 0..3 {
                    data[(c * s + row) * s + col] = f32::from(pixel[c]) / 255.0;
                }
            }
        }
        Tensor::from_data(TensorData::new(data, [1, 3, s, s]), device)
    }
}

/// Where each pixel of a window of the current frame was in the same
/// window of the previous frame: the four bilinear neighbours and their
/// weights, and whether the previous frame saw that surface there (inside
/// the window, and its depth agrees within the tolerance, as in the camera
/// filter's reprojection).
#[derive(Debug, Clone, PartialEq)]
pub struct Warp {
    /// Window side.
    pub side: usize,
    /// Per pixel of the window: row-major indices into the previous window.
    pub corners: Vec<[u32; 4]>,
    /// Per pixel: the corners' bilinear weights.
    pub weights: Vec<[f32; 4]>,
    /// Per pixel: seen in the previous frame.
    pub visible: Vec<bool>,
}

impl Warp {
    /// The warp from `previous` to `current` over `crop`.
    pub fn between(previous: &FlowFrame, current: &FlowFrame, crop: Crop, tolerance: f32) -> Self {
        let (width, height) = current.size();
        let (w, h) = (width as usize, height as usize);
        let s = crop.side;
        let mut warp = Self {
            side: s,
            corners: Vec::with_capacity(s * s),
            weights: Vec::with_capacity(s * s),
            visible: Vec::with_capacity(s * s),
        };
        for row in 0..s {
            for col in 0..s {
                let (x, y) = (crop.x + col, crop.y + row);
                let [mx, my] = current.motion[y * w + x];
                // Pixel centres at .5; motion vectors are in UV units.
                let px = (x as f32 + 0.5) - mx * width as f32;
                let py = (y as f32 + 0.5) - my * height as f32;
                let inside = px >= crop.x as f32
                    && py >= crop.y as f32
                    && px <= (crop.x + s) as f32
                    && py <= (crop.y + s) as f32;
                let seen = inside && {
                    let (qx, qy) = ((px as usize).min(w - 1), (py as usize).min(h - 1));
                    let (d, before) = (current.depth[y * w + x], previous.depth[qy * w + qx]);
                    let far = d.max(before);
                    far <= 0.0 || (d - before).abs() / far <= tolerance
                };
                // Bilinear corners inside the window.
                let lx = (px - crop.x as f32 - 0.5).clamp(0.0, (s - 1) as f32);
                let ly = (py - crop.y as f32 - 0.5).clamp(0.0, (s - 1) as f32);
                let (x0, y0) = (lx.floor() as usize, ly.floor() as usize);
                let (x1, y1) = ((x0 + 1).min(s - 1), (y0 + 1).min(s - 1));
                let (fx, fy) = (lx - x0 as f32, ly - y0 as f32);
                let at = |x: usize, y: usize| (y * s + x) as u32;
                warp.corners
                    .push([at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1)]);
                warp.weights.push([
                    (1.0 - fx) * (1.0 - fy),
                    fx * (1.0 - fy),
                    (1.0 - fx) * fy,
                    fx * fy,
                ]);
                warp.visible.push(seen);
            }
        }
        warp
    }

    /// `image` (row-major values, `channels` per pixel, the previous
    /// window) warped onto the current window.
    pub fn apply(&self, image: &[f32], channels: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.corners.len() * channels];
        for (i, (corners, weights)) in self.corners.iter().zip(&self.weights).enumerate() {
            for c in 0..channels {
                out[i * channels + c] = corners
                    .iter()
                    .zip(weights)
                    .map(|(&at, w)| w * image[at as usize * channels + c])
                    .sum();
            }
        }
        out
    }

    /// Fraction of the window seen in the previous frame.
    pub fn coverage(&self) -> f32 {
        self.visible.iter().filter(|&&v| v).count() as f32 / self.visible.len().max(1) as f32
    }
}

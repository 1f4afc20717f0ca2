//! What a style network's conditional norms are conditioned on: one style
//! row per image, or several rows mixed per pixel by a style map; and,
//! per part of the network, which of these.

use burn::prelude::*;
use burn::tensor::module::{avg_pool2d, interpolate};
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::ops::spatial_mean;

/// The style input of a network's conditional norms.
///
/// A "style row" is what the network's norms take: a blend of stored
/// styles (`[num_styles]` weights) for conditional-instance-norm networks,
/// a style vector for arbitrary-style networks. Under a map, each style's
/// region is normalised with its own statistics (per channel, weighted by
/// the map; a tiny region falls back to the whole plane's) and scaled and
/// shifted with its own row, and the results are mixed per pixel: one pass
/// paints regions in different styles with smooth transitions, each region
/// close to what the network paints in its style alone (whole-image
/// statistics would let one region's activations dim the other's).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::StyleCondition;
/// let device = Default::default();
/// let a = Tensor::<CpuBackend, 2>::from_floats([[1.0, 0.0]], &device);
/// let b = Tensor::<CpuBackend, 2>::from_floats([[0.0, 1.0]], &device);
/// // Left half style a, right half style b.
/// let mask = Tensor::cat(
///     vec![Tensor::<CpuBackend, 4>::zeros([1, 1, 8, 4], &device), Tensor::ones([1, 1, 8, 4], &device)],
///     3,
/// );
/// let condition = StyleCondition::two(a, b, mask);
/// assert_eq!(condition.styles().dims(), [2, 2]);
/// ```
#[derive(Debug, Clone)]
pub enum StyleCondition<B: Backend> {
    /// One style row per image, `[N, D]`.
    Global(Tensor<B, 2>),
    /// `K` style rows (`styles`, `[K, D]`) mixed per pixel by `map`
    /// (`[N, K, H, W]`, any size: resized to each layer's output, averaged
    /// over blocks or bilinearly); weights should sum to 1 per pixel.
    Map {
        /// The style rows, `[K, D]`.
        styles: Tensor<B, 2>,
        /// Per-pixel weights of the rows, `[N, K, H, W]`.
        map: Tensor<B, 4>,
    },
}

impl<B: Backend> StyleCondition<B> {
    /// Style row `a` where `mask` (`[N, 1, H, W]`, in `[0, 1]`) is 0, `b`
    /// where it is 1, linear blends between (`a`, `b`: `[1, D]`).
    pub fn two(a: Tensor<B, 2>, b: Tensor<B, 2>, mask: Tensor<B, 4>) -> Self {
        Self::two_with_map(a, b, two_style_map(mask))
    }

    /// [`Self::two`] with the map already made by [`two_style_map`] (to
    /// share one map between several conditions).
    pub fn two_with_map(a: Tensor<B, 2>, b: Tensor<B, 2>, map: Tensor<B, 4>) -> Self {
        Self::Map {
            styles: Tensor::cat(vec![a, b], 0),
            map,
        }
    }

    /// The style rows: `[N, D]` for a global condition, `[K, D]` for a map.
    pub fn styles(&self) -> Tensor<B, 2> {
        match self {
            Self::Global(styles) | Self::Map { styles, .. } => styles.clone(),
        }
    }

    /// The same condition with its style rows changed by `f` (e.g. each
    /// style vector weakened towards another).
    pub fn map_styles(self, f: impl Fn(Tensor<B, 2>) -> Tensor<B, 2>) -> Self {
        match self {
            Self::Global(styles) => Self::Global(f(styles)),
            Self::Map { styles, map } => Self::Map {
                styles: f(styles),
                map,
            },
        }
    }
}

/// The `[N, 2, H, W]` map of two styles from a mask (`[N, 1, H, W]`):
/// weights `1 − m` and `m`, the mask clamped to `[0, 1]`.
pub fn two_style_map<B: Backend>(mask: Tensor<B, 4>) -> Tensor<B, 4> {
    let mask = mask.clamp(0.0, 1.0);
    Tensor::cat(vec![mask.clone().neg().add_scalar(1.0), mask], 1)
}

/// Style conditions for the three parts of a style transformer: the
/// encoder (the contracting convolutions: coarse structure and colour
/// layout), the residual blocks, and the decoder (the expanding
/// convolutions: brush strokes and fine texture). Networks whose encoder
/// is not style-conditioned (Magenta's) ignore `encoder`.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{LayerStyles, StyleCondition};
/// let device = Default::default();
/// let a = StyleCondition::Global(Tensor::<CpuBackend, 2>::from_floats([[1.0, 0.0]], &device));
/// let b = StyleCondition::Global(Tensor::<CpuBackend, 2>::from_floats([[0.0, 1.0]], &device));
/// // Structure from style 0, texture from style 1.
/// let layers = LayerStyles { encoder: a.clone(), residual: a, decoder: b };
/// # let _ = layers;
/// ```
#[derive(Debug, Clone)]
pub struct LayerStyles<B: Backend> {
    /// The contracting convolutions.
    pub encoder: StyleCondition<B>,
    /// The residual blocks.
    pub residual: StyleCondition<B>,
    /// The expanding convolutions and the output layer.
    pub decoder: StyleCondition<B>,
}

impl<B: Backend> LayerStyles<B> {
    /// The same condition everywhere.
    pub fn uniform(condition: StyleCondition<B>) -> Self {
        Self {
            encoder: condition.clone(),
            residual: condition.clone(),
            decoder: condition,
        }
    }

    /// Every part's style rows changed by `f`.
    pub fn map_styles(self, f: impl Fn(Tensor<B, 2>) -> Tensor<B, 2>) -> Self {
        Self {
            encoder: self.encoder.map_styles(&f),
            residual: self.residual.map_styles(&f),
            decoder: self.decoder.map_styles(&f),
        }
    }
}

/// `map` (`[N, K, H, W]`) at `height × width`: averaged over blocks when
/// the size divides evenly (the exact mean of the pixels a layer's output
/// covers), bilinearly resampled otherwise.
pub(crate) fn map_at<B: Backend>(map: Tensor<B, 4>, height: usize, width: usize) -> Tensor<B, 4> {
    let [_, _, h, w] = map.dims();
    if (h, w) == (height, width) {
        return map;
    }
    if h % height == 0 && w % width == 0 && h / height == w / width {
        let f = h / height;
        return avg_pool2d(map, [f, f], [f, f], [0, 0], true, false);
    }
    interpolate(
        map,
        [height, width],
        InterpolateOptions::new(InterpolateMode::Bilinear),
    )
}

/// Weight of the whole plane's statistics in a region's, as a share of the
/// plane's pixels: a large region is normalised by its own statistics, a
/// tiny one (a few pixels at ¼ resolution) falls back to the plane's.
pub(crate) const REGION_PRIOR: f32 = 0.05;

/// Instance normalisation of `y` (`[N, C, H, W]`) under a style map
/// (`[N, K, H, W]`, at `y`'s size): each style's region is normalised with
/// its own statistics (weighted by the map, shrunk towards the plane's by
/// [`REGION_PRIOR`]), scaled and shifted by that style's row of `scales`
/// and `shifts` (`[K, C]`), and the styles are mixed by the map. With one
/// region covering everything this is [`instance_norm`](super::instance_norm).
pub(crate) fn regional_instance_norm<B: Backend>(
    y: Tensor<B, 4>,
    map: Tensor<B, 4>,
    scales: Tensor<B, 2>,
    shifts: Tensor<B, 2>,
    epsilon: f64,
) -> Tensor<B, 4> {
    let [_, k, h, w] = map.dims();
    let [_, c] = scales.dims();
    let prior = REGION_PRIOR * (h * w) as f32;
    let area = (h * w) as f32;
    let mean = spatial_mean(y.clone());
    let var = spatial_mean((y.clone() - mean.clone()).square());
    let mut out = y.zeros_like();
    for style in 0..k {
        let m = map.clone().narrow(1, style, 1);
        let weight = spatial_mean(m.clone()).mul_scalar(area);
        let region_mean = (spatial_mean(y.clone() * m.clone()).mul_scalar(area)
            + mean.clone().mul_scalar(prior))
            / weight.clone().add_scalar(prior);
        let centered = y.clone() - region_mean;
        let region_var = (spatial_mean(centered.clone().square() * m.clone()).mul_scalar(area)
            + var.clone().mul_scalar(prior))
            / weight.add_scalar(prior);
        let scale = scales.clone().narrow(0, style, 1).reshape([1, c, 1, 1]);
        let shift = shifts.clone().narrow(0, style, 1).reshape([1, c, 1, 1]);
        out = out + m * (centered * (scale / region_var.add_scalar(epsilon).sqrt()) + shift);
    }
    out
}

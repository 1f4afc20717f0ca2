//! Running an upscaler on a whole image, tile by tile: each tile takes the
//! network's halo of neighbouring pixels (from the opposite side for a
//! tileable texture), so that the tiles join exactly and a tileable input
//! stays exactly tileable.

use burn::prelude::*;

use bevy_gan_style_nn::{Precision, StageBackend, Upscaler, UpscalerConfig};

/// What lies beyond an image's borders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Edges {
    /// The image is all there is (the network mirrors it at the borders).
    #[default]
    Mirror,
    /// The image repeats (a tileable texture): the output is tileable too.
    Wrap,
}

/// Upscales `image` (`[1, 3, H, W]`, RGB in `[0, 1]`) with `passes` passes
/// of `net` (each ×`factor` on a side), in tiles of at most `tile` input
/// pixels on a side (`None`: whole). Tiles give exactly the whole image's
/// result. The output is not clamped.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_runtime::nn::UpscalerConfig;
/// use bevy_gan_style_runtime::upscale::{Edges, upscale};
/// let device = Default::default();
/// let net = UpscalerConfig::new().init::<CpuBackend>(&device);
/// let image = Tensor::<CpuBackend, 4>::random(
///     [1, 3, 12, 20], burn::tensor::Distribution::Default, &device);
/// let whole = upscale(&net, image.clone(), 1, Edges::Wrap, None);
/// let tiled = upscale(&net, image, 1, Edges::Wrap, Some(7));
/// assert_eq!(whole.dims(), [1, 3, 24, 40]);
/// let gap = (whole - tiled).abs().max().into_scalar();
/// assert!(gap < 1e-5, "{gap}");
/// ```
pub fn upscale<B: StageBackend>(
    net: &Upscaler<B>,
    image: Tensor<B, 4>,
    passes: u32,
    edges: Edges,
    tile: Option<usize>,
) -> Tensor<B, 4> {
    (0..passes).fold(image, |image, _| {
        upscale_once(net, (image, None), edges, tile, Precision::F32)
    })
}

/// Upscales `image` (`[1, 3, H, W]`) once with a guided `net`
/// ([`UpscalerConfig::guide`]) reading `guide` (`[1, g, f·H, f·W]`), in
/// tiles of at most `tile` input pixels on a side as [`upscale`] does;
/// the borders are mirrored.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_runtime::nn::UpscalerConfig;
/// use bevy_gan_style_runtime::upscale::upscale_guided;
/// let device = Default::default();
/// let net = UpscalerConfig::new().with_guide(Some(3)).init::<CpuBackend>(&device);
/// let random = |shape| Tensor::<CpuBackend, 4>::random(
///     shape, burn::tensor::Distribution::Default, &device);
/// let (image, frame) = (random([1, 3, 12, 20]), random([1, 3, 24, 40]));
/// let whole = net.forward_guided(image.clone(), frame.clone());
/// let tiled = upscale_guided(&net, image, frame, Some(7));
/// let gap = (whole - tiled).abs().max().into_scalar();
/// assert!(gap < 1e-5, "{gap}");
/// ```
pub fn upscale_guided<B: StageBackend>(
    net: &Upscaler<B>,
    image: Tensor<B, 4>,
    guide: Tensor<B, 4>,
    tile: Option<usize>,
) -> Tensor<B, 4> {
    upscale_once(
        net,
        (image, Some(guide)),
        Edges::Mirror,
        tile,
        Precision::F32,
    )
}

fn upscale_once<B: StageBackend>(
    net: &Upscaler<B>,
    (image, guide): (Tensor<B, 4>, Option<Tensor<B, 4>>),
    edges: Edges,
    tile: Option<usize>,
    precision: Precision,
) -> Tensor<B, 4> {
    let [_, _, height, width] = image.dims();
    let halo = net.body.len() + 2;
    let factor = net.factor;
    let (padded, guide, offset) = match edges {
        Edges::Mirror => (image, guide, 0),
        // A halo wider than the image wraps more than once.
        Edges::Wrap => (
            wrap_pad(image, halo),
            guide.map(|guide| wrap_pad(guide, halo * factor)),
            halo,
        ),
    };
    let [_, _, padded_h, padded_w] = padded.dims();
    let tile = tile.unwrap_or(usize::MAX).max(1);
    let span = |start: usize, end: usize, limit: usize| {
        let from = (start + offset).saturating_sub(halo);
        (from, (end + offset + halo).min(limit))
    };
    let rows = (0..height).step_by(tile).map(|y0| {
        let y1 = (y0 + tile).min(height);
        let (sy0, sy1) = span(y0, y1, padded_h);
        let tiles = (0..width).step_by(tile).map(|x0| {
            let x1 = (x0 + tile).min(width);
            let (sx0, sx1) = span(x0, x1, padded_w);
            let input = padded.clone().slice([0..1, 0..3, sy0..sy1, sx0..sx1]);
            let guide = guide.as_ref().map(|guide| {
                let channels = guide.dims()[1];
                let (y, x) = (sy0 * factor..sy1 * factor, sx0 * factor..sx1 * factor);
                guide.clone().slice([0..1, 0..channels, y, x])
            });
            let output = net.forward_with(input, guide, precision);
            let (cy, cx) = ((y0 + offset - sy0) * factor, (x0 + offset - sx0) * factor);
            output.slice([
                0..1,
                0..3,
                cy..cy + (y1 - y0) * factor,
                cx..cx + (x1 - x0) * factor,
            ])
        });
        Tensor::cat(tiles.collect(), 3)
    });
    Tensor::cat(rows.collect(), 2)
}

/// Circular padding by `pad`, also where `pad` exceeds the image's side.
fn wrap_pad<B: Backend>(image: Tensor<B, 4>, pad: usize) -> Tensor<B, 4> {
    let along = |x: Tensor<B, 4>, dim: usize| {
        let side = x.dims()[dim];
        if pad <= side {
            return circular_pad_dim(x, pad, dim);
        }
        let copies = pad.div_ceil(side);
        let repeated = Tensor::cat(vec![x; 2 * copies + 1], dim);
        repeated.narrow(dim, copies * side - pad, side + 2 * pad)
    };
    along(along(image, 2), 3)
}

/// Circular padding of one dimension by `pad` (at most its size).
fn circular_pad_dim<B: Backend>(x: Tensor<B, 4>, pad: usize, dim: usize) -> Tensor<B, 4> {
    let side = x.dims()[dim];
    let before = x.clone().narrow(dim, side - pad, pad);
    let after = x.clone().narrow(dim, 0, pad);
    Tensor::cat(vec![before, x, after], dim)
}

/// The largest tile side (input pixels) whose activations fit a storage
/// binding of `max_binding` bytes, with the halo around it; `None` when even
/// a one-pixel tile does not.
///
/// ```
/// use bevy_gan_style_runtime::nn::UpscalerConfig;
/// use bevy_gan_style_runtime::upscale::tile_side;
/// let config = UpscalerConfig::new();
/// // 128 MiB (lavapipe's limit): 16 channels of (t + 12)² floats.
/// let side = tile_side(&config, 128 << 20).unwrap();
/// assert!(config.largest_activation(side + 10, side + 10) * 4 <= 128 << 20);
/// assert!(config.largest_activation(side + 11, side + 11) * 4 > 128 << 20);
/// ```
pub fn tile_side(config: &UpscalerConfig, max_binding: u64) -> Option<usize> {
    let fits = |side: usize| {
        let padded = side + 2 * config.halo();
        config.largest_activation(padded, padded) as u64 * 4 <= max_binding
    };
    if !fits(1) {
        return None;
    }
    // Binary search for the last side that fits.
    let (mut low, mut high) = (1usize, 1usize << 16);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(mid) { low = mid } else { high = mid - 1 }
    }
    Some(low)
}

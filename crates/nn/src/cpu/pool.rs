//! VGG16's 2×2 stride-2 max pool ([`max_pool2x2`]), on burn's CPU backend
//! in one parallel pass per direction.
//!
//! burn-flex runs a 2-D max pool as its generic 3-D one, element by element
//! on one thread, keeping an index per output; under autodiff it was about
//! 4 % of a style training step. Here the backward step finds each
//! window's maximum again in the saved input instead of storing indices.

use burn::prelude::*;
use burn::tensor::module::max_pool2d;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::tensors::{ImageOp, apply, flex};

/// A 2×2 max pool with stride 2 of `[N, C, H, W]` (an odd last row or
/// column is dropped): burn's `max_pool2d` with those arguments, on the
/// crate's own loops where the backend is burn's CPU backend (with or
/// without `Autodiff`) and the data f32.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// let x = Tensor::<CpuBackend, 4>::from_floats([[[[1.0, 5.0, 2.0], [3.0, 4.0, 9.0]]]], &Default::default());
/// let y = bevy_gan_style_nn::max_pool2x2(x);
/// assert_eq!(y.dims(), [1, 1, 1, 1]);
/// assert_eq!(y.into_scalar(), 5.0);
/// ```
pub fn max_pool2x2<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    apply(MaxPool, x).unwrap_or_else(|x| max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], false))
}

/// The offset (0–3: row-major in the window) of the maximum of window
/// `(oy, ox)` of a plane `w` wide; the first of equal values, as burn's.
#[inline]
fn window_max(plane: &[f32], w: usize, oy: usize, ox: usize) -> (f32, usize) {
    let top = 2 * oy * w + 2 * ox;
    let taps = [top, top + 1, top + w, top + w + 1];
    let mut best = (plane[taps[0]], 0);
    for (k, &i) in taps.iter().enumerate().skip(1) {
        if plane[i] > best.0 {
            best = (plane[i], k);
        }
    }
    best
}

/// VGG16's pooling: 2×2 windows, stride 2.
#[derive(Debug)]
struct MaxPool;

impl ImageOp for MaxPool {
    fn forward(&self, x: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
        let (oh, ow) = (h / 2, w / 2);
        let mut y = vec![0.0f32; n * c * oh * ow];
        if oh * ow > 0 {
            y.par_chunks_mut(oh * ow)
                .zip(x.storage::<f32>().par_chunks(h * w))
                .for_each(|(out, plane)| {
                    for (i, out) in out.iter_mut().enumerate() {
                        *out = window_max(plane, w, i / ow, i % ow).0;
                    }
                });
        }
        flex(y, [n, c, oh, ow])
    }

    /// Each output's gradient at its window's maximum.
    #[cfg(feature = "autodiff")]
    fn backward(&self, x: &FlexTensor, grad: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
        let (oh, ow) = (h / 2, w / 2);
        let mut dx = vec![0.0f32; n * c * h * w];
        if oh * ow > 0 {
            dx.par_chunks_mut(h * w)
                .zip(x.storage::<f32>().par_chunks(h * w))
                .zip(grad.storage::<f32>().par_chunks(oh * ow))
                .for_each(|((dx, plane), grad)| {
                    for (i, &g) in grad.iter().enumerate() {
                        let (oy, ox) = (i / ow, i % ow);
                        let k = window_max(plane, w, oy, ox).1;
                        dx[(2 * oy + k / 2) * w + 2 * ox + k % 2] = g;
                    }
                });
        }
        flex(dx, [n, c, h, w])
    }
}

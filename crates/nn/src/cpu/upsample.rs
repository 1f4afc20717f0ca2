//! The texture generators' circular bilinear ×2 upsampling
//! ([`crate::circular_upsample_bilinear2x`]) on burn's CPU backend, one
//! pass per axis forward and back. burn differentiates the generic version
//! (rolls, a stack and a reshape) into strided views of the gradient,
//! which burn-flex adds element by element on one thread: about a seventh
//! of a texture GAN training step.

use burn::prelude::*;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::tensors::{ImageOp, apply, flex};

/// `x` upsampled ×2 on a torus; `x` back where the backend is not burn's
/// CPU backend or the data not f32.
pub(crate) fn circular_upsample<B: Backend>(x: Tensor<B, 4>) -> Result<Tensor<B, 4>, Tensor<B, 4>> {
    apply(CircularUpsample, x)
}

/// Where an axis's values lie: `lines` lines of `n` values, `step` apart
/// within a line (the same in and out), the lines' starts `from` apart in
/// the input and `to` apart in the output.
#[derive(Clone, Copy)]
struct Axis {
    n: usize,
    lines: usize,
    step: usize,
    from: usize,
    to: usize,
}

impl Axis {
    /// The width axis of an `h × w` plane.
    fn width(h: usize, w: usize) -> Axis {
        Axis {
            n: w,
            lines: h,
            step: 1,
            from: w,
            to: 2 * w,
        }
    }

    /// The height axis of an `h × w` plane.
    fn height(h: usize, w: usize) -> Axis {
        Axis {
            n: h,
            lines: w,
            step: w,
            from: 1,
            to: 1,
        }
    }
}

/// ×2 along `axis`: each output the source (¾) and its nearer neighbour
/// (¼), wrapping around.
fn up(x: &[f32], out: &mut [f32], a: Axis) {
    let n = a.n;
    for line in 0..a.lines {
        let (src, dst) = (line * a.from, line * a.to);
        for i in 0..n {
            let at = |k: usize| x[src + k * a.step];
            let (centre, previous, next) = (at(i), at((i + n - 1) % n), at((i + 1) % n));
            out[dst + 2 * i * a.step] = centre * 0.75 + previous * 0.25;
            out[dst + (2 * i + 1) * a.step] = centre * 0.75 + next * 0.25;
        }
    }
}

/// The adjoint of [`up`] (`from` and `to` as in [`up`]): each source
/// value gathers the gradients of the four outputs it feeds.
#[cfg(feature = "autodiff")]
fn down(g: &[f32], out: &mut [f32], a: Axis) {
    let n = a.n;
    for line in 0..a.lines {
        let (src, dst) = (line * a.to, line * a.from);
        for i in 0..n {
            let at = |k: usize| g[src + k * a.step];
            let own = at(2 * i) + at(2 * i + 1);
            let from_next = at(2 * ((i + 1) % n));
            let from_previous = at(2 * ((i + n - 1) % n) + 1);
            out[dst + i * a.step] = own * 0.75 + (from_next + from_previous) * 0.25;
        }
    }
}

/// Bilinear ×2 upsampling on a torus.
#[derive(Debug)]
struct CircularUpsample;

impl ImageOp for CircularUpsample {
    fn forward(&self, x: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
        let mut y = vec![0.0f32; n * c * 4 * h * w];
        y.par_chunks_mut(4 * h * w)
            .zip(x.storage::<f32>().par_chunks(h * w))
            .for_each(|(out, plane)| {
                let mut wide = vec![0.0f32; 2 * h * w];
                up(plane, &mut wide, Axis::width(h, w));
                up(&wide, out, Axis::height(h, 2 * w));
            });
        flex(y, [n, c, 2 * h, 2 * w])
    }

    /// The adjoint of the forward pass, height then width.
    #[cfg(feature = "autodiff")]
    fn backward(&self, _: &FlexTensor, grad: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
        let mut dx = vec![0.0f32; n * c * h * w];
        dx.par_chunks_mut(h * w)
            .zip(grad.storage::<f32>().par_chunks(4 * h * w))
            .for_each(|(dx, grad)| {
                let mut wide = vec![0.0f32; 2 * h * w];
                down(grad, &mut wide, Axis::height(h, 2 * w));
                down(&wide, dx, Axis::width(h, w));
            });
        flex(dx, [n, c, h, w])
    }
}

//! Reflection and circular padding on burn's CPU backend: one pass forward
//! and, under autodiff, a backward step that folds the padded gradient back
//! onto the image. burn differentiates the generic padding (narrows, flips
//! and a concatenation) into strided views of the gradient, which
//! burn-flex adds element by element on one thread: about 7 % of a style
//! training step.

use burn::prelude::*;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::tensors::{ImageOp, apply, flex};

/// What a padded border holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrap {
    /// The image mirrored at its edge, the edge pixel not repeated
    /// ([`crate::reflect_pad`]); the padding smaller than the image.
    Reflect,
    /// The opposite side of the image ([`crate::circular_pad`]); the
    /// padding at most the image.
    Circular,
}

impl Wrap {
    /// The source index of padded index `i` (`pad` of them before the
    /// first) in a line of `size`.
    fn source(self, i: usize, pad: usize, size: usize) -> usize {
        let i = i as isize - pad as isize;
        let last = size as isize - 1;
        match self {
            Wrap::Reflect if i < 0 => (-i) as usize,
            Wrap::Reflect if i > last => (2 * last - i) as usize,
            Wrap::Reflect => i as usize,
            Wrap::Circular => i.rem_euclid(size as isize) as usize,
        }
    }

    fn fits(self, pad: usize, size: usize) -> bool {
        match self {
            Wrap::Reflect => pad < size,
            Wrap::Circular => pad <= size,
        }
    }
}

/// `x` padded by `pad` pixels on each side as `wrap` says; `x` back where
/// the backend is not burn's CPU backend, the data not f32 or the padding
/// too wide for the image.
pub(crate) fn pad<B: Backend>(
    x: Tensor<B, 4>,
    pad: usize,
    wrap: Wrap,
) -> Result<Tensor<B, 4>, Tensor<B, 4>> {
    let [_, _, h, w] = x.dims();
    if !wrap.fits(pad, h) || !wrap.fits(pad, w) {
        return Err(x);
    }
    apply(Pad { pad, wrap }, x)
}

/// Padding by `pad` pixels on each side, holding what `wrap` says.
#[derive(Debug, Clone, Copy)]
struct Pad {
    pad: usize,
    wrap: Wrap,
}

impl Pad {
    /// For each padded column, the image column it repeats.
    fn columns(&self, w: usize) -> Vec<usize> {
        (0..w + 2 * self.pad)
            .map(|i| self.wrap.source(i, self.pad, w))
            .collect()
    }
}

impl ImageOp for Pad {
    fn forward(&self, x: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
        let Pad { pad, wrap } = *self;
        let (ph, pw) = (h + 2 * pad, w + 2 * pad);
        let columns = self.columns(w);
        let mut y = vec![0.0f32; n * c * ph * pw];
        y.par_chunks_mut(ph * pw)
            .zip(x.storage::<f32>().par_chunks(h * w))
            .for_each(|(out, plane)| {
                for (oy, row) in out.chunks_exact_mut(pw).enumerate() {
                    let source = &plane[wrap.source(oy, pad, h) * w..][..w];
                    row[pad..pad + w].copy_from_slice(source);
                    for k in (0..pad).chain(pad + w..pw) {
                        row[k] = source[columns[k]];
                    }
                }
            });
        flex(y, [n, c, ph, pw])
    }

    /// Each padded pixel's gradient added to the pixel it repeats.
    #[cfg(feature = "autodiff")]
    fn backward(&self, _: &FlexTensor, grad: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
        let Pad { pad, wrap } = *self;
        let (ph, pw) = (h + 2 * pad, w + 2 * pad);
        let columns = self.columns(w);
        let mut dx = vec![0.0f32; n * c * h * w];
        dx.par_chunks_mut(h * w)
            .zip(grad.storage::<f32>().par_chunks(ph * pw))
            .for_each(|(dx, grad)| {
                for (oy, row) in grad.chunks_exact(pw).enumerate() {
                    let target = &mut dx[wrap.source(oy, pad, h) * w..][..w];
                    target
                        .iter_mut()
                        .zip(&row[pad..pad + w])
                        .for_each(|(t, g)| *t += g);
                    for k in (0..pad).chain(pad + w..pw) {
                        target[columns[k]] += row[k];
                    }
                }
            });
        flex(dx, [n, c, h, w])
    }
}

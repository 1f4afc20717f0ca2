//! Reflection and circular padding on burn's CPU backend: one pass forward
//! and, under autodiff, a backward step that folds the padded gradient back
//! onto the image. burn differentiates the generic padding (narrows, flips
//! and a concatenation) into strided views of the gradient, which
//! burn-flex adds element by element on one thread: about 7 % of a style
//! training step.

use std::any::TypeId;

use burn::backend::Flex;
use burn::prelude::*;
use burn::tensor::{DType, TensorPrimitive};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::tensors::{flex, same, values};

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

/// `x` padded by `pad` pixels on each side as `wrap` says; `None` where the
/// backend is not burn's CPU backend, the data not f32 or the padding too
/// wide for the image.
pub(crate) fn pad<B: Backend>(x: Tensor<B, 4>, pad: usize, wrap: Wrap) -> Option<Tensor<B, 4>> {
    let [_, _, h, w] = x.dims();
    if x.dtype() != DType::F32 || !wrap.fits(pad, h) || !wrap.fits(pad, w) {
        return None;
    }
    if TypeId::of::<B>() == TypeId::of::<Flex>() {
        let x: Tensor<Flex, 4> = same(x);
        let shape = x.dims();
        let y = forward(&values(&x.into_primitive().tensor()), shape, pad, wrap);
        return Some(same(Tensor::<Flex, 4>::from_primitive(
            TensorPrimitive::Float(y),
        )));
    }
    #[cfg(feature = "autodiff")]
    if TypeId::of::<B>() == TypeId::of::<super::tensors::Train>() {
        return Some(same(tracked::pad(same(x), pad, wrap)));
    }
    None
}

fn forward(x: &FlexTensor, [n, c, h, w]: [usize; 4], pad: usize, wrap: Wrap) -> FlexTensor {
    let (ph, pw) = (h + 2 * pad, w + 2 * pad);
    let columns: Vec<usize> = (0..pw).map(|i| wrap.source(i, pad, w)).collect();
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

/// The image's gradient: each padded pixel's gradient added to the pixel
/// it repeats.
#[cfg(feature = "autodiff")]
fn backward(grad: &FlexTensor, [n, c, h, w]: [usize; 4], pad: usize, wrap: Wrap) -> FlexTensor {
    let (ph, pw) = (h + 2 * pad, w + 2 * pad);
    let columns: Vec<usize> = (0..pw).map(|i| wrap.source(i, pad, w)).collect();
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

#[cfg(feature = "autodiff")]
mod tracked {
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};

    use super::*;
    use crate::cpu::tensors::Train;

    #[derive(Debug)]
    struct Pad;

    impl Backward<Flex, 1> for Pad {
        /// The image's shape, the padding and what it holds.
        type State = ([usize; 4], usize, Wrap);

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad = values(&grads.consume::<Flex>(&ops.node));
            let (shape, pad, wrap) = ops.state;
            if let Some(node) = ops.parents.into_iter().next().flatten() {
                grads.register::<Flex>(node.id, backward(&grad, shape, pad, wrap));
            }
        }
    }

    pub(super) fn pad(x: Tensor<Train, 4>, pad: usize, wrap: Wrap) -> Tensor<Train, 4> {
        let shape = x.dims();
        let x = x.into_primitive().tensor();
        let y = forward(&values(&x.primitive), shape, pad, wrap);
        let y = match Pad
            .prepare::<NoCheckpointing>([x.node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish((shape, pad, wrap), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        };
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }
}

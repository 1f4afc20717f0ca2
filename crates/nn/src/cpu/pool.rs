//! VGG16's 2×2 stride-2 max pool ([`max_pool2x2`]), on burn's CPU backend
//! in one parallel pass per direction.
//!
//! burn-flex runs a 2-D max pool as its generic 3-D one, element by element
//! on one thread, keeping an index per output; under autodiff it was about
//! 4 % of a style training step. Here the backward step finds each
//! window's maximum again in the saved input instead of storing indices.

use std::any::TypeId;

use burn::backend::Flex;
use burn::prelude::*;
use burn::tensor::TensorPrimitive;
use burn::tensor::module::max_pool2d;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::tensors::{flex, same, values};

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
    let f32s = x.dtype() == burn::tensor::DType::F32;
    if f32s && TypeId::of::<B>() == TypeId::of::<Flex>() {
        let x: Tensor<Flex, 4> = same(x);
        let shape = x.dims();
        let y = forward(&values(&x.into_primitive().tensor()), shape);
        return same(Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(y)));
    }
    #[cfg(feature = "autodiff")]
    if f32s && TypeId::of::<B>() == TypeId::of::<super::tensors::Train>() {
        return same(tracked::max_pool2x2(same(x)));
    }
    max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], false)
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

fn forward(x: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
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

/// The input's gradient: each output's gradient at its window's maximum.
#[cfg(feature = "autodiff")]
fn backward(x: &FlexTensor, grad: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
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

#[cfg(feature = "autodiff")]
mod tracked {
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};

    use super::*;
    use crate::cpu::tensors::Train;

    #[derive(Debug)]
    struct MaxPool;

    impl Backward<Flex, 1> for MaxPool {
        /// The input and its shape.
        type State = (FlexTensor, [usize; 4]);

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad = values(&grads.consume::<Flex>(&ops.node));
            let (x, shape) = ops.state;
            if let Some(node) = ops.parents.into_iter().next().flatten() {
                grads.register::<Flex>(node.id, backward(&x, &grad, shape));
            }
        }
    }

    pub(super) fn max_pool2x2(x: Tensor<Train, 4>) -> Tensor<Train, 4> {
        let shape = x.dims();
        let x = x.into_primitive().tensor();
        let input = values(&x.primitive);
        let y = match MaxPool
            .prepare::<NoCheckpointing>([x.node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = forward(&input, shape);
                prep.finish((input, shape), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(&input, shape)),
        };
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }
}

//! What the CPU kernels share: the autodiff backend their backward steps
//! are for, moving tensors between burn's generic types and the CPU
//! backend's, and running an image op with its backward step
//! ([`ImageOp`]).

use std::any::{Any, TypeId};

use burn::backend::Flex;
use burn::prelude::*;
use burn::tensor::{DType, TensorData, TensorPrimitive};
use burn_flex::FlexTensor;

/// The autodiff backend the kernels' backward steps are for (burn's
/// default: no checkpointing).
#[cfg(feature = "autodiff")]
pub(crate) type Train = burn::backend::Autodiff<
    burn::backend::Flex,
    burn::backend::autodiff::checkpoint::strategy::NoCheckpointing,
>;

/// Moves `value` into `T`, the type the caller has checked it has.
pub(crate) fn same<T: 'static>(value: impl Any) -> T {
    match (Box::new(value) as Box<dyn Any>).downcast::<T>() {
        Ok(value) => *value,
        Err(_) => unreachable!("the caller compared the types"),
    }
}

/// A CPU tensor with its f32 values in order (a copy only if it is a
/// view).
pub(crate) fn values(tensor: &FlexTensor) -> FlexTensor {
    tensor.to_contiguous()
}

/// A CPU tensor of `shape` holding `values`.
pub(crate) fn flex(values: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// An op on `[N, C, H, W]` f32 images with a pass of its own on the CPU
/// backend and, under autodiff, a backward step whose gradient is
/// contiguous ([`apply`] runs it).
pub(crate) trait ImageOp: std::fmt::Debug + Send + Sync + 'static {
    /// The op's output for `x` (values in order, of `shape`).
    fn forward(&self, x: &FlexTensor, shape: [usize; 4]) -> FlexTensor;

    /// The gradient of `x`, given `x` and the output's gradient `grad`.
    #[cfg(feature = "autodiff")]
    fn backward(&self, x: &FlexTensor, grad: &FlexTensor, shape: [usize; 4]) -> FlexTensor;
}

/// `op` on `x` where the backend is burn's CPU backend (with or without
/// [`Train`]'s autodiff) and the data f32; `x` back otherwise.
pub(crate) fn apply<B: Backend, O: ImageOp>(
    op: O,
    x: Tensor<B, 4>,
) -> Result<Tensor<B, 4>, Tensor<B, 4>> {
    if x.dtype() != DType::F32 {
        return Err(x);
    }
    if TypeId::of::<B>() == TypeId::of::<Flex>() {
        let x: Tensor<Flex, 4> = same(x);
        let shape = x.dims();
        let y = op.forward(&values(&x.into_primitive().tensor()), shape);
        return Ok(same(Tensor::<Flex, 4>::from_primitive(
            TensorPrimitive::Float(y),
        )));
    }
    #[cfg(feature = "autodiff")]
    if TypeId::of::<B>() == TypeId::of::<Train>() {
        return Ok(same(tracked::apply(op, same(x))));
    }
    Err(x)
}

#[cfg(feature = "autodiff")]
mod tracked {
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};

    use super::*;

    /// The backward step of an [`ImageOp`].
    #[derive(Debug)]
    struct Step<O>(O);

    impl<O: ImageOp> Backward<Flex, 1> for Step<O> {
        /// The input and its shape.
        type State = (FlexTensor, [usize; 4]);

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad = values(&grads.consume::<Flex>(&ops.node));
            let (x, shape) = ops.state;
            if let Some(node) = ops.parents.into_iter().next().flatten() {
                grads.register::<Flex>(node.id, self.0.backward(&x, &grad, shape));
            }
        }
    }

    pub(super) fn apply<O: ImageOp>(op: O, x: Tensor<Train, 4>) -> Tensor<Train, 4> {
        let shape = x.dims();
        let x = x.into_primitive().tensor();
        let input = values(&x.primitive);
        let y = op.forward(&input, shape);
        let y = match Step(op)
            .prepare::<NoCheckpointing>([x.node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish((input, shape), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        };
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }
}

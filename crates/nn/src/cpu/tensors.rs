//! What the CPU kernels share: the autodiff backend their backward steps
//! are for, and moving tensors between burn's generic types and the CPU
//! backend's.

use std::any::Any;

use burn::tensor::TensorData;
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

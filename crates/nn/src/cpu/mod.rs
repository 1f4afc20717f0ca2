//! The crate's own kernels for burn's CPU backend (`Flex`, f32), where
//! burn-flex 0.21's are far slower than PyTorch's or onnxruntime's on the
//! style networks' shapes (BENCHMARKS.md): convolutions forward and, under
//! `Autodiff`, backward; the style networks' fused stages; the 2×2 max
//! pool, reflection and circular padding and circular upsampling, with
//! backward steps whose gradients come out contiguous (burn-flex adds
//! strided gradients element by element on one thread); and, for training,
//! the Gram matrix.
//!
//! Each public op takes any `Backend` and picks these kernels at run time
//! by type, so networks stay generic; every other backend runs burn's ops.

mod conv;
mod gemm_conv;
#[cfg(feature = "autodiff")]
mod gram;
mod pad;
mod pool;
mod stage;
mod upsample;

use std::any::Any;

use burn::tensor::TensorData;
use burn_flex::FlexTensor;

pub use conv::{conv2d, conv2d_module};
#[cfg(feature = "autodiff")]
pub(crate) use gram::gram;
pub(crate) use pad::{Wrap, pad};
pub use pool::max_pool2x2;
pub(crate) use stage::run_stages;
pub(crate) use upsample::circular_upsample;

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

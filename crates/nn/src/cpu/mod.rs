//! The crate's own kernels for burn's CPU backend (`Flex`, f32), where
//! burn-flex 0.21's are far slower than PyTorch's or onnxruntime's on the
//! style networks' shapes (BENCHMARKS.md): convolutions forward and, under
//! `Autodiff`, backward (the style networks' fused stages build on them in
//! `cpu_stage`); the 2×2 max pool, reflection and circular padding and
//! circular upsampling, with backward steps whose gradients come out
//! contiguous (burn-flex adds strided gradients element by element on one
//! thread); and, for training, the Gram matrix.
//!
//! Each public op takes any `Backend` and picks these kernels at run time
//! by type, so networks stay generic; every other backend runs burn's ops.

mod conv;
mod gemm_conv;
#[cfg(feature = "autodiff")]
mod gram;
mod pad;
mod pool;
mod tensors;
mod upsample;

pub use conv::{conv2d, conv2d_module};
pub(crate) use gemm_conv::{Geometry, forward};
#[cfg(feature = "autodiff")]
pub(crate) use gram::gram;
pub(crate) use pad::{Wrap, pad};
pub use pool::max_pool2x2;
#[cfg(feature = "autodiff")]
pub(crate) use tensors::{Train, same};
pub(crate) use tensors::{flex, values};
pub(crate) use upsample::circular_upsample;

//! The crate's own GPU kernels for the convolution stages of the style
//! networks ([`ConvStage`](super::ConvStage)), launched in burn's stream through burn's
//! custom-kernel extension point (`SourceKernel` with the WGSL
//! files beside this module).
//!
//! Per stage: one direct convolution with the reflection padding and the
//! nearest upsampling folded into its addressing (`conv2d*.wgsl`), one
//! reduction of the per-channel statistics into the norm's affine map
//! (`channel_affine.wgsl`), and one in-place pass for the affine map,
//! the activation and the residual add (`affine_activation.wgsl`). burn's
//! ops need about twenty kernels for the same stage, among them a padded
//! copy of the input, and a direct convolution that reaches a few percent
//! of what lavapipe's matmul does (BENCHMARKS.md).
//!
//! They are how [`StageBackend`](crate::StageBackend) runs stages on burn's
//! wgpu backend.

mod conv;
mod fused;
mod gpu_stage;
mod launch;
mod norm;

#[cfg(feature = "testing")]
pub use conv::conv_stage;
pub use fused::{half_precision_available, run_fused};
#[cfg(feature = "testing")]
pub use gpu_stage::{GpuStage, GpuTensor};
#[cfg(feature = "testing")]
pub use norm::finish_stage;

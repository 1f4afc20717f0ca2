//! The crate's own GPU kernels for the convolution stages of the style
//! networks ([`ConvStage`]), launched in burn's stream through burn's
//! custom-kernel extension point (`SourceKernel` with WGSL from
//! `shaders/`).
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
//! [`run_stages`](super::run_stages) uses them whenever its input lives on
//! burn's wgpu backend; [`run_fused`] is the same, explicitly.

mod conv;
mod launch;
mod norm;

use std::any::Any;

use burn::backend::wgpu::{CubeTensor, WgpuDevice, WgpuRuntime};
use burn::prelude::*;
use burn::tensor::{DType, TensorPrimitive};
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::cast;

pub use conv::conv_stage;
pub use norm::finish_stage;

use super::stage::{ConvStage, Precision, Skip, StagePost};

/// A float tensor of burn's wgpu backend, as the kernels take it.
pub type GpuTensor = CubeTensor<WgpuRuntime>;

/// `stages` run on `x` with the GPU kernels, or `None` when they do not
/// apply: `x` is not an f32 tensor of burn's wgpu backend, or its batch is
/// not 1. With [`Precision::F32`] the same result as
/// [`run_stages_plain`](super::run_stages_plain) up to float rounding; with
/// [`Precision::F16`] activations, weights and convolution sums are half
/// precision where the device supports it (norm statistics stay f32).
pub fn run_fused<B: Backend>(
    stages: &[ConvStage<B>],
    x: &Tensor<B, 4>,
    precision: Precision,
) -> Option<Tensor<B, 4>> {
    let input = to_gpu(x)?;
    if input.meta.shape()[0] != 1 {
        return None;
    }
    let dtype = match precision {
        Precision::F16 if half_precision_available(&input.device) => DType::F16,
        _ => DType::F32,
    };
    let mut x = if dtype == DType::F32 {
        input
    } else {
        cast(input, dtype)
    };
    let stages: Vec<GpuStage> = stages.iter().map(GpuStage::new).collect::<Option<_>>()?;
    let mut saved = None;
    for stage in &stages {
        if stage.skip == Skip::Save {
            saved = Some(x.clone());
        }
        let residual = match stage.skip {
            Skip::Add => saved.take(),
            _ => None,
        };
        let y = conv_stage(&x, stage);
        x = finish_stage(y, stage, residual.as_ref());
    }
    from_gpu(if dtype == DType::F32 {
        x
    } else {
        cast(x, DType::F32)
    })
}

/// `true` when the kernels can run in half precision on `device` (the
/// adapter has `SHADER_F16`, which Bevy's default settings enable).
pub fn half_precision_available(device: &WgpuDevice) -> bool {
    CubeBackend::<WgpuRuntime, f32, i32, u32>::supports_dtype(device, DType::F16)
}

/// A stage with its tensors on the wgpu backend.
pub struct GpuStage {
    weight: GpuTensor,
    stride: usize,
    upsample: bool,
    post: GpuPost,
    activation: super::BlockActivation,
    skip: Skip,
}

/// [`StagePost`] on the wgpu backend, per channel of image 0.
enum GpuPost {
    None,
    Bias(Box<GpuTensor>),
    Norm(Box<GpuNorm>),
}

/// The per-channel scale and shift of a norm, and its epsilon.
struct GpuNorm {
    scale: GpuTensor,
    shift: GpuTensor,
    epsilon: f64,
}

impl GpuStage {
    /// The stage's tensors as wgpu tensors, or `None` on another backend.
    pub fn new<B: Backend>(stage: &ConvStage<B>) -> Option<Self> {
        let channel = |t: &Tensor<B, 4>| {
            let [_, c, _, _] = t.dims();
            to_gpu(&t.clone().narrow(0, 0, 1).reshape([c]))
        };
        let post = match &stage.post {
            StagePost::None => GpuPost::None,
            StagePost::Bias(bias) => GpuPost::Bias(Box::new(to_gpu(bias)?)),
            StagePost::Norm {
                scale,
                shift,
                epsilon,
            } => GpuPost::Norm(Box::new(GpuNorm {
                scale: channel(scale)?,
                shift: channel(shift)?,
                epsilon: *epsilon,
            })),
        };
        Some(Self {
            weight: to_gpu(&stage.weight)?,
            stride: stage.stride,
            upsample: stage.upsample,
            post,
            activation: stage.activation,
            skip: stage.skip,
        })
    }
}

/// The wgpu tensor behind `x`, when `x` is an f32 tensor of burn's wgpu
/// backend (a runtime check, so that the networks stay generic over the
/// backend).
fn to_gpu<B: Backend, const D: usize>(x: &Tensor<B, D>) -> Option<GpuTensor> {
    let primitive: Box<dyn Any> = Box::new(x.clone().into_primitive().tensor());
    let tensor = *primitive.downcast::<GpuTensor>().ok()?;
    (tensor.dtype == DType::F32).then_some(tensor)
}

/// `x` as a tensor of `B` (the backend [`to_gpu`] found).
fn from_gpu<B: Backend, const D: usize>(x: GpuTensor) -> Option<Tensor<B, D>> {
    let primitive: Box<dyn Any> = Box::new(x);
    let primitive = *primitive.downcast::<B::FloatTensorPrimitive>().ok()?;
    Some(Tensor::from_primitive(TensorPrimitive::Float(primitive)))
}

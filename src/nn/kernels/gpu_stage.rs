//! The tensors of a [`ConvStage`] on burn's wgpu backend, as the kernels
//! take them, and the runtime check that finds them.

use std::any::Any;

use burn::backend::wgpu::{CubeTensor, WgpuRuntime};
use burn::prelude::*;
use burn::tensor::{DType, TensorPrimitive};

use crate::nn::condition::map_at;
use crate::nn::ops::BlockActivation;
use crate::nn::stage::{ConvStage, Skip, StagePost};

/// A float tensor of burn's wgpu backend, as the kernels take it.
pub type GpuTensor = CubeTensor<WgpuRuntime>;

/// A stage with its tensors on the wgpu backend.
pub struct GpuStage {
    pub(super) weight: GpuTensor,
    pub(super) stride: usize,
    pub(super) upsample: bool,
    pub(super) post: GpuPost,
    pub(super) activation: BlockActivation,
    pub(super) skip: Skip,
}

/// [`StagePost`] on the wgpu backend, per channel of image 0.
pub(super) enum GpuPost {
    None,
    Bias(Box<GpuTensor>),
    Norm(Box<GpuNorm>),
    MappedNorm(Box<GpuMappedNorm>),
}

/// The per-channel scale and shift of a norm, and its epsilon.
pub(super) struct GpuNorm {
    pub(super) scale: GpuTensor,
    pub(super) shift: GpuTensor,
    pub(super) epsilon: f64,
}

/// The per-style scales, shifts (`[C]` each) and map planes (`[H, W]`) of
/// a mapped norm, and the whole map at the stage's output size (`[K, H,
/// W]`, image 0).
pub(super) struct GpuMappedNorm {
    pub(super) styles: Vec<(GpuTensor, GpuTensor, GpuTensor)>,
    pub(super) map: GpuTensor,
    pub(super) epsilon: f64,
}

impl GpuStage {
    /// The stage's tensors as wgpu tensors for an output of `height ×
    /// width` (the size a style map is resized to), or `None` on another
    /// backend.
    pub fn new<B: Backend>(stage: &ConvStage<B>, height: usize, width: usize) -> Option<Self> {
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
            StagePost::MappedNorm {
                scales,
                shifts,
                map,
                epsilon,
            } => {
                let [k, c] = scales.dims();
                let row =
                    |rows: &Tensor<B, 2>, i| to_gpu(&rows.clone().narrow(0, i, 1).reshape([c]));
                let map =
                    map_at(map.clone().narrow(0, 0, 1), height, width).reshape([k, height, width]);
                GpuPost::MappedNorm(Box::new(GpuMappedNorm {
                    styles: (0..k)
                        .map(|i| {
                            let plane = map.clone().narrow(0, i, 1).reshape([height, width]);
                            Some((row(scales, i)?, row(shifts, i)?, to_gpu(&plane)?))
                        })
                        .collect::<Option<_>>()?,
                    map: to_gpu(&map)?,
                    epsilon: *epsilon,
                }))
            }
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
pub(super) fn to_gpu<B: Backend, const D: usize>(x: &Tensor<B, D>) -> Option<GpuTensor> {
    let primitive: Box<dyn Any> = Box::new(x.clone().into_primitive().tensor());
    let tensor = *primitive.downcast::<GpuTensor>().ok()?;
    (tensor.dtype == DType::F32).then_some(tensor)
}

/// `x` as a tensor of `B` (the backend [`to_gpu`] found).
pub(super) fn from_gpu<B: Backend, const D: usize>(x: GpuTensor) -> Option<Tensor<B, D>> {
    let primitive: Box<dyn Any> = Box::new(x);
    let primitive = *primitive.downcast::<B::FloatTensorPrimitive>().ok()?;
    Some(Tensor::from_primitive(TensorPrimitive::Float(primitive)))
}

//! The tensors of a [`ConvStage`] on burn's wgpu backend, as the kernels
//! take them.

use burn::backend::wgpu::{CubeTensor, WgpuRuntime};
use burn::prelude::*;
use burn::tensor::TensorPrimitive;
use burn_cubecl::CubeBackend;

use crate::condition::map_at;
use crate::ops::BlockActivation;
use crate::stage::{ConvStage, Skip, StagePost};

/// burn's wgpu backend, the one the kernels run on.
pub type Gpu = CubeBackend<WgpuRuntime, f32, i32, u32>;

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
    /// The stage's tensors as the kernels take them, for an output of
    /// `height × width` (the size a style map is resized to).
    pub fn new(stage: &ConvStage<Gpu>, height: usize, width: usize) -> Self {
        let channel = |t: &Tensor<Gpu, 4>| {
            let [_, c, _, _] = t.dims();
            to_gpu(&t.clone().narrow(0, 0, 1).reshape([c]))
        };
        let post = match &stage.post {
            StagePost::None => GpuPost::None,
            StagePost::Bias(bias) => GpuPost::Bias(Box::new(to_gpu(bias))),
            StagePost::Norm {
                scale,
                shift,
                epsilon,
            } => GpuPost::Norm(Box::new(GpuNorm {
                scale: channel(scale),
                shift: channel(shift),
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
                    |rows: &Tensor<Gpu, 2>, i| to_gpu(&rows.clone().narrow(0, i, 1).reshape([c]));
                let map =
                    map_at(map.clone().narrow(0, 0, 1), height, width).reshape([k, height, width]);
                GpuPost::MappedNorm(Box::new(GpuMappedNorm {
                    styles: (0..k)
                        .map(|i| {
                            let plane = map.clone().narrow(0, i, 1).reshape([height, width]);
                            (row(scales, i), row(shifts, i), to_gpu(&plane))
                        })
                        .collect(),
                    map: to_gpu(&map),
                    epsilon: *epsilon,
                }))
            }
        };
        Self {
            weight: to_gpu(&stage.weight),
            stride: stage.stride,
            upsample: stage.upsample,
            post,
            activation: stage.activation,
            skip: stage.skip,
        }
    }
}

/// The wgpu tensor behind `x`.
pub(super) fn to_gpu<const D: usize>(x: &Tensor<Gpu, D>) -> GpuTensor {
    x.clone().into_primitive().tensor()
}

/// `x` as a burn tensor.
pub(super) fn from_gpu<const D: usize>(x: GpuTensor) -> Tensor<Gpu, D> {
    Tensor::from_primitive(TensorPrimitive::Float(x))
}

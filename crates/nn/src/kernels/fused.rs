//! A network's stages run end to end with the kernels.

use burn::backend::wgpu::WgpuDevice;
use burn::prelude::*;
use burn::tensor::DType;
use burn_cubecl::kernel::{cast, into_contiguous};

use super::conv::{conv_stage, dims};
use super::gpu_stage::{Gpu, GpuStage, from_gpu, to_gpu};
use super::norm::finish_stage;
use crate::stage::{ConvStage, Precision, Skip};

/// `stages` run on `x` (batch 1) with the GPU kernels. With
/// [`Precision::F32`] the same result as
/// [`run_stages_plain`](crate::run_stages_plain) up to float rounding; with
/// [`Precision::F16`] activations, weights and convolution sums are half
/// precision where the device supports it (norm statistics stay f32).
pub fn run_fused(
    stages: &[ConvStage<Gpu>],
    x: Tensor<Gpu, 4>,
    precision: Precision,
) -> Tensor<Gpu, 4> {
    let input = into_contiguous(to_gpu(&x));
    let [_, _, mut height, mut width] = dims(&input);
    let dtype = match precision {
        Precision::F16 if half_precision_available(&input.device) => DType::F16,
        _ => DType::F32,
    };
    let mut x = if input.dtype == dtype {
        input
    } else {
        cast(input, dtype)
    };
    let stages: Vec<GpuStage> = stages
        .iter()
        .map(|stage| {
            (width, height) = stage.output_size(width, height);
            GpuStage::new(stage, height, width)
        })
        .collect();
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
    from_gpu(if x.dtype == DType::F32 {
        x
    } else {
        cast(x, DType::F32)
    })
}

/// `true` when the kernels can run in half precision on `device` (the
/// adapter has `SHADER_F16`, which Bevy's default settings enable).
pub fn half_precision_available(device: &WgpuDevice) -> bool {
    Gpu::supports_dtype(device, DType::F16)
}

//! The end of a stage: the norm's statistics (`channel_affine.wgsl`)
//! and the affine map, activation and residual add in place
//! (`affine_activation.wgsl`).

use burn::prelude::*;
use burn::tensor::TensorPrimitive;
use burn_cubecl::kernel::into_contiguous;

use super::conv::dims;
use super::gpu_stage::{Gpu, GpuPost, GpuStage, GpuTensor};
use super::launch::{Wgsl, float_values, shader};
use crate::condition::REGION_PRIOR;
use crate::ops::BlockActivation;

/// Applies the stage's bias or norm, activation and residual add to its
/// convolution output `y` (`[1, C, H, W]`, written in place).
pub fn finish_stage(y: GpuTensor, stage: &GpuStage, residual: Option<&GpuTensor>) -> GpuTensor {
    let [_, channels, height, width] = dims(&y);
    let plane = height * width;
    // One affine map per style, mixed per pixel by the map (`[K, H, W]`).
    let mut map = None;
    let affine = match &stage.post {
        GpuPost::Norm(norm) => channel_affine(&y, &norm.scale, &norm.shift, None, norm.epsilon),
        GpuPost::MappedNorm(norm) => {
            map = Some((into_contiguous(norm.map.clone()), norm.styles.len() as u32));
            let maps = norm
                .styles
                .iter()
                .map(|(scale, shift, plane)| {
                    let affine = channel_affine(&y, scale, shift, Some(plane), norm.epsilon);
                    Tensor::<Gpu, 1>::from_primitive(TensorPrimitive::Float(affine))
                })
                .collect();
            Tensor::cat(maps, 0).into_primitive().tensor()
        }
        GpuPost::Bias(bias) => ones_then(bias, channels),
        GpuPost::None if stage.activation == BlockActivation::Identity && residual.is_none() => {
            return y;
        }
        GpuPost::None => {
            let zeros = Tensor::<Gpu, 1>::zeros([channels], &y.device);
            ones_then(&zeros.into_primitive().tensor(), channels)
        }
    };
    let residual = residual.map(|r| into_contiguous(r.clone()));
    let activation = match stage.activation {
        BlockActivation::Identity => 0,
        BlockActivation::Relu => 1,
        BlockActivation::Sigmoid => 2,
    };
    Wgsl {
        name: "affine_activation",
        sources: vec![shader!("affine_activation.wgsl")],
        values: vec![
            ("activation", activation),
            ("residual", u32::from(residual.is_some())),
            ("styles", map.as_ref().map_or(0, |(_, styles)| *styles)),
        ],
        texts: float_values(y.dtype).to_vec(),
        generated: &[],
        workgroup: [256, 1, 1],
    }
    .launch(
        &y.client,
        [plane.div_ceil(256) as u32, channels as u32, 1],
        &[
            &y,
            &affine,
            residual.as_ref().unwrap_or(&affine),
            map.as_ref().map_or(&affine, |(map, _)| map),
        ],
        [plane as u32, channels as u32, 0, 0],
    );
    y
}

/// The norm's affine map `[a; b]` (`[2C]`) for `y`'s statistics, or for
/// those of the region `weights` (`[H, W]`) marks.
fn channel_affine(
    y: &GpuTensor,
    scale: &GpuTensor,
    shift: &GpuTensor,
    weights: Option<&GpuTensor>,
    epsilon: f64,
) -> GpuTensor {
    let [_, channels, height, width] = dims(y);
    let affine = Tensor::<Gpu, 1>::empty([2 * channels], &y.device)
        .into_primitive()
        .tensor();
    let (scale, shift) = (
        into_contiguous(scale.clone()),
        into_contiguous(shift.clone()),
    );
    let weights = weights.map(|weights| into_contiguous(weights.clone()));
    let prior = REGION_PRIOR * (height * width) as f32;
    Wgsl {
        name: "channel_affine",
        sources: vec![shader!("channel_affine.wgsl")],
        values: vec![("weighted", u32::from(weights.is_some()))],
        texts: float_values(y.dtype).to_vec(),
        generated: &[],
        workgroup: [64, 1, 1],
    }
    .launch(
        &y.client,
        [channels as u32, 1, 1],
        &[
            y,
            &scale,
            &shift,
            &affine,
            weights.as_ref().unwrap_or(&scale),
        ],
        [
            (height * width) as u32,
            channels as u32,
            (epsilon as f32).to_bits(),
            prior.to_bits(),
        ],
    );
    affine
}

/// `[1, …, 1, b]`: the affine map of a bias `b` (`[C]`).
fn ones_then(bias: &GpuTensor, channels: usize) -> GpuTensor {
    let bias = Tensor::<Gpu, 1>::from_primitive(TensorPrimitive::Float(bias.clone()));
    let ones = Tensor::<Gpu, 1>::ones([channels], &bias.device());
    into_contiguous(Tensor::cat(vec![ones, bias], 0).into_primitive().tensor())
}

//! The convolution of a stage (`conv2d*.wgsl` beside this file).

use std::sync::OnceLock;

use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::TensorPrimitive;
use burn_cubecl::kernel::{cast, into_contiguous};
use burn_cubecl::ops::numeric::empty_device_dtype;

use super::gpu_stage::{Gpu, GpuStage, GpuTensor};
use super::launch::{Wgsl, float_values, shader};

/// Output channels per invocation of the kernel's variants.
const VARIANTS: [usize; 3] = [4, 16, 32];
/// Output pixels per invocation along x, and the workgroup (8 × 8).
const PX: usize = 4;
const GROUP: usize = 8;

/// The convolution of `stage` (upsampling, reflection padding, stride; no
/// bias) of `x` (`[1, C, H, W]`): a new `[1, O, H', W']` tensor.
pub fn conv_stage(x: &GpuTensor, stage: &GpuStage) -> GpuTensor {
    let x = into_contiguous(x.clone());
    let [_, cin, height, width] = dims(&x);
    let [cout, _, kernel, _] = dims(&stage.weight);
    // The narrowest variant that covers the channels in one block (two
    // blocks of 4 for 8 channels, as fast as one of 16 and half the waste),
    // the widest beyond (its blocks run in parallel).
    let variant = VARIANTS
        .iter()
        .position(|&per_block| cout <= per_block.max(8))
        .unwrap_or(VARIANTS.len() - 1);
    let per_block = VARIANTS[variant];
    let blocks = cout.div_ceil(per_block);
    let weight = block_weights(&stage.weight, per_block, blocks, x.dtype);

    let up = usize::from(stage.upsample);
    let side = |n: usize| (n << up).div_ceil(stage.stride);
    let (out_w, out_h) = (side(width), side(height));
    let output = empty_device_dtype(
        x.client.clone(),
        x.device.clone(),
        [1, cout, out_h, out_w].into(),
        x.dtype,
    );
    Wgsl {
        name: "conv2d",
        sources: vec![shader!("conv2d.wgsl")],
        values: vec![
            ("cin", cin as u32),
            ("cout", cout as u32),
            ("k", kernel as u32),
            ("stride", stage.stride as u32),
            ("upsample", up as u32),
            ("c4", (per_block / 4) as u32),
        ],
        texts: float_values(x.dtype).to_vec(),
        generated: accumulators(variant),
        workgroup: [GROUP as u32, GROUP as u32, 1],
    }
    .launch(
        &x.client,
        [
            out_w.div_ceil(PX).div_ceil(GROUP) as u32,
            out_h.div_ceil(GROUP) as u32,
            blocks as u32,
        ],
        &[&x, &weight, &output],
        [width as u32, height as u32, out_w as u32, out_h as u32],
    );
    output
}

/// The lines of the kernel's `main` that declare, update and store its
/// accumulators `a{pixel}{vec4}` for the output channels of
/// `VARIANTS[variant]`, generated once per variant.
fn accumulators(variant: usize) -> &'static [(&'static str, String); 3] {
    static GENERATED: [OnceLock<[(&str, String); 3]>; VARIANTS.len()] =
        [const { OnceLock::new() }; VARIANTS.len()];
    GENERATED[variant].get_or_init(|| accumulator_lines(VARIANTS[variant] / 4))
}

/// Four pixels times `c4` vec4s of output channels, written out as named
/// variables: their declarations, updates and stores.
fn accumulator_lines(c4: usize) -> [(&'static str, String); 3] {
    let mut declare = String::new();
    let mut accumulate = String::new();
    let mut store = String::new();
    for j in 0..c4 {
        let sums = (0..PX).map(|p| format!("a{p}{j}"));
        declare += &sums
            .clone()
            .map(|a| format!("var {a} = vec4<Float>(0.0);"))
            .collect::<Vec<_>>()
            .join(" ");
        declare += "\n";
        accumulate += &format!("let w{j} = weight[w + {j}u];\n");
        accumulate += &sums
            .clone()
            .enumerate()
            .map(|(p, a)| format!("{a} += v{p} * w{j};"))
            .collect::<Vec<_>>()
            .join(" ");
        accumulate += "\n";
        for (p, a) in sums.enumerate() {
            store += &format!("store(x0 + {p}u, gid.y, co + {}u, {a});\n", 4 * j);
        }
    }
    [
        ("declare", declare),
        ("accumulate", accumulate),
        ("store", store),
    ]
}

/// `[O, I, K, K]` weights as the kernels read them: `[blocks][I][K][K]
/// [per_block]`, output channels beyond `O` zero.
/// In `dtype`, the activations' precision.
fn block_weights(weight: &GpuTensor, per_block: usize, blocks: usize, dtype: DType) -> GpuTensor {
    let weight = Tensor::<Gpu, 4>::from_primitive(TensorPrimitive::Float(weight.clone()));
    let [cout, cin, k, _] = weight.dims();
    let missing = blocks * per_block - cout;
    let weight = if missing > 0 {
        let zeros = Tensor::zeros([missing, cin, k, k], &weight.device());
        Tensor::cat(vec![weight, zeros], 0)
    } else {
        weight
    };
    let laid = weight
        .reshape([blocks, per_block, cin, k * k])
        .permute([0, 2, 3, 1]);
    let laid = into_contiguous(laid.into_primitive().tensor());
    if dtype == DType::F32 {
        laid
    } else {
        cast(laid, dtype)
    }
}

pub(super) fn dims(x: &GpuTensor) -> [usize; 4] {
    let shape = x.meta.shape();
    let at = |i: usize| shape.get(i).copied().unwrap_or(1);
    match shape.num_dims() {
        4 => [at(0), at(1), at(2), at(3)],
        _ => [shape.num_elements(), 1, 1, 1],
    }
}

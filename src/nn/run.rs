//! Runs a network's convolution stages on the fastest path that applies:
//! the crate's GPU kernels on burn's wgpu backend, burn's ops elsewhere.

use burn::prelude::*;

use super::kernels;
use super::stage::{ConvStage, Precision, run_stages_plain};

/// Runs `stages` in order on `x` (`[N, C, H, W]`), with the residual
/// connections they mark: with the crate's GPU kernels when `x` lives on
/// burn's wgpu backend and they apply (batch 1), with burn's ops otherwise.
pub fn run_stages<B: Backend>(stages: &[ConvStage<B>], x: Tensor<B, 4>) -> Tensor<B, 4> {
    run_stages_with(stages, x, Precision::F32)
}

/// [`run_stages`] with the kernels' `precision`.
pub fn run_stages_with<B: Backend>(
    stages: &[ConvStage<B>],
    x: Tensor<B, 4>,
    precision: Precision,
) -> Tensor<B, 4> {
    kernels::run_fused(stages, &x, precision).unwrap_or_else(|| run_stages_plain(stages, x))
}

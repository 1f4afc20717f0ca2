//! The temporal loss of a style network on consecutive frames:
//! `‖S(f_t) − warp(S(f_{t−1}))‖²` over the pixels the previous frame saw,
//! with the exact warp the engine's motion vectors and depth give
//! ([`Warp`]).

use burn::prelude::*;

use super::flow::Warp;

/// Mean over visible pixels and channels of `(current − warp(previous))²`,
/// for stylized crops `[N, C, S, S]` and one warp per crop (differentiable
/// in both; zero when nothing is visible).
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::{Warp, temporal_loss};
/// // A 2×2 window whose content moved one pixel right: pixel (1, y) was (0, y).
/// let warp = Warp {
///     side: 2,
///     corners: vec![[0; 4], [0; 4], [2; 4], [2; 4]],
///     weights: vec![[1.0, 0.0, 0.0, 0.0]; 4],
///     visible: vec![false, true, false, true],
/// };
/// let device = Default::default();
/// let previous = Tensor::<CpuBackend, 4>::from_floats([[[[0.2, 0.9], [0.4, 0.7]]]], &device);
/// let current = Tensor::<CpuBackend, 4>::from_floats([[[[0.5, 0.2], [0.1, 0.4]]]], &device);
/// assert_eq!(temporal_loss(current, previous, &[warp]).into_scalar(), 0.0);
/// ```
pub fn temporal_loss<B: Backend>(
    current: Tensor<B, 4>,
    previous: Tensor<B, 4>,
    warps: &[Warp],
) -> Tensor<B, 1> {
    let [n, c, h, w] = current.dims();
    let pixels = h * w;
    let device = current.device();
    let previous = previous.reshape([n, c, pixels]);
    let mut warped = Tensor::<B, 3>::zeros([n, c, pixels], &device);
    for k in 0..4 {
        let indices: Vec<i64> = warps
            .iter()
            .flat_map(|warp| {
                (0..c).flat_map(move |_| warp.corners.iter().map(move |corners| corners[k] as i64))
            })
            .collect();
        let indices =
            Tensor::<B, 3, Int>::from_data(TensorData::new(indices, [n, c, pixels]), &device);
        let weights: Vec<f32> = warps
            .iter()
            .flat_map(|warp| warp.weights.iter().map(move |weights| weights[k]))
            .collect();
        let weights = Tensor::<B, 3>::from_data(TensorData::new(weights, [n, 1, pixels]), &device);
        warped = warped + previous.clone().gather(2, indices) * weights;
    }
    let visible: Vec<f32> = warps
        .iter()
        .flat_map(|warp| warp.visible.iter().map(|&v| f32::from(u8::from(v))))
        .collect();
    let count = visible.iter().sum::<f32>() * c as f32;
    let mask = Tensor::<B, 3>::from_data(TensorData::new(visible, [n, 1, pixels]), &device);
    let squared = (current.reshape([n, c, pixels]) - warped).powi_scalar(2) * mask;
    squared.sum().div_scalar(count.max(1.0))
}

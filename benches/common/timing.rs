//! Median wall times of synchronised GPU or CPU work, for the benchmarks.

use std::time::Instant;

use bevy_gan_style::prelude::*;
use burn::prelude::*;

/// Median milliseconds of `runs` calls of `f` after one warm-up, each
/// between two device synchronisations (so queued work is not counted).
pub fn median_ms<B: Backend>(device: &B::Device, runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..=runs)
        .map(|_| {
            let _ = B::sync(device);
            let start = Instant::now();
            f();
            let _ = B::sync(device);
            start.elapsed().as_secs_f64() * 1e3
        })
        .skip(1)
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Median milliseconds of `runs` forward passes of a style network (after
/// one warm-up) at each `(width, height)`, in stored style 0.
#[allow(dead_code, reason = "not every bench times style networks")]
pub fn forward_ms<B: StageBackend>(
    model: &StyleModel,
    device: &B::Device,
    sizes: &[(usize, usize)],
    runs: usize,
) -> Vec<f64> {
    let net = model.build::<B>(device).expect("weights load");
    let style = model
        .style_tensor::<B>(&StyleWeights::single(0), device)
        .expect("style");
    sizes
        .iter()
        .map(|&(w, h)| {
            let input =
                Tensor::<B, 4>::random([1, 3, h, w], burn::tensor::Distribution::Default, device);
            median_ms::<B>(device, runs, || {
                drop(net.forward(input.clone(), style.clone()));
            })
        })
        .collect()
}

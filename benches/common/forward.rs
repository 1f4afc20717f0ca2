//! Forward-pass time of a style network on one burn backend.

use std::time::Instant;

use bevy_gan_style::prelude::*;
use burn::prelude::*;

/// Median milliseconds of `runs` forward passes (after one warm-up) at
/// each `(width, height)`, in stored style 0.
pub fn forward_ms<B: Backend>(
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
            let mut times: Vec<f64> = (0..=runs)
                .map(|_| {
                    let start = Instant::now();
                    let out = net.forward(input.clone(), style.clone());
                    let _ = B::sync(device);
                    drop(out);
                    start.elapsed().as_secs_f64() * 1e3
                })
                .skip(1)
                .collect();
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        })
        .collect()
}

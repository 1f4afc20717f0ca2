//! Forward-pass time of the multistyle26 network on burn's CPU backend, on
//! the GPU adapter Bevy renders with, and in onnxruntime on the same weights,
//! measured side by side in one run.
//!
//! ```text
//! cargo bench --bench backends            # needs `pip install onnxruntime` for the ORT column
//! ```

#[path = "common/adapter.rs"]
mod adapter;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/gpu.rs"]
mod gpu;
#[path = "../examples/common/headless.rs"]
mod headless;
#[path = "common/ort.rs"]
mod ort;
#[path = "common/root.rs"]
mod root;

use std::time::Instant;

use bevy_gan_style::prelude::*;
use burn::prelude::*;

const SIZES: [(usize, usize); 2] = [(256, 168), (640, 360)];
const RUNS: usize = 5;

/// Median milliseconds of `RUNS` forward passes (after one warm-up) at each size.
fn time_backend<B: Backend>(model: &StyleModel, device: &B::Device) -> Vec<f64> {
    let net = model.build::<B>(device).expect("weights load");
    let style = model
        .style_tensor::<B>(&StyleWeights::single(0), device)
        .expect("style");
    SIZES
        .iter()
        .map(|&(w, h)| {
            let input =
                Tensor::<B, 4>::random([1, 3, h, w], burn::tensor::Distribution::Default, device);
            let mut times: Vec<f64> = (0..=RUNS)
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

fn main() {
    println!("CPU: {}", cpu::cpu_name());
    let model = StyleModel::load_file(format!(
        "{}/assets/models/multistyle26.style.ron",
        root::root()
    ))
    .expect("model");
    let mut rows: Vec<(String, Vec<f64>)> = vec![(
        "burn flex (CPU backend)".into(),
        time_backend::<CpuBackend>(&model, &Default::default()),
    )];
    if let Some(gpu) = gpu::bevy_gpu() {
        rows.push((
            format!("burn wgpu on Bevy's device ({})", gpu.adapter),
            time_backend::<GpuBackend>(&model, &gpu.device),
        ));
    }
    let sizes: Vec<(u32, u32)> = SIZES.iter().map(|&(w, h)| (w as u32, h as u32)).collect();
    let ort = ort::onnxruntime(&sizes);
    if let Some(ort) = &ort {
        rows.push(("onnxruntime (CPU)".into(), ort.clone()));
    }

    let header: Vec<String> = SIZES.iter().map(|(w, h)| format!("{w}×{h} ms")).collect();
    println!(
        "| backend | {} |{}",
        header.join(" | "),
        if ort.is_some() {
            " ratio to onnxruntime |"
        } else {
            ""
        }
    );
    println!(
        "|---|{}{}",
        "---|".repeat(SIZES.len()),
        if ort.is_some() { "---|" } else { "" }
    );
    for (name, times) in &rows {
        let cells: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
        let ratio = ort.as_ref().map(|ort| {
            let r: Vec<String> = times
                .iter()
                .zip(ort)
                .map(|(t, o)| format!("{:.2}×", t / o))
                .collect();
            format!(" {} |", r.join(", "))
        });
        println!(
            "| {name} | {} |{}",
            cells.join(" | "),
            ratio.unwrap_or_default()
        );
    }
}

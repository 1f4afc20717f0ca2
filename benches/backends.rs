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
#[path = "common/timing.rs"]
mod timing;

use bevy_gan_style::prelude::*;
use timing::forward_ms;

const SIZES: [(usize, usize); 2] = [(256, 168), (640, 360)];
const RUNS: usize = 5;

fn main() {
    println!("CPU: {}", cpu::cpu_name());
    let model = StyleModel::load_file(format!(
        "{}/assets/models/multistyle26.style.ron",
        root::root()
    ))
    .expect("model");
    let mut rows: Vec<(String, Vec<f64>)> = vec![(
        "burn flex (CPU backend)".into(),
        forward_ms::<CpuBackend>(&model, &Default::default(), &SIZES, RUNS),
    )];
    if let Some(gpu) = gpu::bevy_gpu() {
        rows.push((
            format!("burn wgpu on Bevy's device ({})", gpu.adapter),
            forward_ms::<GpuBackend>(&model, &gpu.device, &SIZES, RUNS),
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

//! Magenta's arbitrary-style networks: style predictor (256×256 style image)
//! and transformer (at 256×168, 256², 640×360 and 1280×720) on burn's CPU backend, on
//! the GPU adapter Bevy renders with, and in onnxruntime on the float ONNX
//! files of the same weights, measured side by side in one run.
//!
//! ```text
//! cargo bench --bench arbitrary      # needs `pip install onnxruntime` for the ORT row
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

use bevy_gan_style::model::StyleNet;
use bevy_gan_style::prelude::*;
use burn::prelude::*;
use burn::tensor::Distribution;
use timing::median_ms;

const SIZES: [(usize, usize); 4] = [(256, 168), (256, 256), (640, 360), (1280, 720)];
const RUNS: usize = 3;

/// Predictor, then transformer at each size.
fn time_backend<B: StageBackend>(model: &StyleModel, device: &B::Device) -> Vec<f64> {
    let StyleNet::Arbitrary(net) = model.build::<B>(device).expect("weights load") else {
        panic!("the card is not an arbitrary-style model");
    };
    let style_image = Tensor::<B, 4>::random([1, 3, 256, 256], Distribution::Default, device);
    let style = net.predict(style_image.clone());
    let mut row = vec![median_ms::<B>(device, RUNS, || {
        drop(net.predict(style_image.clone()));
    })];
    for &(w, h) in &SIZES {
        let content = Tensor::<B, 4>::random([1, 3, h, w], Distribution::Default, device);
        row.push(median_ms::<B>(device, RUNS, || {
            drop(net.forward(content.clone(), style.clone()));
        }));
    }
    row
}

fn main() {
    println!("CPU: {}", cpu::cpu_name());
    let model = StyleModel::load_file(format!(
        "{}/assets/models/magenta_arbitrary.style.ron",
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
    let mut args = vec![RUNS.to_string()];
    args.extend(SIZES.iter().map(|(w, h)| format!("{w}x{h}")));
    let ort = ort::run_script(
        "ort_arbitrary.py",
        &[
            "arbitrary_predict_float.onnx",
            "arbitrary_transform_float.onnx",
        ],
        &args,
    );
    if let Some(ort) = &ort {
        rows.push(("onnxruntime (CPU, float ONNX)".into(), ort.clone()));
    }

    let sizes: Vec<String> = SIZES
        .iter()
        .map(|(w, h)| format!("transformer {w}×{h} ms"))
        .collect();
    println!("| backend | predictor 256² ms | {} |", sizes.join(" | "));
    println!("|---|{}", "---|".repeat(SIZES.len() + 1));
    for (name, times) in &rows {
        let cells: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| match &ort {
                Some(ort) => format!("{t:.1} ({:.2}×)", t / ort[i]),
                None => format!("{t:.1}"),
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    if ort.is_some() {
        println!("(in brackets: time / onnxruntime's time)");
    }
}

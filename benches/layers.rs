//! Per-layer profile of the style transformers (multistyle26 and Magenta's
//! arbitrary-style transformer) at 256×168 and 640×360: for every
//! convolution stage and every op in it, milliseconds, GMAC and the
//! fraction of a reference peak measured in the same run on the same
//! device (burn's best large square f32 matmul). Four paths: burn's ops
//! and the crate's kernels (f32, and f16 where the adapter has
//! `SHADER_F16`) on the GPU adapter Bevy renders with, and burn's ops on
//! the CPU backend (against the CPU backend's own matmul peak).
//! onnxruntime runs the whole networks on the same weights for comparison.
//!
//! ```text
//! cargo bench --bench layers        # needs `pip install onnxruntime` for the ORT totals
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
use bevy_gan_style::nn::kernels::{
    GpuStage, GpuTensor, conv_stage, finish_stage, half_precision_available,
};
use bevy_gan_style::nn::{
    BlockActivation, ConvStage, Skip, StagePost, instance_norm, reflect_pad, upsample_nearest2x,
};
use bevy_gan_style::prelude::*;
use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Distribution, TensorPrimitive};
use burn_cubecl::kernel::cast;
use timing::median_ms;

const SIZES: [(usize, usize); 2] = [(256, 168), (640, 360)];
const RUNS: usize = 3;

/// Best GFLOP/s of burn's square f32 matmul at 512, 1024 and 2048.
fn matmul_peak<B: Backend>(device: &B::Device) -> f64 {
    [512usize, 1024, 2048]
        .into_iter()
        .map(|n| {
            let a = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
            let b = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
            let ms = median_ms::<B>(device, RUNS, || drop(a.clone().matmul(b.clone())));
            2.0 * (n * n * n) as f64 / ms / 1e6
        })
        .fold(0.0, f64::max)
}

/// One op of one stage.
struct Op {
    stage: usize,
    name: &'static str,
    ms: f64,
    macs: u64,
}

/// A stage's label: kernel, channels, stride / upsampling.
fn label<B: Backend>(index: usize, stage: &ConvStage<B>) -> String {
    let [out, cin, k, _] = stage.weight.dims();
    let mut label = format!("{index}: {k}×{k} {cin}→{out}");
    if stage.stride > 1 {
        label.push_str(&format!(" s{}", stage.stride));
    }
    if stage.upsample {
        label.push_str(" up×2");
    }
    label
}

/// Each op of each stage with burn's ops on `B`, run on the real
/// activations of `x`.
fn profile_plain<B: Backend>(
    stages: &[ConvStage<B>],
    mut x: Tensor<B, 4>,
    device: &B::Device,
) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut saved = None;
    for (index, stage) in stages.iter().enumerate() {
        if stage.skip == Skip::Save {
            saved = Some(x.clone());
        }
        let mut time = |name, macs, f: &mut dyn FnMut()| {
            ops.push(Op {
                stage: index,
                name,
                ms: median_ms::<B>(device, RUNS, f),
                macs,
            });
        };
        let [_, _, h, w] = x.dims();
        let macs = stage.macs(w, h);
        if stage.upsample {
            let input = x.clone();
            time("upsample", 0, &mut || {
                drop(upsample_nearest2x(input.clone()))
            });
            x = upsample_nearest2x(x);
        }
        let [_, _, k, _] = stage.weight.dims();
        let input = x.clone();
        time("reflect pad", 0, &mut || {
            drop(reflect_pad(input.clone(), k / 2))
        });
        let padded = reflect_pad(x, k / 2);
        let bias = match &stage.post {
            StagePost::Bias(bias) => Some(bias.clone()),
            _ => None,
        };
        let options = ConvOptions::new([stage.stride, stage.stride], [0, 0], [1, 1], 1);
        let conv = || {
            conv2d(
                padded.clone(),
                stage.weight.clone(),
                bias.clone(),
                options.clone(),
            )
        };
        time("convolution", macs, &mut || drop(conv()));
        let mut y = conv();
        if let StagePost::Norm {
            scale,
            shift,
            epsilon,
        } = &stage.post
        {
            let input = y.clone();
            time("instance norm", 0, &mut || {
                drop(instance_norm(
                    input.clone(),
                    scale.clone(),
                    shift.clone(),
                    *epsilon,
                ))
            });
            y = instance_norm(y, scale.clone(), shift.clone(), *epsilon);
        }
        if stage.activation != BlockActivation::Identity {
            let input = y.clone();
            time("activation", 0, &mut || {
                drop(stage.activation.apply(input.clone()))
            });
            y = stage.activation.apply(y);
        }
        if let (Skip::Add, Some(input)) = (stage.skip, saved.take()) {
            let output = y.clone();
            time("residual add", 0, &mut || {
                drop(input.clone() + output.clone())
            });
            y = input + y;
        }
        x = y;
    }
    ops
}

/// Each kernel of each stage with the crate's GPU kernels, with
/// activations in `dtype` (f32, or f16 where the adapter has it).
fn profile_fused(
    stages: &[ConvStage<GpuBackend>],
    x: Tensor<GpuBackend, 4>,
    device: &burn::backend::wgpu::WgpuDevice,
    dtype: DType,
) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut x = to_dtype(x.into_primitive().tensor(), dtype);
    let mut saved = None;
    for (index, stage) in stages.iter().enumerate() {
        let [_, _, h, w] = x.meta.shape().dims::<4>();
        let macs = stage.macs(w, h);
        let (out_w, out_h) = stage.output_size(w, h);
        let gpu = GpuStage::new(stage, out_h, out_w);
        if stage.skip == Skip::Save {
            saved = Some(x.clone());
        }
        let residual = if stage.skip == Skip::Add {
            saved.take()
        } else {
            None
        };
        ops.push(Op {
            stage: index,
            name: "convolution kernel",
            ms: median_ms::<GpuBackend>(device, RUNS, || drop(conv_stage(&x, &gpu))),
            macs,
        });
        let y = conv_stage(&x, &gpu);
        // In place on the same buffer each time: the values drift, the
        // work does not.
        ops.push(Op {
            stage: index,
            name: "norm + activation kernels",
            ms: median_ms::<GpuBackend>(device, RUNS, || {
                drop(finish_stage(y.clone(), &gpu, residual.as_ref()))
            }),
            macs: 0,
        });
        let y = conv_stage(&x, &gpu);
        x = finish_stage(y, &gpu, residual.as_ref());
    }
    drop(Tensor::<GpuBackend, 4>::from_primitive(
        TensorPrimitive::Float(to_dtype(x, DType::F32)),
    ));
    ops
}

/// `x` in `dtype` (itself when it already is).
fn to_dtype(x: GpuTensor, dtype: DType) -> GpuTensor {
    if x.dtype == dtype { x } else { cast(x, dtype) }
}

/// Prints the per-stage table of one path and returns its total ms.
fn print_table<B: Backend>(title: &str, stages: &[ConvStage<B>], ops: &[Op], peak: f64) -> f64 {
    println!("\n#### {title} (matmul peak {peak:.1} GFLOP/s)\n");
    println!("| stage | GMAC | ops (ms) | stage ms | convolution GMAC/s | % of peak |");
    println!("|---|---|---|---|---|---|");
    let mut total = 0.0;
    for (index, stage) in stages.iter().enumerate() {
        let mine: Vec<&Op> = ops.iter().filter(|op| op.stage == index).collect();
        let ms: f64 = mine.iter().map(|op| op.ms).sum();
        total += ms;
        let conv = mine.iter().find(|op| op.macs > 0);
        let macs = conv.map_or(0, |op| op.macs) as f64;
        let rate = conv.map_or(0.0, |op| macs / op.ms / 1e6);
        let parts: Vec<String> = mine
            .iter()
            .map(|op| format!("{} {:.1}", op.name, op.ms))
            .collect();
        println!(
            "| {} | {:.3} | {} | {ms:.1} | {rate:.2} | {:.1} % |",
            label(index, stage),
            macs / 1e9,
            parts.join(", "),
            100.0 * 2.0 * rate / peak,
        );
    }
    let macs: u64 = ops.iter().map(|op| op.macs).sum();
    println!(
        "| **total** | {:.3} | | **{total:.1}** | {:.2} | {:.1} % |",
        macs as f64 / 1e9,
        macs as f64 / total / 1e6,
        100.0 * 2.0 * macs as f64 / total / 1e6 / peak
    );
    total
}

/// The stages of both networks on `B`: (name, stages).
fn networks<B: StageBackend>(device: &B::Device) -> Vec<(&'static str, Vec<ConvStage<B>>)> {
    let load = |card: &str| {
        StyleModel::load_file(format!("{}/assets/models/{card}.style.ron", root::root()))
            .expect("model")
    };
    let multistyle = load("multistyle26");
    let style = multistyle
        .style_tensor::<B>(&StyleWeights::single(0), device)
        .expect("style");
    let StyleNet::MultiStyle(net) = multistyle.build::<B>(device).expect("weights") else {
        panic!("multistyle26 is a multi-style network");
    };
    let StyleNet::Arbitrary(arbitrary) = load("magenta_arbitrary")
        .build::<B>(device)
        .expect("weights")
    else {
        panic!("magenta_arbitrary is an arbitrary-style network");
    };
    let vector = arbitrary.predict(Tensor::random(
        [1, 3, 256, 256],
        Distribution::Default,
        device,
    ));
    vec![
        ("multistyle26", net.stages_for(style)),
        (
            "Magenta arbitrary transformer",
            arbitrary.transformer.stages_for(vector),
        ),
    ]
}

fn main() {
    println!("CPU: {}", cpu::cpu_name());
    let cpu_device = Default::default();
    let cpu_peak = matmul_peak::<CpuBackend>(&cpu_device);
    let gpu = gpu::bevy_gpu();
    let gpu_peak = gpu
        .as_ref()
        .map(|gpu| matmul_peak::<GpuBackend>(&gpu.device));
    if let (Some(gpu), Some(peak)) = (&gpu, gpu_peak) {
        println!("GPU: {} (matmul peak {peak:.1} GFLOP/s)", gpu.driver);
    }
    println!("CPU backend matmul peak {cpu_peak:.1} GFLOP/s");

    let mut totals = Vec::new();
    for &(w, h) in &SIZES {
        for (index, (name, stages)) in networks::<CpuBackend>(&cpu_device).into_iter().enumerate() {
            println!("\n### {name}, {w}×{h}");
            let x =
                Tensor::<CpuBackend, 4>::random([1, 3, h, w], Distribution::Default, &cpu_device);
            let ops = profile_plain(&stages, x, &cpu_device);
            let cpu = print_table("burn flex (CPU backend)", &stages, &ops, cpu_peak);
            let mut row = vec![(format!("{name} {w}×{h}"), "CPU backend", cpu)];
            if let (Some(gpu), Some(peak)) = (&gpu, gpu_peak) {
                let stages = &networks::<GpuBackend>(&gpu.device)[index].1;
                let x = Tensor::<GpuBackend, 4>::random(
                    [1, 3, h, w],
                    Distribution::Default,
                    &gpu.device,
                );
                let ops = profile_plain(stages, x.clone(), &gpu.device);
                let plain = print_table(
                    &format!("burn's ops on {}", gpu.adapter),
                    stages,
                    &ops,
                    peak,
                );
                let ops = profile_fused(stages, x.clone(), &gpu.device, DType::F32);
                let fused = print_table(
                    &format!("the crate's kernels on {}", gpu.adapter),
                    stages,
                    &ops,
                    peak,
                );
                row.push((format!("{name} {w}×{h}"), "GPU, burn's ops", plain));
                row.push((format!("{name} {w}×{h}"), "GPU, kernels", fused));
                if half_precision_available(&gpu.device) {
                    let ops = profile_fused(stages, x, &gpu.device, DType::F16);
                    let half = print_table(
                        &format!("the crate's kernels in f16 on {}", gpu.adapter),
                        stages,
                        &ops,
                        peak,
                    );
                    row.push((format!("{name} {w}×{h}"), "GPU, kernels f16", half));
                }
            }
            totals.extend(row);
        }
    }

    // Whole networks in onnxruntime, same weights, same sizes.
    let sizes: Vec<(u32, u32)> = SIZES.iter().map(|&(w, h)| (w as u32, h as u32)).collect();
    let multistyle = ort::onnxruntime(&sizes);
    let mut args = vec![RUNS.to_string()];
    args.extend(SIZES.iter().map(|(w, h)| format!("{w}x{h}")));
    let arbitrary = ort::run_script(
        "ort_arbitrary.py",
        &[
            "arbitrary_predict_float.onnx",
            "arbitrary_transform_float.onnx",
        ],
        &args,
    )
    .map(|times| times.into_iter().skip(1).collect::<Vec<_>>());
    println!("\n| network | path | sum of ops ms | onnxruntime ms (whole network) |");
    println!("|---|---|---|---|");
    for (name, path, ms) in &totals {
        let size = SIZES
            .iter()
            .position(|(w, h)| name.ends_with(&format!("{w}×{h}")))
            .unwrap_or(0);
        let ort = if name.starts_with("multistyle26") {
            multistyle.as_ref()
        } else {
            arbitrary.as_ref()
        }
        .and_then(|times| times.get(size))
        .map_or("–".into(), |ms| format!("{ms:.1}"));
        println!("| {name} | {path} | {ms:.1} | {ort} |");
    }
}

//! The crate's GPU kernels for convolution stages against burn's ops: the
//! same stages run on burn's wgpu backend (the kernels) on lavapipe (or whatever
//! adapter exists), by `run_stages_plain` on the same device and on the CPU
//! backend; and the crate's CPU stages (`StageBackend` on the CPU backend)
//! against the same reference.

use bevy_gan_style::nn::{
    BlockActivation, ConvStage, Draw, Precision, Skip, StagePost, run_stages_plain,
};
use bevy_gan_style::prelude::*;
use burn::prelude::*;

use crate::util::{Gpu, max_abs_diff};

/// Deterministic values in [-1, 1).
fn values(count: usize, seed: u64) -> Vec<f32> {
    let mut rng = bevy_gan_style::nn::SplitMix64::seeded(seed);
    (0..count).map(|_| rng.range(-1.0, 1.0)).collect()
}

/// A stage description, built on any backend from the same numbers.
#[derive(Clone, Copy)]
struct Spec {
    cin: usize,
    cout: usize,
    kernel: usize,
    stride: usize,
    upsample: bool,
    post: Post,
    activation: BlockActivation,
    skip: Skip,
}

#[derive(Clone, Copy, PartialEq)]
enum Post {
    None,
    Bias,
    Norm,
    /// Two styles mixed by a smooth left-to-right map of 1/3 of the input
    /// size (resized per stage).
    Mapped,
}

impl Spec {
    fn stage<B: Backend>(&self, seed: u64, device: &B::Device) -> ConvStage<B> {
        let k = self.kernel;
        let weight = Tensor::<B, 1>::from_floats(
            values(self.cout * self.cin * k * k, seed).as_slice(),
            device,
        )
        .reshape([self.cout, self.cin, k, k])
        .div_scalar((self.cin * k * k) as f32 / 3.0);
        let channels =
            |seed| Tensor::<B, 1>::from_floats(values(self.cout, seed).as_slice(), device);
        let post = match self.post {
            Post::None => StagePost::None,
            Post::Bias => StagePost::Bias(channels(seed + 1)),
            Post::Norm => StagePost::Norm {
                scale: channels(seed + 2)
                    .add_scalar(1.5)
                    .reshape([1, self.cout, 1, 1]),
                shift: channels(seed + 3).reshape([1, self.cout, 1, 1]),
                epsilon: 1e-5,
            },
            Post::Mapped => {
                let rows = |seed| {
                    Tensor::<B, 1>::from_floats(values(2 * self.cout, seed).as_slice(), device)
                        .reshape([2, self.cout])
                };
                let ramp = Tensor::<B, 1>::from_floats([0.0, 0.3, 0.8, 1.0], device)
                    .reshape([1, 1, 1, 4])
                    .repeat_dim(2, 3);
                StagePost::MappedNorm {
                    scales: rows(seed + 2).add_scalar(1.5),
                    shifts: rows(seed + 3),
                    map: Tensor::cat(vec![ramp.clone().neg().add_scalar(1.0), ramp], 1),
                    epsilon: 1e-5,
                }
            }
        };
        ConvStage {
            weight,
            stride: self.stride,
            upsample: self.upsample,
            post,
            activation: self.activation,
            skip: self.skip,
        }
    }
}

const fn spec(cin: usize, cout: usize, kernel: usize) -> Spec {
    Spec {
        cin,
        cout,
        kernel,
        stride: 1,
        upsample: false,
        post: Post::Norm,
        activation: BlockActivation::Relu,
        skip: Skip::None,
    }
}

/// Runs `specs` on a `width × height` input three ways and compares.
fn check(gpu: &Gpu, specs: &[Spec], width: usize, height: usize, label: &str) {
    let cpu_device = Default::default();
    let input = values(specs[0].cin * width * height, 7);
    let shape = [1, specs[0].cin, height, width];
    let cpu_stages: Vec<_> = (0..specs.len())
        .map(|i| specs[i].stage::<CpuBackend>(100 * i as u64, &cpu_device))
        .collect();
    let gpu_stages: Vec<_> = (0..specs.len())
        .map(|i| specs[i].stage::<GpuBackend>(100 * i as u64, &gpu.burn))
        .collect();
    let x_cpu = Tensor::<CpuBackend, 1>::from_floats(input.as_slice(), &cpu_device).reshape(shape);
    let x_gpu = Tensor::<GpuBackend, 1>::from_floats(input.as_slice(), &gpu.burn).reshape(shape);

    let reference = run_stages_plain(&cpu_stages, x_cpu.clone());
    // burn's CPU backend runs stages with the crate's CPU stages.
    let cpu: Vec<f32> = CpuBackend::run_stages(&cpu_stages, x_cpu, Precision::F32)
        .into_data()
        .to_vec()
        .expect("f32");
    let plain_gpu = run_stages_plain(&gpu_stages, x_gpu.clone());
    // burn's wgpu backend runs stages of batch 1 with the kernels.
    let fused = GpuBackend::run_stages(&gpu_stages, x_gpu, Precision::F32);
    assert_eq!(fused.dims(), reference.dims(), "{label}: shape");
    let reference: Vec<f32> = reference.into_data().to_vec().expect("f32");
    let plain_gpu: Vec<f32> = plain_gpu.into_data().to_vec().expect("f32");
    let fused: Vec<f32> = fused.into_data().to_vec().expect("f32");
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let vs_cpu = max_abs_diff(&fused, &reference) / scale;
    let vs_gpu = max_abs_diff(&fused, &plain_gpu) / scale;
    let cpu_stages = max_abs_diff(&cpu, &reference) / scale;
    println!(
        "{label}: kernels vs CPU {vs_cpu:.2e}, vs burn on the GPU {vs_gpu:.2e} (relative to max {scale:.2})"
    );
    assert!(vs_cpu < 1e-4, "{label}: kernels vs CPU backend {vs_cpu}");
    assert!(vs_gpu < 1e-4, "{label}: kernels vs burn's GPU ops {vs_gpu}");
    assert!(
        cpu_stages < 1e-4,
        "{label}: CPU stages vs burn's CPU ops {cpu_stages}"
    );
}

#[test]
fn kernels_match_burns_ops_for_every_kind_of_stage() {
    let gpu = Gpu::new();
    // The multistyle26 head: 9×9 at full size, two stride-2 convolutions.
    let head = [
        spec(3, 32, 9),
        Spec {
            stride: 2,
            ..spec(32, 32, 3)
        },
    ];
    check(&gpu, &head, 36, 20, "9×9 3→32 + 3×3 s2");
    // A residual pair (Save / Add, identity second stage).
    let residual = [
        Spec {
            skip: Skip::Save,
            ..spec(16, 16, 3)
        },
        Spec {
            skip: Skip::Add,
            activation: BlockActivation::Identity,
            ..spec(16, 16, 3)
        },
    ];
    check(&gpu, &residual, 10, 6, "residual pair, 16 channels");
    // Upsampling stages of every width variant, a sigmoid output of 3.
    let tail = [
        Spec {
            upsample: true,
            ..spec(64, 8, 3)
        },
        Spec {
            upsample: true,
            ..spec(8, 4, 3)
        },
        Spec {
            activation: BlockActivation::Sigmoid,
            ..spec(4, 3, 9)
        },
    ];
    check(&gpu, &tail, 6, 5, "up×2 64→8, up×2 8→4, 9×9 4→3 sigmoid");
    // The arbitrary-style head: convolution with bias and ReLU, no norm;
    // more than 32 output channels (two blocks of the widest variant).
    let bias = [
        Spec {
            post: Post::Bias,
            stride: 2,
            ..spec(3, 48, 3)
        },
        Spec {
            post: Post::None,
            activation: BlockActivation::Identity,
            ..spec(48, 20, 1)
        },
    ];
    check(&gpu, &bias, 13, 9, "bias 3→48 s2, plain 1×1 48→20");
    // Style maps: per-region statistics and per-pixel mixing, at full
    // size, after a stride-2 stage and after upsampling.
    let mapped = [
        Spec {
            post: Post::Mapped,
            ..spec(3, 16, 3)
        },
        Spec {
            post: Post::Mapped,
            stride: 2,
            ..spec(16, 8, 3)
        },
        Spec {
            post: Post::Mapped,
            upsample: true,
            ..spec(8, 4, 3)
        },
    ];
    check(&gpu, &mapped, 24, 12, "style map: 3→16, s2 16→8, up×2 8→4");
    // The smallest inputs a network sees: 2×2 at a quarter of 8×8.
    check(&gpu, &head[1..], 4, 4, "3×3 s2 at 4×4");
}

#[test]
fn networks_run_the_kernels_on_the_gpu() {
    let gpu = Gpu::new();
    let model =
        StyleModel::load_file(crate::util::root().join("assets/models/multistyle26.style.ron"))
            .expect("bundled model");
    let bevy_gan_style::model::StyleNet::MultiStyle(net) =
        model.build::<GpuBackend>(&gpu.burn).expect("weights")
    else {
        panic!("multistyle26 is a multi-style network");
    };
    let style = model
        .style_tensor::<GpuBackend>(&StyleWeights::single(3), &gpu.burn)
        .expect("style");
    let x = Tensor::<GpuBackend, 4>::random(
        [1, 3, 24, 16],
        burn::tensor::Distribution::Default,
        &gpu.burn,
    );
    let stages = net.stages_for(style.clone());
    // Batch 2 is not for the kernels: burn's ops run it.
    let pair = Tensor::cat(vec![x.clone(), x.clone()], 0);
    let batch: Vec<f32> = GpuBackend::run_stages(&stages, pair.clone(), Precision::F32)
        .into_data()
        .to_vec()
        .expect("f32");
    let plain: Vec<f32> = run_stages_plain(&stages, pair)
        .into_data()
        .to_vec()
        .expect("f32");
    assert_eq!(batch, plain, "a batch of 2 runs burn's ops");
    let forward: Vec<f32> = net
        .forward(x.clone(), style)
        .into_data()
        .to_vec()
        .expect("f32");
    let fused: Vec<f32> = GpuBackend::run_stages(&stages, x, Precision::F32)
        .into_data()
        .to_vec()
        .expect("f32");
    assert_eq!(forward, fused, "forward on the GPU is the kernels' result");
}

/// Half precision against f32 on the same device: multistyle26 on the
/// photo at 64×48. Tolerance: max 0.03 (8/255), mean 0.003 of the output range.
#[test]
fn half_precision_stays_close_to_f32() {
    let gpu = Gpu::new();
    if !bevy_gan_style::nn::half_precision_available(&gpu.burn) {
        println!("the adapter has no SHADER_F16: f16 falls back to f32, nothing to compare");
        return;
    }
    let model =
        StyleModel::load_file(crate::util::root().join("assets/models/multistyle26.style.ron"))
            .expect("bundled model");
    let net = model.build::<GpuBackend>(&gpu.burn).expect("weights");
    let style = model
        .style_tensor::<GpuBackend>(&StyleWeights::single(5), &gpu.burn)
        .expect("style");
    // The bundled photo at 64×48 (a fixed input: uniform noise drawn
    // afresh each run passed mostly but once gave a maximum of 0.059).
    let photo = image::open(crate::util::root().join("assets/images/chelsea_256x168.png"))
        .expect("bundled photo")
        .resize_exact(64, 48, image::imageops::FilterType::Triangle)
        .to_rgba8();
    let x = bevy_gan_style::bridge::image_to_tensor::<GpuBackend>(
        &photo,
        model.card().input_range,
        &gpu.burn,
    );
    let full = net.forward(x.clone(), style.clone());
    let half = net.forward_with(x, style, Precision::F16);
    let diff = (full - half).abs();
    let max = diff.clone().max().into_scalar();
    let mean = diff.mean().into_scalar();
    println!("f16 vs f32: max {max:.4}, mean {mean:.5}");
    assert!(
        max < 0.03 && mean < 0.003,
        "f16 vs f32: max {max}, mean {mean}"
    );
    assert!(max > 0.0, "f16 ran in f32");
}

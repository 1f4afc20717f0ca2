//! Milliseconds to generate a texture with each shipped texture model at
//! 256², 512² and 1024², on the GPU adapter Bevy renders with and on burn's
//! CPU backend, side by side in one run; then gravel at 1024² and 2048²
//! generated at 512² and upscaled (`generate_upscaled`, one or two passes
//! of `photo_x2`, in tiles on the GPU), against generating it directly.
//!
//! ```text
//! cargo bench --bench textures
//! ```

#[path = "common/adapter.rs"]
mod adapter;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/gpu.rs"]
mod gpu;
#[path = "../examples/common/headless.rs"]
mod headless;
#[path = "common/root.rs"]
mod root;
#[path = "common/timing.rs"]
mod timing;

use bevy::math::UVec2;
use bevy_gan_style::nn::StageBackend;
use bevy_gan_style::prelude::*;
use bevy_gan_style::texture::{generate, generate_upscaled};
use bevy_gan_style::upscale::tile_side;
use burn::prelude::*;
use timing::median_ms;

const MODELS: [&str; 3] = ["water_caustics", "ink_clouds", "herringbone_bricks"];
const SIZES: [u32; 3] = [256, 512, 1024];
const RUNS: usize = 3;

/// Median milliseconds of `RUNS` generations (after one warm-up), waiting
/// for the device each time.
fn time<B: Backend>(model: &TextureModel, size: u32, device: &B::Device) -> f64 {
    let net = model.build::<B>(device).expect("weights");
    let params = TextureParams {
        size: UVec2::splat(size),
        ..Default::default()
    };
    median_ms::<B>(device, RUNS, || {
        drop(generate(&net, &model.card().generator, &params));
    })
}

/// Median milliseconds of a `size`² texture generated at 512² and brought
/// to size by `passes` passes of `upscaler`.
fn time_upscaled<B: StageBackend>(
    (model, upscaler): (&TextureModel, &UpscaleModel),
    (size, passes): (u32, u32),
    tile: Option<usize>,
    device: &B::Device,
) -> f64 {
    let net = model.build::<B>(device).expect("weights");
    let up = upscaler.build::<B>(device).expect("weights");
    let params = TextureParams {
        size: UVec2::splat(size),
        ..Default::default()
    };
    median_ms::<B>(device, RUNS, || {
        let config = &model.card().generator;
        let texture = generate_upscaled(&net, config, &params, (&up, passes), tile);
        drop(texture.expect("a size that suits the passes"));
    })
}

fn main() {
    println!("CPU: {}", cpu::cpu_name());
    let gpu = gpu::bevy_gpu();
    if let Some(gpu) = &gpu {
        println!("GPU: {}", gpu.driver);
    }
    let header: Vec<String> = SIZES.iter().map(|s| format!("{s}² ms")).collect();
    println!("| model | backend | {} |", header.join(" | "));
    println!("|---|---|{}", "---|".repeat(SIZES.len()));
    for name in MODELS {
        let model = TextureModel::load_file(format!(
            "{}/assets/textures/{name}.texture.ron",
            root::root()
        ))
        .expect("shipped model");
        let cpu: Vec<String> = SIZES
            .iter()
            .map(|&s| format!("{:.1}", time::<CpuBackend>(&model, s, &Default::default())))
            .collect();
        println!("| {name} | burn flex (CPU) | {} |", cpu.join(" | "));
        if let Some(gpu::BenchGpu {
            adapter,
            max_binding: limit,
            device,
            ..
        }) = &gpu
        {
            let cells: Vec<String> = SIZES
                .iter()
                .map(|&s| match model.check_device_limit(s, s, *limit) {
                    Ok(()) => format!("{:.1}", time::<GpuBackend>(&model, s, device)),
                    Err(_) => "over the binding limit".into(),
                })
                .collect();
            println!("| {name} | burn wgpu ({adapter}) | {} |", cells.join(" | "));
        }
    }
    past_the_limit(gpu.as_ref());
}

/// gravel at 1024² and 2048²: directly, and from 512² with the upscaler.
fn past_the_limit(gpu: Option<&gpu::BenchGpu>) {
    let root = root::root();
    let model = TextureModel::load_file(format!("{root}/assets/textures/gravel.texture.ron"))
        .expect("shipped model");
    let upscaler = UpscaleModel::load_file(format!("{root}/assets/upscalers/photo_x2.upscale.ron"))
        .expect("shipped upscaler");
    println!("\n| gravel | backend | 1024² ms | 2048² ms |");
    println!("|---|---|---|---|");
    let cpu = Default::default();
    let row = |direct: &dyn Fn(u32) -> String, upscaled: &dyn Fn(u32, u32) -> String| {
        (
            [1024, 2048].map(direct).join(" | "),
            [(1024, 1), (2048, 2)]
                .map(|(s, p)| upscaled(s, p))
                .join(" | "),
        )
    };
    let (direct, upscaled) = row(
        &|s| format!("{:.0}", time::<CpuBackend>(&model, s, &cpu)),
        &|s, p| {
            let ms = time_upscaled::<CpuBackend>((&model, &upscaler), (s, p), None, &cpu);
            format!("{ms:.0}")
        },
    );
    println!("| directly | burn flex (CPU) | {direct} |");
    println!("| 512² + upscaler | burn flex (CPU) | {upscaled} |");
    if let Some(gpu) = gpu {
        let tile = tile_side(&upscaler.card().network, gpu.max_binding);
        let (direct, upscaled) = row(
            &|s| match model.check_device_limit(s, s, gpu.max_binding) {
                Ok(()) => format!("{:.0}", time::<GpuBackend>(&model, s, &gpu.device)),
                Err(_) => "over the binding limit".into(),
            },
            &|s, p| {
                let ms =
                    time_upscaled::<GpuBackend>((&model, &upscaler), (s, p), tile, &gpu.device);
                format!("{ms:.0}")
            },
        );
        println!("| directly | burn wgpu ({}) | {direct} |", gpu.adapter);
        println!(
            "| 512² + upscaler | burn wgpu ({}) | {upscaled} |",
            gpu.adapter
        );
    }
}

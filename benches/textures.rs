//! Milliseconds to generate a texture with each shipped texture model at
//! 256², 512² and 1024², on the GPU adapter Bevy renders with and on burn's
//! CPU backend, side by side in one run.
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
use bevy_gan_style::prelude::*;
use bevy_gan_style::texture::generate;
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
}

//! The ×2 upscaler against stylizing at full size: milliseconds and GMAC
//! per frame for 640×360 → 1280×720 and 960×540 → 1920×1080, on the GPU
//! adapter Bevy renders with and on burn's CPU backend, side by side in one
//! run; and the camera filter's two ways to a full-size stylized frame:
//! `multistyle26` at full size against `multistyle26` at half size plus the
//! upscaler.
//!
//! ```text
//! cargo bench --bench upscale --profile dev   # the tests' build; or release
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

use bevy_gan_style::prelude::*;
use bevy_gan_style::upscale::{tile_side, upscale};
use burn::prelude::*;
use burn::tensor::Distribution;
use timing::{forward_ms, median_ms};

/// Low-resolution sizes; the outputs are twice as large.
const SIZES: [(usize, usize); 2] = [(640, 360), (960, 540)];
const RUNS: usize = 3;

fn upscale_ms<B: StageBackend>(
    model: &UpscaleModel,
    (w, h): (usize, usize),
    tile: Option<usize>,
    device: &B::Device,
) -> f64 {
    let net = model.build::<B>(device).expect("weights");
    let input = Tensor::<B, 4>::random([1, 3, h, w], Distribution::Default, device);
    median_ms::<B>(device, RUNS, || {
        drop(upscale(&net, input.clone(), 1, Edges::Mirror, tile));
    })
}

fn main() {
    let root = root::root();
    let model = UpscaleModel::load_file(format!("{root}/assets/upscalers/photo_x2.upscale.ron"))
        .expect("shipped upscaler");
    let style = StyleModel::load_file(format!("{root}/assets/models/multistyle26.style.ron"))
        .expect("shipped style model");
    let network = &model.card().network;
    let net = model
        .build::<CpuBackend>(&Default::default())
        .expect("weights");
    let style_net = style
        .build::<CpuBackend>(&Default::default())
        .expect("weights");
    println!("CPU: {}", cpu::cpu_name());
    let gpu = gpu::bevy_gpu();
    if let Some(gpu) = &gpu {
        println!("GPU: {}", gpu.driver);
    }
    let adapter = gpu
        .as_ref()
        .map_or("no GPU".to_string(), |g| g.adapter.clone());
    println!(
        "\n| frame | upscaler GMAC | CPU ms | GPU ({adapter}) ms | style at ½ + upscaler: GMAC, CPU ms, GPU ms | style at full size: GMAC, CPU ms, GPU ms |"
    );
    println!("|---|---|---|---|---|---|");
    for (w, h) in SIZES {
        let (fw, fh) = (2 * w, 2 * h);
        let up_gmac = net.macs(w, h).gmac();
        let style_half = style_net.macs(w, h).gmac();
        let style_full = style_net.macs(fw, fh).gmac();
        let cpu = Default::default();
        let up_cpu = upscale_ms::<CpuBackend>(&model, (w, h), None, &cpu);
        let half_cpu = forward_ms::<CpuBackend>(&style, &cpu, &[(w, h)], RUNS)[0];
        let full_cpu = forward_ms::<CpuBackend>(&style, &cpu, &[(fw, fh)], RUNS)[0];
        let (up_gpu, half_gpu, full_gpu) = match &gpu {
            Some(gpu) => {
                let tile = tile_side(network, gpu.max_binding);
                let fits = style
                    .check_device_limit(fw as u32, fh as u32, gpu.max_binding)
                    .is_ok();
                (
                    format!(
                        "{:.0}",
                        upscale_ms::<GpuBackend>(&model, (w, h), tile, &gpu.device)
                    ),
                    format!(
                        "{:.0}",
                        forward_ms::<GpuBackend>(&style, &gpu.device, &[(w, h)], RUNS)[0]
                    ),
                    if fits {
                        format!(
                            "{:.0}",
                            forward_ms::<GpuBackend>(&style, &gpu.device, &[(fw, fh)], RUNS)[0]
                        )
                    } else {
                        "over the binding limit".into()
                    },
                )
            }
            None => ("—".into(), "—".into(), "—".into()),
        };
        println!(
            "| {w}×{h} → {fw}×{fh} | {up_gmac:.2} | {up_cpu:.0} | {up_gpu} | {:.2}, {:.0}, {} + {} | {style_full:.2}, {full_cpu:.0}, {full_gpu} |",
            style_half + up_gmac,
            half_cpu + up_cpu,
            half_gpu,
            up_gpu,
        );
    }
}

//! Upscale an image ×2 or ×4 with a super-resolution model, headless.
//!
//! ```text
//! cargo run --release --example upscale -- --input assets/images/chelsea_256x168.png --output out/x2.png
//! cargo run --release --example upscale -- --input photo.jpg --scale 4 --output out/x4.png --cpu
//! # A tileable texture stays tileable:
//! cargo run --release --example upscale -- --input texture.png --wrap --output out/texture_x2.png
//! ```
//!
//! Runs on Bevy's render device when a hardware GPU adapter exists, on
//! burn's CPU backend otherwise (no adapter, or only a software rasteriser;
//! `--cpu` / `--gpu` choose); images
//! whose activations would not fit the device's storage-binding limit are
//! upscaled in tiles that join exactly.

#[path = "common/headless.rs"]
mod headless;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bevy::render::renderer::RenderDevice;
use bevy_gan_style::bridge::{image_to_tensor, open_image, tensor_to_image};
use bevy_gan_style::model::save_image;
use bevy_gan_style::nn::StageBackend;
use bevy_gan_style::prelude::*;
use bevy_gan_style::upscale::{tile_side, upscale};
use clap::Parser;
use headless::DeviceChoice;
use image::RgbImage;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Upscale an image with an upscaling model (a `.upscale.ron` card).
#[derive(Parser)]
struct Args {
    /// Upscaling model card.
    #[arg(long, default_value_t = format!("{ROOT}/assets/upscalers/photo_x2.upscale.ron"))]
    model: String,
    /// Image to upscale (PNG or JPEG).
    #[arg(long, default_value_t = format!("{ROOT}/assets/images/chelsea_256x168.png"))]
    input: String,
    /// Where to write the upscaled PNG.
    #[arg(long, default_value = "out/upscaled.png")]
    output: PathBuf,
    /// How many times larger on each side: the model's factor or its
    /// square (two passes).
    #[arg(long, default_value_t = 2)]
    scale: u32,
    /// The input is a tileable texture: wrap around its borders, so that
    /// the output tiles too.
    #[arg(long)]
    wrap: bool,
    /// Use burn's CPU backend even when a GPU adapter exists.
    #[arg(long, conflicts_with = "gpu")]
    cpu: bool,
    /// Use Bevy's render device even when it is a software rasteriser
    /// (without it, such a machine runs the CPU backend, which is faster).
    #[arg(long)]
    gpu: bool,
    /// Timed runs after the first one (which includes shader compilation).
    #[arg(long, default_value_t = 2)]
    runs: usize,
}

fn main() -> ExitCode {
    headless::quiet_display_probe();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let model = UpscaleModel::load_file(&args.model)?;
    model.unguided()?;
    let factor = model.factor();
    let passes = model.passes_for(args.scale).ok_or_else(|| {
        format!(
            "--scale {} does not suit `{}` (×{factor}): use {factor} or {}",
            args.scale,
            model.card().name,
            factor * factor
        )
    })?;
    let input = open_image(&args.input)
        .map_err(|e| format!("cannot read {}: {e}", args.input))?
        .to_rgba8();
    let (width, height) = input.dimensions();
    let (out_w, out_h) = (width * args.scale, height * args.scale);
    if out_w.max(out_h) > bevy_gan_style::bridge::MAX_IMAGE_SIDE {
        return Err(format!("a {out_w}×{out_h} output is too large").into());
    }
    let edges = if args.wrap {
        Edges::Wrap
    } else {
        Edges::Mirror
    };

    let (app, burn_device, device_name) =
        headless::tool_device(DeviceChoice::from_flags(args.cpu, args.gpu))?;
    let (output, times, tile) = match (burn_device, app) {
        (BurnDevice::Gpu(device), Some(app)) => {
            let render_device = app.world().resource::<RenderDevice>();
            let max_binding = render_device.limits().max_storage_buffer_binding_size;
            let output_bytes = 3 * out_w as u64 * out_h as u64 * 4;
            if output_bytes > max_binding {
                return Err(format!(
                    "a {out_w}×{out_h} output needs {} MiB, over this GPU's {} MiB \
                     storage-binding limit: use --cpu",
                    output_bytes >> 20,
                    max_binding >> 20
                )
                .into());
            }
            let tile = tile_side(&model.card().network, max_binding)
                .ok_or("the network does not fit this GPU at all")?;
            let net = model.build::<GpuBackend>(&device)?;
            let (image, times) = timed(args.runs, || {
                upscale_image(&net, &input, passes, edges, Some(tile), &device)
            });
            (image, times, Some(tile))
        }
        (BurnDevice::Gpu(_), None) => return Err("a GPU device without its app".into()),
        (BurnDevice::Cpu(device), _) => {
            let net = model.build::<CpuBackend>(&device)?;
            let (image, times) = timed(args.runs, || {
                upscale_image(&net, &input, passes, edges, None, &device)
            });
            (image, times, None)
        }
    };

    save_image(&output.into(), &args.output)?;
    println!("device:    {device_name}");
    println!(
        "model:     {} (×{factor}, {} pass{})",
        model.card().name,
        passes,
        if passes > 1 { "es" } else { "" }
    );
    println!("image:     {width}×{height} → {out_w}×{out_h}");
    if let Some(tile) = tile.filter(|&t| t < width.max(height) as usize) {
        println!("tiles:     {tile}×{tile} input pixels (the device's storage-binding limit)");
    }
    let (first, rest) = times.split_first().ok_or("no run")?;
    println!(
        "upscaling: first run {:.1} ms (includes shader compilation / autotuning)",
        ms(*first)
    );
    if !rest.is_empty() {
        let mut sorted = rest.to_vec();
        sorted.sort();
        println!(
            "upscaling: median {:.1} ms over {} runs (image in → network → image out)",
            ms(sorted[sorted.len() / 2]),
            sorted.len()
        );
    }
    println!("wrote:     {}", args.output.display());
    Ok(())
}

/// One upscaling, from pixels to pixels.
fn upscale_image<B: StageBackend>(
    net: &bevy_gan_style::nn::Upscaler<B>,
    input: &image::RgbaImage,
    passes: u32,
    edges: Edges,
    tile: Option<usize>,
    device: &B::Device,
) -> RgbImage {
    let x = image_to_tensor::<B>(input, (0.0, 1.0), device);
    tensor_to_image(
        upscale(net, x, passes, edges, tile).clamp(0.0, 1.0),
        (0.0, 1.0),
    )
}

/// Runs `f` once plus `runs` times; the last result and each run's time.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Vec<Duration>) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..=runs {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed());
    }
    (last.expect("at least one run"), times)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

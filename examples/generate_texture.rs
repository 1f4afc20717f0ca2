//! Generate a texture with a texture model, headless, and write PNGs.
//!
//! ```text
//! cargo run --release --example generate_texture
//! cargo run --release --example generate_texture -- --model assets/textures/ink_clouds.texture.ron \
//!     --size 512 --seed 7 --morph-seed 9 --morph 0.5 --output out/ink.png --tiled out/ink_2x2.png
//! # 2048²: generated at 512², upscaled ×4 (two passes of photo_x2), still tileable
//! cargo run --release --example generate_texture -- --model assets/textures/gravel.texture.ron \
//!     --size 2048 --upscale 4 --output out/gravel_2048.png
//! ```
//!
//! Runs on Bevy's render device when a hardware GPU adapter exists, on
//! burn's CPU backend otherwise (no adapter, or only a software rasteriser;
//! `--cpu` / `--gpu` choose). `--upscale` generates at a fraction
//! of `--size` and brings the texture to full size with an upscaling model
//! (in tiles where a pass would not fit the device), wrapping around the
//! borders so that it stays tileable: sizes the generator cannot reach on
//! the device (a software rasteriser refuses it above 512²), or cheaper.

#[path = "common/headless.rs"]
mod headless;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bevy_gan_style::bridge::tensor_to_image;
use bevy_gan_style::model::save_image;
use bevy_gan_style::nn::{StageBackend, TEXTURE_RANGE};
use bevy_gan_style::prelude::*;
use bevy_gan_style::texture::{generate, generate_upscaled};
use bevy_gan_style::upscale::tile_side;
use clap::Parser;
use headless::DeviceChoice;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Generate a (tileable) texture with a texture model (`*.texture.ron`).
#[derive(Parser)]
struct Args {
    /// Texture model card.
    #[arg(long, default_value_t = format!("{ROOT}/assets/textures/water_caustics.texture.ron"))]
    model: String,
    /// Side of the square texture (a multiple of the model's cell).
    #[arg(long, default_value_t = 256)]
    size: u32,
    /// Seed of the latent field.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seed whose global code the texture morphs towards.
    #[arg(long, default_value_t = 1)]
    morph_seed: u64,
    /// Morph fraction, 0..1.
    #[arg(long, default_value_t = 0.0)]
    morph: f32,
    /// Not tileable (free wave frequencies).
    #[arg(long)]
    no_tile: bool,
    /// Where to write the texture.
    #[arg(long, default_value = "out/texture.png")]
    output: PathBuf,
    /// Also write a 2×2 tiling here, to check for seams.
    #[arg(long)]
    tiled: Option<PathBuf>,
    /// Use burn's CPU backend even when a GPU adapter exists.
    #[arg(long, conflicts_with = "gpu")]
    cpu: bool,
    /// Use Bevy's render device even when it is a software rasteriser
    /// (without it, such a machine runs the CPU backend, which is faster).
    #[arg(long)]
    gpu: bool,
    /// Generate at 1/N of `--size` and upscale ×N: the upscaling model's
    /// factor or its square (1: no upscaling).
    #[arg(long, default_value_t = 1)]
    upscale: u32,
    /// Upscaling model card for `--upscale`.
    #[arg(long, default_value_t = format!("{ROOT}/assets/upscalers/photo_x2.upscale.ron"))]
    upscaler: String,
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
    if !(0.0..=1.0).contains(&args.morph) {
        return Err(format!("--morph must be between 0 and 1, not {}", args.morph).into());
    }
    let model = TextureModel::load_file(&args.model)?;
    let upscaler = match args.upscale {
        1 => None,
        scale => {
            let upscaler = UpscaleModel::load_file(&args.upscaler)?;
            upscaler.unguided()?;
            let passes = upscaler.passes_for(scale).ok_or_else(|| {
                format!(
                    "--upscale {scale} does not suit `{}` (×{f}): use {f} or {}",
                    upscaler.card().name,
                    upscaler.factor().pow(2),
                    f = upscaler.factor(),
                )
            })?;
            Some((upscaler, passes))
        }
    };
    // The generator's size.
    let (low_w, low_h) = match &upscaler {
        Some((upscaler, passes)) => {
            model.generated_size(args.size, args.size, upscaler.factor(), *passes)?
        }
        None => model
            .latent_size(args.size, args.size)
            .map(|_| (args.size, args.size))?,
    };
    let params = TextureParams {
        size: bevy::math::UVec2::splat(args.size),
        seed: args.seed,
        morph_seed: args.morph_seed,
        morph: args.morph,
        tileable: !args.no_tile,
        phase_shift: 0.0,
    };
    let (app, burn_device, device) =
        headless::tool_device(DeviceChoice::from_flags(args.cpu, args.gpu))?;
    // The first run compiles kernels; the second is timed.
    let (image, ms) = match (burn_device, app) {
        (BurnDevice::Gpu(device), Some(app)) => {
            let limits = app
                .world()
                .resource::<bevy::render::renderer::RenderDevice>()
                .limits();
            let max_binding = limits.max_storage_buffer_binding_size;
            model.check_device_limit(low_w, low_h, max_binding)?;
            let tile = match &upscaler {
                Some((upscaler, _)) => Some(
                    tile_side(&upscaler.card().network, max_binding)
                        .ok_or("the upscaler does not fit this GPU at all")?,
                ),
                None => None,
            };
            let (image, time) =
                timed(|| texture::<GpuBackend>(&model, &upscaler, &params, tile, &device))?;
            (image, time)
        }
        (BurnDevice::Gpu(_), None) => return Err("a GPU device without its app".into()),
        (BurnDevice::Cpu(device), _) => {
            let (image, time) =
                timed(|| texture::<CpuBackend>(&model, &upscaler, &params, None, &device))?;
            (image, time)
        }
    };
    save_image(&image.clone().into(), &args.output)?;
    let how = match &upscaler {
        Some((upscaler, passes)) => format!(
            " (generated at {low_w}×{low_h}, {passes} pass{} of {})",
            if *passes > 1 { "es" } else { "" },
            upscaler.card().name
        ),
        None => String::new(),
    };
    println!("device: {device}");
    println!(
        "{}: {}×{}{how} in {:.1} ms (with readback) → {}",
        model.card().name,
        args.size,
        args.size,
        ms.as_secs_f64() * 1e3,
        args.output.display()
    );
    if let Some(tiled) = &args.tiled {
        let mut sheet = image::RgbImage::new(2 * args.size, 2 * args.size);
        for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            image::imageops::replace(
                &mut sheet,
                &image,
                (x * args.size) as i64,
                (y * args.size) as i64,
            );
        }
        save_image(&sheet.into(), tiled)?;
        println!("2×2 tiling → {}", tiled.display());
    }
    Ok(())
}

/// The texture, generated (and upscaled) on backend `B`.
fn texture<B: StageBackend>(
    model: &TextureModel,
    upscaler: &Option<(UpscaleModel, u32)>,
    params: &TextureParams,
    tile: Option<usize>,
    device: &B::Device,
) -> Result<image::RgbImage, Box<dyn Error>> {
    let net = model.build::<B>(device)?;
    let config = &model.card().generator;
    let output = match upscaler {
        Some((upscaler, passes)) => {
            let upscaler = upscaler.build::<B>(device)?;
            generate_upscaled(&net, config, params, (&upscaler, *passes), tile)?
        }
        None => generate(&net, config, params),
    };
    Ok(tensor_to_image(output, TEXTURE_RANGE))
}

/// Runs `f` twice (the first compiles kernels); the second's result and time.
fn timed<T>(
    mut f: impl FnMut() -> Result<T, Box<dyn Error>>,
) -> Result<(T, Duration), Box<dyn Error>> {
    f()?;
    let start = Instant::now();
    let result = f()?;
    Ok((result, start.elapsed()))
}

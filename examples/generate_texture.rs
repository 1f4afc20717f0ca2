//! Generate a texture with a texture model, headless, and write PNGs.
//!
//! ```text
//! cargo run --release --example generate_texture
//! cargo run --release --example generate_texture -- --model assets/textures/ink_clouds.texture.ron \
//!     --size 512 --seed 7 --morph-seed 9 --morph 0.5 --output out/ink.png --tiled out/ink_2x2.png
//! ```
//!
//! Runs on Bevy's render device when a GPU adapter exists, on burn's CPU
//! backend otherwise (or with `--cpu`).

#[path = "common/headless.rs"]
mod headless;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bevy_gan_style::bridge::tensor_to_image;
use bevy_gan_style::nn::TEXTURE_RANGE;
use bevy_gan_style::prelude::*;
use bevy_gan_style::texture::generate;
use clap::Parser;

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
    #[arg(long)]
    cpu: bool,
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
    model.latent_size(args.size, args.size)?;
    let params = TextureParams {
        size: bevy::math::UVec2::splat(args.size),
        seed: args.seed,
        morph_seed: args.morph_seed,
        morph: args.morph,
        tileable: !args.no_tile,
        phase_shift: 0.0,
    };
    let (app, burn_device) = headless::tool_device(args.cpu);
    let config = &model.card().generator;
    // The first run compiles kernels; the second is timed.
    let (image, device, ms) = match (burn_device, app) {
        (BurnDevice::Gpu(device), Some(app)) => {
            let limits = app
                .world()
                .resource::<bevy::render::renderer::RenderDevice>()
                .limits();
            model.check_device_limit(
                args.size,
                args.size,
                limits.max_storage_buffer_binding_size,
            )?;
            let net = model.build::<GpuBackend>(&device)?;
            tensor_to_image(generate(&net, config, &params), TEXTURE_RANGE);
            let start = Instant::now();
            let image = tensor_to_image(generate(&net, config, &params), TEXTURE_RANGE);
            (image, "GPU (Bevy's render device)", start.elapsed())
        }
        (BurnDevice::Gpu(_), None) => return Err("a GPU device without its app".into()),
        (BurnDevice::Cpu(device), _) => {
            let net = model.build::<CpuBackend>(&device)?;
            tensor_to_image(generate(&net, config, &params), TEXTURE_RANGE);
            let start = Instant::now();
            let image = tensor_to_image(generate(&net, config, &params), TEXTURE_RANGE);
            (image, "CPU backend", start.elapsed())
        }
    };
    if let Some(dir) = args.output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    image.save(&args.output)?;
    println!(
        "{}: {}×{} on the {device} in {:.1} ms (with readback) → {}",
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
        sheet.save(tiled)?;
        println!("2×2 tiling → {}", tiled.display());
    }
    Ok(())
}

//! Stylize an image with a style model, headless.
//!
//! ```text
//! cargo run --release --example stylize
//! cargo run --release --example stylize -- --input photo.jpg --style 12=0.5,20=0.5 --output out.png
//! cargo run --release --example stylize -- --model assets/models/magenta_arbitrary.style.ron \
//!     --style-image assets/styles/the_scream.jpg --strength 0.8 --input photo.jpg --output out.png
//! ```
//!
//! Runs on Bevy's render device when any GPU adapter exists (software ones
//! included), on burn's CPU backend otherwise (or with `--cpu`).

#[path = "common/headless.rs"]
mod headless;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bevy::ecs::system::SystemState;
use bevy::render::RenderApp;
use bevy::render::renderer::{RenderDevice, RenderQueue};
use bevy_gan_style::bridge::{host, image_to_tensor, tensor_to_image};
use bevy_gan_style::device::gpu_adapter_available;
use bevy_gan_style::model::StyleNet;
use bevy_gan_style::prelude::*;
use burn::prelude::{Backend, Tensor};
use clap::Parser;
use image::RgbaImage;
use image::imageops::FilterType;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Stylize an image with a style model (a `.style.ron` card).
#[derive(Parser)]
struct Args {
    /// Style model card.
    #[arg(long, default_value_t = format!("{ROOT}/assets/models/multistyle26.style.ron"))]
    model: String,
    /// Image to stylize (PNG or JPEG).
    #[arg(long, default_value_t = format!("{ROOT}/assets/images/chelsea_256x168.png"))]
    input: String,
    /// Where to write the stylized PNG.
    #[arg(long, default_value = "out/stylized.png")]
    output: PathBuf,
    /// Style index (`7`) or blend (`12=0.5,20=0.5`), for models that hold
    /// styles.
    #[arg(long, default_value = "0")]
    style: StyleWeights,
    /// Style image (any size; PNG or JPEG), for arbitrary-style models.
    #[arg(long)]
    style_image: Option<PathBuf>,
    /// Strength of the style image, as Magenta defines it: the style vector
    /// is `a·s_style + (1 − a)·s_content` (1 = full style).
    #[arg(long)]
    strength: Option<f32>,
    /// Use burn's CPU backend even when a GPU adapter exists.
    #[arg(long)]
    cpu: bool,
    /// Timed runs after the first one (which includes shader compilation).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let model = StyleModel::load_file(&args.model)?;
    let input = load_input(&args.input, &model)?;
    let (width, height) = input.dimensions();

    let gpu = !args.cpu && gpu_adapter_available(headless::BACKENDS);
    let mut app = headless::headless_app(gpu);
    headless::finish_setup(&mut app);
    let burn_device = app.world().resource::<BurnDevice>().clone();

    let (stylized, device_name, times) = match burn_device {
        BurnDevice::Gpu(burn) => {
            // The bridge is a system parameter of the render world.
            let world = app.sub_app_mut(RenderApp).world_mut();
            let mut bridge_state = SystemState::<TensorBridge>::new(world);
            let bridge = bridge_state.get(world)?;
            let device = world.resource::<RenderDevice>().wgpu_device().clone();
            model.check_device_limit(
                width,
                height,
                device.limits().max_storage_buffer_binding_size,
            )?;
            let queue: &wgpu::Queue = &world.resource::<RenderQueue>().0;
            let info = world.resource::<bevy::render::renderer::RenderAdapterInfo>();
            let name = format!(
                "GPU: Bevy's render device ({}, {:?})",
                info.name, info.backend
            );
            let format = wgpu::TextureFormat::Rgba8UnormSrgb;
            let source = host::upload_texture(
                &device,
                queue,
                input.as_raw(),
                width,
                height,
                format,
                wgpu::TextureUsages::COPY_SRC,
            );
            let target = host::upload_texture(
                &device,
                queue,
                &vec![0; (width * height * 4) as usize],
                width,
                height,
                format,
                wgpu::TextureUsages::COPY_SRC,
            );
            let net = model.build::<GpuBackend>(&burn)?;
            let style = style_tensor(&model, &net, &args, &input, &burn)?;
            let card = model.card();
            let times = timed(args.runs, || {
                let x = bridge.texture_to_tensor(&source, card.input_range)?;
                let y = net.forward(x, style.clone());
                let submission = bridge.tensor_to_texture(y, card.output_range, &target)?;
                device.poll(wgpu::PollType::Wait {
                    submission_index: Some(submission),
                    timeout: None,
                })?;
                Ok(())
            })?;
            let rgba = host::read_texture(&device, queue, &target)?;
            let image = RgbaImage::from_raw(width, height, rgba).ok_or("readback size mismatch")?;
            (image::DynamicImage::from(image).to_rgb8(), name, times)
        }
        BurnDevice::Cpu(cpu) => {
            let net = model.build::<CpuBackend>(&cpu)?;
            let style = style_tensor(&model, &net, &args, &input, &cpu)?;
            let card = model.card();
            let mut output = None;
            let times = timed(args.runs, || {
                let x = image_to_tensor::<CpuBackend>(&input, card.input_range, &cpu);
                output = Some(tensor_to_image(
                    net.forward(x, style.clone()),
                    card.output_range,
                ));
                Ok(())
            })?;
            (
                output.ok_or("no run")?,
                "CPU: burn's CPU backend".to_string(),
                times,
            )
        }
    };

    if let Some(dir) = args.output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    stylized.save(&args.output)?;
    println!("device:    {device_name}");
    match &args.style_image {
        Some(path) => println!(
            "model:     {} (style image {}, strength {})",
            model.card().name,
            path.display(),
            args.strength.unwrap_or(1.0)
        ),
        None => println!("model:     {} (style {})", model.card().name, args.style),
    }
    println!("image:     {width}×{height}");
    let (first, rest) = times.split_first().ok_or("no run")?;
    println!(
        "inference: first run {:.1} ms (includes shader compilation / autotuning)",
        ms(*first)
    );
    if !rest.is_empty() {
        let mut sorted = rest.to_vec();
        sorted.sort();
        println!(
            "inference: median {:.1} ms over {} runs (image in → network → image out)",
            ms(sorted[sorted.len() / 2]),
            sorted.len()
        );
    }
    println!("wrote:     {}", args.output.display());
    Ok(())
}

/// The style input of the network: the stored styles `--style` selects, or
/// the style vector of `--style-image` (predicted once, before the timed
/// runs), weakened towards the content's own vector by `--strength`.
fn style_tensor<B: Backend>(
    model: &StyleModel,
    net: &StyleNet<B>,
    args: &Args,
    content: &RgbaImage,
    device: &B::Device,
) -> Result<Tensor<B, 2>, Box<dyn Error>> {
    if !model.card().takes_style_image() {
        if args.style_image.is_some() || args.strength.is_some() {
            return Err(format!(
                "`{}` holds its own styles: choose one with --style (--style-image and \
                 --strength are for arbitrary-style models)",
                model.card().name
            )
            .into());
        }
        return Ok(model.style_tensor::<B>(&args.style, device)?);
    }
    let path = args.style_image.as_ref().ok_or_else(|| {
        format!(
            "`{}` takes its style from a picture: give one with --style-image PATH",
            model.card().name
        )
    })?;
    let painting = image::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let style = net.predict_style_image(&painting, device)?;
    let strength = args.strength.unwrap_or(1.0);
    if !strength.is_finite() {
        return Err("--strength must be a finite number".into());
    }
    if strength == 1.0 {
        return Ok(style.tensor());
    }
    let own = net.predict_style_image(&image::DynamicImage::from(content.clone()), device)?;
    Ok(style.with_strength(&own, strength).tensor())
}

/// Reads the input and brings its sides to multiples of the model's size step.
fn load_input(path: &str, model: &StyleModel) -> Result<RgbaImage, Box<dyn Error>> {
    let image = image::open(path)
        .map_err(|e| format!("cannot read {path}: {e}"))?
        .to_rgba8();
    let (width, height) = image.dimensions();
    let step = model.card().size_multiple() as u32;
    let min = model.card().min_input_size() as u32;
    let fit = |side: u32| (((side + step / 2) / step) * step).max(min);
    let (w, h) = (fit(width), fit(height));
    if (w, h) == (width, height) {
        return Ok(image);
    }
    println!("resizing:  {width}×{height} → {w}×{h} (sides must be multiples of {step})");
    Ok(image::imageops::resize(
        &image,
        w,
        h,
        FilterType::CatmullRom,
    ))
}

/// Runs `f` once plus `runs` times and returns the wall time of each run.
fn timed(
    runs: usize,
    mut f: impl FnMut() -> Result<(), Box<dyn Error>>,
) -> Result<Vec<Duration>, Box<dyn Error>> {
    (0..=runs)
        .map(|_| {
            let start = Instant::now();
            f()?;
            Ok(start.elapsed())
        })
        .collect()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

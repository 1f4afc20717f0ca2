//! Stylize an image with a style model, headless.
//!
//! ```text
//! cargo run --release --example stylize
//! cargo run --release --example stylize -- --input photo.jpg --style 12=0.5,20=0.5 --output out.png
//! cargo run --release --example stylize -- --model assets/models/magenta_arbitrary.style.ron \
//!     --style-image assets/styles/the_scream.jpg --strength 0.8 --input photo.jpg --output out.png
//! # Style 5 where the mask is black, style 18 where it is white:
//! cargo run --release --example stylize -- --style 5 --style-b 18 --mask mask.png
//! # Shapes from style 5, strokes from style 18, the photo's own colours:
//! cargo run --release --example stylize -- --style 5 --decoder-style 18 --preserve-color luminance
//! ```
//!
//! Runs on Bevy's render device when a hardware GPU adapter exists, on
//! burn's CPU backend otherwise: with no adapter, or when the only one is a
//! software rasteriser such as lavapipe (slower than the CPU backend on
//! the same cores). `--cpu` and `--gpu` choose; the device line says which
//! ran and why.

#[path = "common/headless.rs"]
mod headless;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bevy::ecs::system::SystemState;
use bevy::render::RenderApp;
use bevy::render::renderer::{RenderDevice, RenderQueue};
use bevy_gan_style::bridge::{host, image_to_tensor, open_image, tensor_to_image};
use bevy_gan_style::model::{StyleNet, save_image};
use bevy_gan_style::nn::LayerStyles;
use bevy_gan_style::prelude::*;
use burn::prelude::{Backend, Tensor};
use clap::Parser;
use headless::DeviceChoice;
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
    /// Style index (`7`) or blend (`12=0.5,20=0.5`): of the model's
    /// styles, or for arbitrary-style models of the `--style-image`s.
    #[arg(long, default_value = "0")]
    style: StyleWeights,
    /// Style image (any size; PNG or JPEG), for arbitrary-style models;
    /// repeat it for several (the style options index them).
    #[arg(long)]
    style_image: Vec<PathBuf>,
    /// A second style, painted where `--mask` is white (black keeps
    /// `--style`, grey blends).
    #[arg(long, requires = "mask")]
    style_b: Option<StyleWeights>,
    /// Greyscale mask for `--style-b` (any size: resized to the input).
    #[arg(long, requires = "style_b")]
    mask: Option<PathBuf>,
    /// Style of the encoder (coarse structure, colour layout); default
    /// `--style`.
    #[arg(long)]
    encoder_style: Option<StyleWeights>,
    /// Style of the residual blocks; default `--style`.
    #[arg(long)]
    residual_style: Option<StyleWeights>,
    /// Style of the decoder (brush strokes, fine texture); default
    /// `--style`.
    #[arg(long)]
    decoder_style: Option<StyleWeights>,
    /// Keep the photo's colours: `off`, `luminance` (stylized brightness,
    /// the photo's chroma) or `statistics` (colour mean and spread matched).
    #[arg(long, default_value = "off")]
    preserve_color: ColorPreservation,
    /// Strength of the style image, as Magenta defines it: the style vector
    /// is `a·s_style + (1 − a)·s_content`, from 0 (the photo's own style) to
    /// 1 (the painting's).
    #[arg(long)]
    strength: Option<f32>,
    /// Use burn's CPU backend even when a GPU adapter exists.
    #[arg(long, conflicts_with = "gpu")]
    cpu: bool,
    /// Use Bevy's render device even when it is a software rasteriser
    /// (without it, such a machine runs the CPU backend, which is faster).
    #[arg(long)]
    gpu: bool,
    /// Timed runs after the first one (which includes shader compilation).
    #[arg(long, default_value_t = 3)]
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
    let model = StyleModel::load_file(&args.model)?;
    let input = load_input(&args.input, &model)?;
    let (width, height) = input.dimensions();

    let (app, burn_device, device_name) =
        headless::tool_device(DeviceChoice::from_flags(args.cpu, args.gpu))?;

    let (stylized, times) = match (burn_device, app) {
        (BurnDevice::Gpu(burn), Some(mut app)) => {
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
            let styles = layer_styles(&model, &net, &args, &input, &burn)?;
            let card = model.card();
            let times = timed(args.runs, || {
                let x = bridge.texture_to_tensor(&source, card.input_range)?;
                let y = net.forward_layered(x.clone(), &styles, Precision::F32);
                let y = card.preserve_color(x, y, args.preserve_color);
                let submission = bridge.tensor_to_texture(y, card.output_range, &target)?;
                device.poll(wgpu::PollType::Wait {
                    submission_index: Some(submission),
                    timeout: None,
                })?;
                Ok(())
            })?;
            let rgba = host::read_texture(&device, queue, &target)?;
            let image = RgbaImage::from_raw(width, height, rgba).ok_or("readback size mismatch")?;
            (image::DynamicImage::from(image).to_rgb8(), times)
        }
        (BurnDevice::Gpu(_), None) => return Err("a GPU device without its app".into()),
        (BurnDevice::Cpu(cpu), _) => {
            let net = model.build::<CpuBackend>(&cpu)?;
            let styles = layer_styles(&model, &net, &args, &input, &cpu)?;
            let card = model.card();
            let mut output = None;
            let times = timed(args.runs, || {
                let x = image_to_tensor::<CpuBackend>(&input, card.input_range, &cpu);
                let y = net.forward_layered(x.clone(), &styles, Precision::F32);
                let y = card.preserve_color(x, y, args.preserve_color);
                output = Some(tensor_to_image(y, card.output_range));
                Ok(())
            })?;
            (output.ok_or("no run")?, times)
        }
    };

    save_image(&stylized.into(), &args.output)?;
    println!("device:    {device_name}");
    if args.style_image.is_empty() {
        println!("model:     {} (style {})", model.card().name, args.style);
    } else {
        let images: Vec<String> = args
            .style_image
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        println!(
            "model:     {} (style images {}, style {}, strength {})",
            model.card().name,
            images.join(", "),
            args.style,
            args.strength.unwrap_or(1.0)
        );
    }
    if let (Some(b), Some(mask)) = (&args.style_b, &args.mask) {
        println!("region:    style {b} where {} is white", mask.display());
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

/// The network's style conditions: the styles `--style` and the layer
/// options select (stored styles, or blends of the `--style-image`s'
/// vectors, predicted once before the timed runs and weakened towards the
/// content's own vector by `--strength`), and `--style-b` where `--mask`
/// is white.
fn layer_styles<B: Backend>(
    model: &StyleModel,
    net: &StyleNet<B>,
    args: &Args,
    content: &RgbaImage,
    device: &B::Device,
) -> Result<LayerStyles<B>, Box<dyn Error>> {
    let mix = LayerMix {
        encoder: args.encoder_style.clone(),
        residual: args.residual_style.clone(),
        decoder: args.decoder_style.clone(),
    };
    let region = match (&args.style_b, &args.mask) {
        (Some(b), Some(path)) => Some(MapStyles::mask(
            b,
            mask_tensor::<B>(path, content.dimensions(), device)?,
        )),
        _ => None,
    };
    if !model.card().takes_style_image() {
        if !args.style_image.is_empty() || args.strength.is_some() {
            return Err(format!(
                "`{}` holds its own styles: choose one with --style (--style-image and \
                 --strength are for arbitrary-style models)",
                model.card().name
            )
            .into());
        }
        return Ok(mix.layer_styles(&args.style, region.clone(), |weights| {
            model.style_tensor::<B>(weights, device)
        })?);
    }
    if args.style_image.is_empty() {
        return Err(format!(
            "`{}` takes its style from a picture: give one with --style-image PATH",
            model.card().name
        )
        .into());
    }
    let strength = args.strength.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&strength) {
        return Err(format!(
            "--strength {strength} is outside 0 (the photo's own style) to 1 (the painting's)"
        )
        .into());
    }
    let own = (strength != 1.0)
        .then(|| net.predict_style_image(&image::DynamicImage::from(content.clone()), device))
        .transpose()?;
    let vectors = args
        .style_image
        .iter()
        .map(|path| {
            let painting =
                open_image(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let style = net.predict_style_image(&painting, device)?;
            Ok(match &own {
                Some(own) => style.with_strength(own, strength),
                None => style,
            })
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    Ok(mix.layer_styles(&args.style, region, |weights| {
        StyleVector::blend(&vectors, weights).map(|vector| vector.tensor())
    })?)
}

/// The greyscale mask at `path` as a `[1, 1, height, width]` tensor in
/// `[0, 1]`, resized to the input's `(width, height)`.
fn mask_tensor<B: Backend>(
    path: &PathBuf,
    (width, height): (u32, u32),
    device: &B::Device,
) -> Result<Tensor<B, 4>, Box<dyn Error>> {
    let mask = open_image(path)
        .map_err(|e| format!("cannot read mask {}: {e}", path.display()))?
        .to_luma32f();
    let mask = image::imageops::resize(&mask, width, height, FilterType::Triangle);
    let data =
        burn::tensor::TensorData::new(mask.into_raw(), [1, 1, height as usize, width as usize]);
    Ok(Tensor::from_data(data, device))
}

/// Reads the input and brings its sides to multiples of the model's size step.
fn load_input(path: &str, model: &StyleModel) -> Result<RgbaImage, Box<dyn Error>> {
    let image = open_image(path)
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

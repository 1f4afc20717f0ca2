//! Train a feed-forward style network on your own style images, with
//! content loss, Gram style loss, total variation and a patch discriminator.
//!
//! ```text
//! cargo run --release --example train_style -- \
//!     --styles ../shared/data/images/style/starry_night.jpg ../shared/data/images/style/the_scream.jpg \
//!     --content assets/images/content --frames 200 --out out/my_styles --iters 2000
//! # Add a style to an existing model (trains only its scale/shift rows):
//! cargo run --release --example train_style -- --base assets/models/multistyle26.style.ron \
//!     --styles my_painting.jpg --content photos --out out/multistyle27 --iters 500
//! cargo run --release --example train_style -- --out out/my_styles --resume --iters 4000
//! ```
//!
//! Writes into `--out`: `losses.csv`, `losses.png` (log-scale curves of the
//! loss terms), `samples-<iteration>.png` (content crops × styles),
//! `checkpoint/` (atomic; `--resume` continues from it) and the model
//! `<name>.style.ron` + `<name>.safetensors`, which `stylize` and the camera
//! filter load as they are.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[path = "common/headless.rs"]
mod headless;
#[path = "common/training.rs"]
mod training;

use bevy::camera::RenderTarget;
use bevy::prelude::{Assets, Camera3d, Image};
use bevy_gan_style::model::{StyleArchitecture, StyleNet};
use bevy_gan_style::nn::{MultiStyleConfig, VggTap};
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{
    AdversarialLoss, CaptureFrames, FrameCapturePlugin, FramesSaved, RandomScenes,
    RandomScenesPlugin, SceneCamera, StyleTrainConfig, StyleTrainer, Trainer, TrainingRun,
    frame_target,
};
use burn::tensor::backend::AutodiffBackend;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use training::{BackendArg, Train};

#[derive(Parser)]
struct Args {
    /// Style image(s) (PNG / JPEG), one style each.
    #[arg(long, num_args = 1..)]
    styles: Vec<PathBuf>,
    /// Folder(s) of content images (searched recursively).
    #[arg(long, num_args = 1..)]
    content: Vec<PathBuf>,
    /// Also render this many frames of random Bevy scenes into
    /// `<out>/frames` and train on them (kept for later runs).
    #[arg(long, default_value_t = 0)]
    frames: usize,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Add the styles to this model (`.style.ron`) instead of training a
    /// new network: only the new styles' scale/shift rows are trained.
    #[arg(long)]
    base: Option<PathBuf>,
    /// Train until this many iterations in total.
    #[arg(long, default_value_t = 2000)]
    iters: u64,
    /// Content crop size (a multiple of 4).
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// Content crops per batch.
    #[arg(long, default_value_t = 4)]
    batch: usize,
    /// Style images are resized to this shorter side.
    #[arg(long, default_value_t = 256)]
    style_size: usize,
    /// Channels of the network (its three contracting convolutions; the
    /// expanding ones get half and a quarter).
    #[arg(long, default_value_t = 32)]
    width: usize,
    /// Residual blocks.
    #[arg(long, default_value_t = 5)]
    depth: usize,
    /// α: style loss weight.
    #[arg(long, default_value_t = 2e5)]
    alpha: f32,
    /// β: total-variation weight.
    #[arg(long, default_value_t = 10.0)]
    beta: f32,
    /// λ: adversarial weight.
    #[arg(long, default_value_t = 1.0)]
    lambda: f32,
    /// Adversarial loss: none, bce, lsgan or hinge.
    #[arg(long, default_value = "lsgan")]
    adv: String,
    /// Content loss layer: relu2_2 or relu3_3.
    #[arg(long, default_value = "relu2_2")]
    content_layer: VggTap,
    /// Adam learning rate of the style network.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// The styles' scale/shift rows learn this many times faster.
    #[arg(long, default_value_t = 10.0)]
    style_lr_scale: f64,
    /// VGG16 weights (safetensors or a PyTorch `.pth`).
    #[arg(long, default_value = "assets/training/vgg16_features.safetensors")]
    vgg: PathBuf,
    /// Where to train.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Seed of initialisation, crops and style choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples, curve and checkpoint every this many iterations.
    #[arg(long, default_value_t = 100)]
    every: u64,
    /// Continue from `<out>/checkpoint` (its configuration wins).
    #[arg(long)]
    resume: bool,
    /// Model name (default: the output folder's name).
    #[arg(long)]
    name: Option<String>,
    /// Card description.
    #[arg(long, default_value = "")]
    description: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    training::run(args.backend, &args)
}

impl Train for Args {
    fn train<B: AutodiffBackend>(&self, device: &B::Device) -> Result<(), Box<dyn Error>> {
        train::<B>(self, device)
    }
}

/// Renders `args.frames` frames of random scenes into `<out>/frames` on
/// Bevy's renderer (skipped if they are there already).
fn render_frames(args: &Args) -> Result<PathBuf, Box<dyn Error>> {
    let dir = args.out.join("frames");
    let existing = std::fs::read_dir(&dir).map_or(0, |entries| entries.count());
    if existing >= args.frames {
        println!("using the {existing} frames in {}", dir.display());
        return Ok(dir);
    }
    if !bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS) {
        return Err("--frames needs a GPU adapter (software Vulkan will do: \
                    apt-get install mesa-vulkan-drivers libvulkan1)"
            .into());
    }
    let textures = std::fs::read_dir("assets/images/content")
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let mut app = headless::headless_app(true);
    app.add_plugins((RandomScenesPlugin, FrameCapturePlugin))
        .insert_resource(RandomScenes {
            frames_per_scene: 6,
            textures,
            seed: args.seed,
        });
    headless::finish_setup(&mut app);
    // Room for the crops' scale jitter.
    let side = (args.size * 5 / 4).next_multiple_of(4) as u32;
    let target = app
        .world_mut()
        .resource_mut::<Assets<Image>>()
        .add(frame_target(side * 4 / 3, side));
    app.world_mut().spawn((
        Camera3d::default(),
        RenderTarget::Image(target.into()),
        SceneCamera,
        CaptureFrames::new(&dir, args.frames),
    ));
    let bar = ProgressBar::new(args.frames as u64);
    bar.set_style(ProgressStyle::with_template(
        "rendering frames {bar:32} {pos}/{len} · {per_sec} · ETA {eta}",
    )?);
    for _ in 0..args.frames * 4 + 60 {
        app.update();
        let saved = app.world().resource::<FramesSaved>();
        if let Some(error) = saved.errors.first() {
            return Err(error.clone().into());
        }
        bar.set_position(saved.paths.len() as u64);
        if saved.paths.len() == args.frames {
            bar.finish();
            return Ok(dir);
        }
    }
    Err("the renderer stopped delivering frames".into())
}

fn config(args: &Args, num_styles: usize) -> Result<StyleTrainConfig, Box<dyn Error>> {
    let adversarial = match args.adv.as_str() {
        "none" => None,
        other => Some(other.parse::<AdversarialLoss>()?),
    };
    let w = args.width;
    let net = MultiStyleConfig::new(num_styles, [w, w, w], args.depth, [w / 2, (w / 4).max(4)]);
    let path = |p: &PathBuf| p.to_string_lossy().into_owned();
    let mut content: Vec<String> = args.content.iter().map(path).collect();
    if args.frames > 0 {
        content.push(path(&render_frames(args)?));
    }
    Ok(StyleTrainConfig::new(
        net,
        args.styles.iter().map(path).collect(),
        content,
        path(&args.vgg),
    )
    .with_size(args.size)
    .with_batch(args.batch)
    .with_style_size(args.style_size)
    .with_style_weight(args.alpha)
    .with_tv_weight(args.beta)
    .with_adversarial(adversarial)
    .with_adversarial_weight(args.lambda)
    .with_content_layer(args.content_layer)
    .with_learning_rate(args.lr)
    .with_style_learning_rate_scale(args.style_lr_scale)
    .with_seed(args.seed))
}

fn trainer<B: AutodiffBackend>(
    args: &Args,
    device: &B::Device,
) -> Result<StyleTrainer<B>, Box<dyn Error>> {
    if args.resume {
        let trainer = StyleTrainer::<B>::resume(&args.out.join("checkpoint"), device)?;
        println!("resumed at iteration {}", trainer.iteration());
        return Ok(trainer);
    }
    let Some(base) = &args.base else {
        return Ok(StyleTrainer::new(config(args, args.styles.len())?, device)?);
    };
    let model = StyleModel::load_file(base)?;
    let StyleArchitecture::MultiStyle(base_config) = model.card().architecture.clone() else {
        return Err("--base must be a multi-style (conditional instance norm) model".into());
    };
    let mut names = model.card().styles.clone();
    names.resize_with(base_config.num_styles, String::new);
    for (i, name) in names.iter_mut().enumerate() {
        if name.is_empty() {
            *name = format!("style {i}");
        }
    }
    names.extend(args.styles.iter().map(|p| {
        p.file_stem()
            .map_or("style".into(), |s| s.to_string_lossy().into_owned())
    }));
    let config = config(args, base_config.num_styles)?.with_style_names(names);
    let StyleNet::MultiStyle(net) = model.build::<B>(device)? else {
        unreachable!("the card names a multi-style network");
    };
    Ok(StyleTrainer::add_styles(config, net, base_config, device)?)
}

fn train<B: AutodiffBackend>(args: &Args, device: &B::Device) -> Result<(), Box<dyn Error>> {
    let trainer = trainer::<B>(args, device)?;
    for skipped in &trainer.skipped {
        eprintln!(
            "warning: skipping {}: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
    let mut run = TrainingRun::new(trainer, &args.out, args.every)?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_name()
            .map_or("my_styles".into(), |s| s.to_string_lossy().into_owned())
    });
    let first = run.trainer.iteration();
    let bar = training::progress_bar(first, args.iters)?;
    let start = Instant::now();
    run.run(args.iters, |event| {
        training::show(&bar, event, |values| match values {
            [total, content, style, tv, adv, d] => format!(
                "L {total:.3} = C {content:.3} + S {style:.2e} + TV {tv:.2e} + G {adv:.3} · D {d:.3}"
            ),
            _ => String::new(),
        })
    })?;
    bar.finish();
    let path = run.trainer.export(&args.out, &name, &args.description)?;
    println!(
        "{} iterations in {:.1} s; model: {}",
        run.trainer.iteration() - first,
        start.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

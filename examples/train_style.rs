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
//! # Distil a small real-time student from eight of multistyle26's styles:
//! cargo run --release --example train_style -- --teacher assets/models/multistyle26.style.ron:0,3,5,7,12,18,20,23 \
//!     --lite --content assets/images/content --out out/multistyle26_lite --size 128
//! ```
//!
//! Writes into `--out`: `losses.csv`, `losses.png` (log-scale curves of the
//! loss terms), `samples-<iteration>.png` (content crops × styles),
//! `checkpoint/` (atomic; `--resume` continues from it) and the model
//! `<name>.style.ron` + `<name>.safetensors`, which `stylize` and the camera
//! filter load as they are.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[path = "common/headless.rs"]
mod headless;
#[path = "common/training.rs"]
mod training;

use bevy::camera::RenderTarget;
use bevy::prelude::{App, Assets, Camera3d, Handle, Image, UVec2};
use bevy_gan_style::model::{StyleArchitecture, StyleNet};
use bevy_gan_style::nn::{ConvShape, MultiStyleConfig, VggTap};
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::Peer;
use bevy_gan_style::train::StyleTrainBackend;
use bevy_gan_style::train::{
    AdversarialLoss, CaptureFlow, CaptureFrames, FlowCapturePlugin, FlowFrames, FrameCapturePlugin,
    FramesSaved, RandomScenes, RandomScenesPlugin, SceneCamera, StyleTrainConfig, StyleTrainer,
    TeacherConfig, Trainer, TrainingRun, frame_target,
};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use training::{BackendArg, BoxError, ParallelArgs, Train};

#[derive(Parser, Clone)]
struct Args {
    /// Style image(s) (PNG / JPEG), one style each. With `--teacher`,
    /// optional: one per taught style adds the Gram loss to the paintings.
    #[arg(long, num_args = 1..)]
    styles: Vec<PathBuf>,
    /// Distil this style model (`.style.ron`, optionally `:i,j,…` for
    /// some of its stored styles): the student learns to reproduce its
    /// output (VGG16 features up to `--content-layer`, and pixels).
    #[arg(long)]
    teacher: Option<String>,
    /// Style images of an arbitrary-style teacher, one style each.
    #[arg(long, num_args = 1..)]
    teacher_style_images: Vec<PathBuf>,
    /// Weight of the pixel distance to the teacher's output.
    #[arg(long, default_value_t = 10.0)]
    pixel_weight: f32,
    /// The real-time student architecture (`MultiStyleConfig::lite`: a
    /// stride-2 stem, 16/32/32 channels, 2 residual blocks) instead of
    /// `--width` / `--depth`.
    #[arg(long)]
    lite: bool,
    /// Channels of the three contracting convolutions (e.g. `8,32,32`),
    /// instead of those of `--width` or `--lite`.
    #[arg(long, value_delimiter = ',', num_args = 1)]
    contract: Vec<usize>,
    /// Channels of the two expanding convolutions (e.g. `8,4`).
    #[arg(long, value_delimiter = ',', num_args = 1)]
    expand: Vec<usize>,
    /// Kernel sizes of the three contracting convolutions and of the output
    /// convolution (odd; e.g. `3,3,3,3`).
    #[arg(long, value_delimiter = ',', num_args = 1)]
    kernels: Vec<usize>,
    /// Strides of the three contracting convolutions; their product must be
    /// 4 (e.g. `1,2,2`: a full-resolution stem).
    #[arg(long, value_delimiter = ',', num_args = 1)]
    strides: Vec<usize>,
    /// Folder(s) of content images (searched recursively).
    #[arg(long, num_args = 1..)]
    content: Vec<PathBuf>,
    /// Also render this many frames of random Bevy scenes into
    /// `<out>/frames` and train on them (kept for later runs).
    #[arg(long, default_value_t = 0)]
    frames: usize,
    /// Record this many frames of random Bevy scenes with their motion
    /// vectors and depth into `<out>/pairs` (kept for later runs) for the
    /// temporal loss.
    #[arg(long, default_value_t = 0)]
    pairs: usize,
    /// Weight of the temporal loss on those frame pairs (0: off).
    #[arg(long, default_value_t = 0.0)]
    temporal_weight: f32,
    /// Pictures the random scenes put on their objects.
    #[arg(long, default_value = "assets/images/content")]
    scene_textures: PathBuf,
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
    /// Residual blocks (default 5, or 2 with `--lite`).
    #[arg(long)]
    depth: Option<usize>,
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
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    backend: BackendArg,
    /// Seed of initialisation, crops and style choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Samples, curve, monitor and checkpoint every this many iterations.
    #[arg(long, default_value_t = 100)]
    every: u64,
    /// Leave out the monitor: SIFID of the sample sheet's outputs against
    /// the style images at every report (in `losses.csv` and the curve).
    #[arg(long)]
    no_monitor: bool,
    /// Continue from `<out>/checkpoint` (its configuration wins, except
    /// that `--temporal-weight` adds the temporal loss on `--pairs`).
    #[arg(long)]
    resume: bool,
    /// Model name (default: the output folder's name).
    #[arg(long)]
    name: Option<String>,
    /// Card description.
    #[arg(long, default_value = "")]
    description: String,
    #[command(flatten)]
    parallel: ParallelArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    training::run(args.backend, Some(&args.parallel), &args)
}

impl Train for Args {
    fn prepare(&self) -> Result<(), BoxError> {
        // Rendered once, before the peers start (each then finds them).
        if self.frames > 0 {
            render_frames(self, "frames", self.frames, false)?;
        }
        if self.pairs > 0 || (self.resume && self.temporal_weight > 0.0) {
            render_frames(self, "pairs", self.pairs.max(1), true)?;
        }
        Ok(())
    }

    fn train<B: StyleTrainBackend>(
        &self,
        device: &B::Device,
        peer: Option<Peer>,
    ) -> Result<(), BoxError> {
        train::<B>(self, device, peer)
    }
}

/// A headless app rendering random scenes into an image target of the
/// training crops' size (with room for the scale jitter), and the target's
/// size.
fn scene_app(args: &Args) -> Result<(App, Handle<Image>, UVec2), BoxError> {
    if !bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS) {
        return Err(
            "rendering frames needs a GPU adapter (software Vulkan will do: \
                    apt-get install mesa-vulkan-drivers libvulkan1)"
                .into(),
        );
    }
    let textures = std::fs::read_dir(&args.scene_textures)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let mut app = headless::headless_app(true);
    app.add_plugins((RandomScenesPlugin, FrameCapturePlugin, FlowCapturePlugin))
        .insert_resource(RandomScenes {
            frames_per_scene: 6,
            textures,
            seed: args.seed,
        });
    headless::finish_setup(&mut app);
    let side = (args.size * 5 / 4).next_multiple_of(4) as u32;
    let size = UVec2::new(side * 4 / 3, side);
    let target = app
        .world_mut()
        .resource_mut::<Assets<Image>>()
        .add(frame_target(size.x, size.y));
    Ok((app, target, size))
}

/// Renders `count` frames of random scenes into `<out>/<folder>` (skipped
/// if they are there already): colour frames, or with `flow` frames with
/// their motion vectors and depth.
fn render_frames(args: &Args, folder: &str, count: usize, flow: bool) -> Result<PathBuf, BoxError> {
    let dir = args.out.join(folder);
    let existing = std::fs::read_dir(&dir).map_or(0, |entries| entries.count());
    if existing >= count {
        println!("using the {existing} frames in {}", dir.display());
        return Ok(dir);
    }
    let (mut app, target, size) = scene_app(args)?;
    let camera = app
        .world_mut()
        .spawn((
            Camera3d::default(),
            RenderTarget::Image(target.into()),
            SceneCamera,
        ))
        .id();
    if flow {
        app.world_mut()
            .entity_mut(camera)
            .insert(CaptureFlow::new(size, count).saving_to(&dir));
    } else {
        app.world_mut()
            .entity_mut(camera)
            .insert(CaptureFrames::new(&dir, count));
    }
    let bar = ProgressBar::new(count as u64);
    bar.set_style(ProgressStyle::with_template(
        "rendering frames {bar:32} {pos}/{len} · {per_sec} · ETA {eta}",
    )?);
    for _ in 0..count * 4 + 60 {
        app.update();
        let world = app.world();
        let (done, error) = if flow {
            let frames = world.resource::<FlowFrames>();
            (frames.saved.len(), frames.errors.first().cloned())
        } else {
            let saved = world.resource::<FramesSaved>();
            (saved.paths.len(), saved.errors.first().cloned())
        };
        if let Some(error) = error {
            return Err(error.into());
        }
        bar.set_position(done as u64);
        if done == count {
            bar.finish();
            return Ok(dir);
        }
    }
    Err("the renderer stopped delivering frames".into())
}

fn config(args: &Args, num_styles: usize) -> Result<StyleTrainConfig, BoxError> {
    let adversarial = match args.adv.as_str() {
        "none" => None,
        other => Some(other.parse::<AdversarialLoss>()?),
    };
    let net = network(args, num_styles)?;
    let path = |p: &PathBuf| p.to_string_lossy().into_owned();
    let teacher = args
        .teacher
        .as_deref()
        .map(|spec| -> Result<TeacherConfig, BoxError> {
            let (card, styles) = teacher_spec(spec)?;
            Ok(TeacherConfig::new(card.into())
                .with_styles(styles)
                .with_style_images(args.teacher_style_images.iter().map(path).collect())
                .with_pixel_weight(args.pixel_weight))
        })
        .transpose()?;
    let mut content: Vec<String> = args.content.iter().map(path).collect();
    if args.frames > 0 {
        content.push(path(&render_frames(args, "frames", args.frames, false)?));
    }
    let pairs = if args.pairs > 0 {
        vec![path(&render_frames(args, "pairs", args.pairs, true)?)]
    } else {
        Vec::new()
    };
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
    .with_seed(args.seed)
    .with_teacher(teacher)
    .with_pairs(pairs)
    .with_temporal_weight(args.temporal_weight))
}

/// The network `--lite` or `--width` / `--depth` name, with the channels,
/// kernels and strides given explicitly put in.
fn network(args: &Args, num_styles: usize) -> Result<MultiStyleConfig, BoxError> {
    let w = args.width;
    let mut net = if args.lite {
        MultiStyleConfig::lite(num_styles)
    } else {
        MultiStyleConfig::new(num_styles, [w, w, w], 5, [w / 2, (w / 4).max(4)])
    };
    if let Some(depth) = args.depth {
        net.residual_blocks = depth;
    }
    if !args.contract.is_empty() {
        net.contract = list("--contract", &args.contract)?;
    }
    if !args.expand.is_empty() {
        net.expand = list("--expand", &args.expand)?;
    }
    if net.contract.iter().chain(&net.expand).any(|&c| c == 0) {
        return Err("--contract and --expand take channel counts of at least 1".into());
    }
    let mut shape = net.conv_shape();
    if !args.kernels.is_empty() {
        let [k0, k1, k2, output] = list("--kernels", &args.kernels)?;
        shape.contract_kernels = [k0, k1, k2];
        shape.output_kernel = output;
    }
    if !args.strides.is_empty() {
        shape.contract_strides = list("--strides", &args.strides)?;
    }
    shape.check()?;
    // The classic shape stays implicit, so that cards read as before.
    Ok(net.with_shape((shape != ConvShape::CLASSIC).then_some(shape)))
}

/// `values` as an array of `N`, or an error naming the flag.
fn list<const N: usize>(flag: &str, values: &[usize]) -> Result<[usize; N], BoxError> {
    values
        .try_into()
        .map_err(|_| format!("{flag} takes {N} comma-separated numbers, got {values:?}").into())
}

fn trainer<B: StyleTrainBackend>(
    args: &Args,
    device: &B::Device,
) -> Result<StyleTrainer<B>, BoxError> {
    if args.resume {
        // A temporal weight given on resume fine-tunes with the temporal
        // loss added; everything else is the checkpoint's.
        let pairs = (args.temporal_weight > 0.0)
            .then(|| render_frames(args, "pairs", args.pairs.max(1), true))
            .transpose()?;
        let trainer =
            StyleTrainer::<B>::resume_with(&args.out.join("checkpoint"), device, |config| {
                if let Some(pairs) = pairs {
                    config.pairs = vec![pairs.to_string_lossy().into_owned()];
                    config.temporal_weight = args.temporal_weight;
                }
            })?;
        return Ok(trainer);
    }
    let Some(base) = &args.base else {
        let styles = match &args.teacher {
            Some(_) => taught_styles(args)?,
            None => args.styles.len(),
        };
        return Ok(StyleTrainer::new(config(args, styles)?, device)?);
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

/// `CARD[:i,j,…]`: the teacher's card and the stored styles picked (none:
/// all).
fn teacher_spec(spec: &str) -> Result<(&str, Vec<usize>), BoxError> {
    Ok(match spec.rsplit_once(':') {
        Some((card, list)) if !list.contains('/') => (
            card,
            list.split(',')
                .map(str::parse)
                .collect::<Result<Vec<usize>, _>>()
                .map_err(|e| format!("--teacher {spec}: {e}"))?,
        ),
        _ => (spec, Vec::new()),
    })
}

/// How many styles `--teacher` teaches.
fn taught_styles(args: &Args) -> Result<usize, BoxError> {
    let (card, styles) = teacher_spec(args.teacher.as_deref().unwrap_or_default())?;
    let model = StyleModel::load_file(card)?;
    Ok(if model.card().takes_style_image() {
        args.teacher_style_images.len()
    } else if styles.is_empty() {
        model.num_styles()
    } else {
        styles.len()
    })
}

fn train<B: StyleTrainBackend>(
    args: &Args,
    device: &B::Device,
    peer: Option<Peer>,
) -> Result<(), BoxError> {
    let mut trainer = trainer::<B>(args, device)?;
    let writer = peer.as_ref().is_none_or(Peer::is_writer);
    if args.resume && writer {
        println!("resumed at iteration {}", trainer.iteration());
    }
    if let Some(peer) = &peer {
        trainer.join(peer.clone())?;
    }
    if !writer {
        // The writing peer reports, samples, checkpoints and exports.
        TrainingRun::new(trainer, &args.out, args.every)?.run(args.iters, |_| {})?;
        return Ok(());
    }
    if !args.no_monitor && !trainer.config.styles.is_empty() {
        trainer.monitor()?;
        println!("monitoring SIFID of the samples against the style images");
    }
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
            [total, content, pixel, style, tv, adv, d, temporal] => format!(
                "L {total:.3} = C {content:.3} + P {pixel:.2e} + S {style:.2e} + TV {tv:.2e} + G {adv:.3} + W {temporal:.2e} · D {d:.3}"
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

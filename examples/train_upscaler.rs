//! Train a super-resolution upscaler (×2 or ×4) on a folder of images.
//!
//! ```text
//! cargo run --release --example train_upscaler -- \
//!     --images ../shared/data/images/style --images ../shared/data/images/texture \
//!     --out out/photo_x2 --iters 4000
//! cargo run --release --example train_upscaler -- --out out/photo_x2 --resume --iters 8000 \
//!     --images ../shared/data/images/style --images ../shared/data/images/texture
//! ```
//!
//! Each iteration takes random crops of the images, downscales them with
//! antialiasing and trains the network to restore them (L1 loss; the
//! PSNR-oriented model). Two more kinds of run:
//!
//! ```text
//! # perceptual + adversarial fine-tuning of an L1 model (SRGAN / ESRGAN)
//! cargo run --release --example train_upscaler -- --gan --from assets/upscalers/photo_x2.upscale.ron \
//!     --lr 1e-4 --iters 1500 --size 64 --batch 8 --images ../shared/data/images/style --out out/photo_x2_gan
//! # style-aware: the style network's output at half size → at full size
//! cargo run --release --example train_upscaler -- --teacher assets/models/ml5_wave.style.ron \
//!     --images ../shared/data/images/style --out out/ml5_wave_x2
//! # low / full frames rendered by Bevy (aliased like a game's low-resolution pass)
//! cargo run --release --example upscale_scene -- --pairs out/render_pairs --count 48 --seed 1
//! cargo run --release --example train_upscaler -- --pairs out/render_pairs \
//!     --from assets/upscalers/photo_x2.upscale.ron --out out/render_x2 --iters 2000
//! ```
//!
//! Writes into `--out`: `losses.csv`, `losses.png`
//! (the loss, log scale), `samples-<iteration>.png` (rows of input |
//! bilinear | bicubic | network | original), `checkpoint/` (atomic; `--resume`
//! continues from it) and the model `<name>.upscale.ron` +
//! `<name>.safetensors`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[path = "common/training.rs"]
mod training;

use bevy_gan_style::model::{CardModel, UpscaleModel, UpscaleModelCard, export_upscale_model};
use bevy_gan_style::nn::{UpscaleBase, UpscalerConfig, VggTap};
use bevy_gan_style::train::Peer;
use bevy_gan_style::train::{
    AdversarialLoss, Augment, PatchDiscriminatorConfig, StyleTrainBackend, TeacherConfig, Trainer,
    TrainingRun, UpscaleData, UpscaleGanConfig, UpscalePairs, UpscaleTrainConfig, UpscaleTrainer,
    upscale_images,
};
use clap::Parser;
use training::{BackendArg, BoxError, Train};

#[derive(Parser, Clone)]
struct Args {
    /// Training images: files, or folders of JPEG and PNG images (repeat
    /// it for several). Their crops are downscaled with antialiasing.
    #[arg(long, required_unless_present = "pairs")]
    images: Vec<PathBuf>,
    /// Folders of low / full pairs (`NNN_low.png`, `NNN_full.png`, e.g.
    /// frames of `upscale_scene --pairs`; repeat it for several). With
    /// `--images` too, the images are downscaled whole and joined to them.
    #[arg(long)]
    pairs: Vec<PathBuf>,
    /// Images in folders are brought down to this shorter side first.
    #[arg(long, default_value_t = 512)]
    max_side: usize,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Train until this many iterations in total.
    #[arg(long, default_value_t = 4000)]
    iters: u64,
    /// Upscaling factor: 2 or 4.
    #[arg(long, default_value_t = 2)]
    factor: usize,
    /// Feature channels of the network.
    #[arg(long, default_value_t = 16)]
    channels: usize,
    /// 3×3 convolutions between the first and the last.
    #[arg(long, default_value_t = 3)]
    blocks: usize,
    /// Side of the high-resolution crops (a multiple of the factor).
    #[arg(long, default_value_t = 96)]
    size: usize,
    /// Crops per batch.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// none, flips or flips+rotations.
    #[arg(long, default_value = "flips+rotations")]
    augment: Augment,
    /// Seed of initialisation and crops.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to train.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    backend: BackendArg,
    /// Samples, curve and checkpoint every this many iterations.
    #[arg(long, default_value_t = 250)]
    every: u64,
    /// Continue from `<out>/checkpoint` (its configuration wins).
    #[arg(long)]
    resume: bool,
    /// Start from this upscaling model's weights (its architecture wins
    /// over --factor, --channels and --blocks).
    #[arg(long)]
    from: Option<PathBuf>,
    /// Style-aware: this style model's output at half size is the input,
    /// at full size the target.
    #[arg(long)]
    teacher: Option<String>,
    /// With --teacher: the upscaler also reads the full-size picture the
    /// teacher ran on (for the camera filter: the rendered frame), whose
    /// edges the style's strokes follow.
    #[arg(long, requires = "teacher")]
    guided: bool,
    /// With --guided: the guide is this style model's output on the
    /// full-size picture (a real-time student of the teacher) instead of
    /// the picture.
    #[arg(long, requires = "guided")]
    guide_style: Option<String>,
    /// With --guide-style: the network's detail is added to the guide (the
    /// student's picture) instead of the bicubic upsampling.
    #[arg(long, requires = "guide_style")]
    guide_base: bool,
    /// Perceptual + adversarial fine-tuning (start --from an L1 model).
    #[arg(long)]
    gan: bool,
    /// VGG16 weights for --gan's perceptual loss.
    #[arg(long, default_value = "assets/training/vgg16_features.safetensors")]
    vgg: String,
    /// Deepest VGG16 tap of the perceptual loss.
    #[arg(long, default_value = "relu3_3")]
    tap: VggTap,
    /// GAN objective: bce, lsgan, hinge or wgan.
    #[arg(long, default_value = "lsgan")]
    adversarial_loss: AdversarialLoss,
    /// Weight of the generator's adversarial loss.
    #[arg(long, default_value_t = 5e-3)]
    adversarial: f32,
    /// With --gan: the feature distance is the mean squared difference at
    /// --tap alone (the content distance `eval_upscale --teacher` reports).
    #[arg(long)]
    content_only: bool,
    /// Weight of the L1 loss when fine-tuning.
    #[arg(long, default_value_t = 1e-2)]
    pixel: f32,
    /// Spectral normalisation of the discriminator.
    #[arg(long)]
    spectral_norm: bool,
    /// Weight of the discriminator's Lipschitz penalty.
    #[arg(long, default_value_t = 0.0)]
    lipschitz: f32,
    /// Model name (default: the output folder's name).
    #[arg(long)]
    name: Option<String>,
    /// Card description.
    #[arg(long, default_value = "")]
    description: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    training::run(args.backend, None, &args)
}

impl Train for Args {
    /// The upscaler trains on one device (`run` is given no peers).
    fn train<B: StyleTrainBackend>(
        &self,
        device: &B::Device,
        _peer: Option<Peer>,
    ) -> Result<(), BoxError> {
        train::<B>(self, device)
    }
}

/// The images, the pair folders, or both as pairs.
fn data(args: &Args) -> Result<UpscaleData, BoxError> {
    let images = (!args.images.is_empty())
        .then(|| upscale_images(&args.images, args.max_side, args.size))
        .transpose()?;
    let mut pairs = None;
    for dir in &args.pairs {
        let more = UpscalePairs::load(dir, args.factor)?;
        pairs = Some(match pairs {
            Some(pairs) => UpscalePairs::merge(pairs, more),
            None => more,
        });
    }
    Ok(match (images, pairs) {
        (Some(images), None) => {
            println!("training images: {}", images.len());
            images.into()
        }
        (images, Some(pairs)) => {
            let pairs = match images {
                Some(images) => {
                    UpscalePairs::merge(UpscalePairs::downscaled(&images, args.factor), pairs)
                }
                None => pairs,
            };
            println!("training pairs: {}", pairs.len());
            pairs.into()
        }
        (None, None) => return Err("give --images or --pairs".into()),
    })
}

fn train<B: StyleTrainBackend>(args: &Args, device: &B::Device) -> Result<(), BoxError> {
    let data = data(args)?;
    let trainer = if args.resume {
        let trainer = UpscaleTrainer::<B>::resume(&args.out.join("checkpoint"), data, device)?;
        println!("resumed at iteration {}", trainer.iteration());
        trainer
    } else {
        let start = args
            .from
            .as_ref()
            .map(UpscaleModel::load_file)
            .transpose()?;
        let network = match &start {
            Some(model) => model.card().network.clone(),
            None => UpscalerConfig::new()
                .with_factor(args.factor)
                .with_channels(args.channels)
                .with_blocks(args.blocks)
                .with_guide(args.guided.then_some(3)),
        };
        let network = match args.guide_base {
            true => network.with_base(Some(UpscaleBase::Guide)),
            false => network,
        };
        let gan = args.gan.then(|| {
            UpscaleGanConfig::new(args.vgg.clone())
                .with_tap(args.tap)
                .with_loss(args.adversarial_loss)
                .with_adversarial(args.adversarial)
                .with_pixel(args.pixel)
                .with_content_only(args.content_only)
                .with_lipschitz(args.lipschitz)
                .with_discriminator(
                    PatchDiscriminatorConfig::new(vec![32, 64, 128])
                        .with_spectral_norm(args.spectral_norm),
                )
        });
        let config = UpscaleTrainConfig::new(network)
            .with_size(args.size)
            .with_batch(args.batch)
            .with_learning_rate(args.lr)
            .with_augment(args.augment)
            .with_seed(args.seed)
            .with_teacher(args.teacher.clone().map(TeacherConfig::new))
            .with_guide_style(args.guide_style.clone())
            .with_gan(gan);
        if let Some(teacher) = &args.teacher {
            println!("stylizing the images with {teacher} at full and half size");
        }
        let trainer = UpscaleTrainer::<B>::new(config, data, device)?;
        match start {
            Some(model) => trainer.start_from(model.build(device)?)?,
            None => trainer,
        }
    };
    let mut run = TrainingRun::new(trainer, &args.out, args.every)?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_name()
            .map_or("upscaler".into(), |s| s.to_string_lossy().into_owned())
    });
    let first = run.trainer.iteration();
    let bar = training::progress_bar(first, args.iters)?;
    let start = Instant::now();
    run.run(args.iters, |event| {
        training::show(&bar, event, |values| match values {
            [l1, psnr, bicubic] => {
                format!("L1 {l1:.4} · PSNR {psnr:.2} dB (bicubic {bicubic:.2} dB)")
            }
            [l1, psnr, bicubic, vgg, d, g] => format!(
                "L1 {l1:.4} · PSNR {psnr:.2} dB (bicubic {bicubic:.2}) · VGG {vgg:.3} · D {d:.3} · G {g:.3}"
            ),
            _ => String::new(),
        })
    })?;
    bar.finish();
    let config = &run.trainer.config;
    let network = config.network.clone();
    let card = UpscaleModelCard {
        name,
        description: args.description.clone(),
        training: format!(
            "{} iterations, batch {}, {}-pixel crops, {}{}, Adam lr {}, {:?}; \
             ×{} ({:.0} MACs per output pixel)",
            run.trainer.iteration(),
            config.batch,
            config.size,
            match &config.gan {
                Some(gan) => format!(
                    "L1 ×{} + VGG16 to {:?} + {:?} GAN ×{} (fine-tuned{})",
                    gan.pixel,
                    gan.tap,
                    gan.loss,
                    gan.adversarial,
                    args.from
                        .as_ref()
                        .map(|p| format!(" from {}", p.display()))
                        .unwrap_or_default()
                ),
                None => format!(
                    "L1 loss{}",
                    args.from
                        .as_ref()
                        .map(|p| format!(" (fine-tuned from {})", p.display()))
                        .unwrap_or_default()
                ),
            },
            match &config.teacher {
                Some(teacher) => format!(
                    "; style-aware: {}'s output at 1/{} size to its output at full size{}",
                    teacher.card,
                    network.factor,
                    match (&network.guide, &config.guide_style) {
                        (None, _) => String::new(),
                        (Some(_), None) => ", guided by the full-size picture".into(),
                        (Some(_), Some(style)) => {
                            format!(", guided by {style}'s output on the full-size picture")
                        }
                    }
                ),
                None => String::new(),
            },
            config.learning_rate,
            config.augment,
            network.factor,
            network.macs_per_output_pixel(),
        ),
        guide_style: config
            .guide_style
            .as_deref()
            .map(|card| relative_to(Path::new(card), &args.out))
            .transpose()?,
        network,
        weights: String::new(),
    };
    let path = export_upscale_model(&run.trainer.inference_network(), card, &args.out)?;
    println!(
        "{} iterations in {:.1} s; model: {}",
        run.trainer.iteration() - first,
        start.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

/// `path` relative to the folder `dir` (both may be relative to the
/// working directory), as a card names its guide's style model.
fn relative_to(path: &Path, dir: &Path) -> Result<String, BoxError> {
    let path = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let common = path
        .components()
        .zip(dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in dir.components().skip(common) {
        relative.push("..");
    }
    relative.extend(path.components().skip(common));
    Ok(relative.to_string_lossy().into_owned())
}

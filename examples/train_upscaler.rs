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
//! PSNR-oriented model). Writes into `--out`: `losses.csv`, `losses.png`
//! (the loss, log scale), `samples-<iteration>.png` (rows of input |
//! bilinear | bicubic | network | original), `checkpoint/` (atomic; `--resume`
//! continues from it) and the model `<name>.upscale.ron` +
//! `<name>.safetensors`.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[path = "common/training.rs"]
mod training;

use bevy_gan_style::model::{UpscaleModelCard, export_upscale_model};
use bevy_gan_style::nn::UpscalerConfig;
use bevy_gan_style::train::{
    Augment, StyleTrainBackend, Trainer, TrainingRun, UpscaleTrainConfig, UpscaleTrainer,
    upscale_images,
};
use clap::Parser;
use training::{BackendArg, Train};

#[derive(Parser)]
struct Args {
    /// Training images: files, or folders of JPEG and PNG images (repeat
    /// it for several).
    #[arg(long, required = true)]
    images: Vec<PathBuf>,
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
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Samples, curve and checkpoint every this many iterations.
    #[arg(long, default_value_t = 250)]
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
    fn train<B: StyleTrainBackend>(&self, device: &B::Device) -> Result<(), Box<dyn Error>> {
        train::<B>(self, device)
    }
}

fn train<B: StyleTrainBackend>(args: &Args, device: &B::Device) -> Result<(), Box<dyn Error>> {
    let images = upscale_images(&args.images, args.max_side, args.size)?;
    println!("training images: {}", images.len());
    let trainer = if args.resume {
        let trainer = UpscaleTrainer::<B>::resume(&args.out.join("checkpoint"), images, device)?;
        println!("resumed at iteration {}", trainer.iteration());
        trainer
    } else {
        let network = UpscalerConfig::new()
            .with_factor(args.factor)
            .with_channels(args.channels)
            .with_blocks(args.blocks);
        let config = UpscaleTrainConfig::new(network)
            .with_size(args.size)
            .with_batch(args.batch)
            .with_learning_rate(args.lr)
            .with_augment(args.augment)
            .with_seed(args.seed);
        UpscaleTrainer::<B>::new(config, images, device)?
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
            "{} iterations, batch {}, {}-pixel crops, L1 loss, Adam lr {}, {:?}; \
             ×{} ({:.0} MACs per output pixel)",
            run.trainer.iteration(),
            config.batch,
            config.size,
            config.learning_rate,
            config.augment,
            network.factor,
            network.macs_per_output_pixel(),
        ),
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

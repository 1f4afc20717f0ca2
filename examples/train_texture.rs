//! Train a tileable PSGAN texture model from one or more exemplar images.
//!
//! ```text
//! cargo run --release --example train_texture -- \
//!     --exemplar ../shared/data/images/texture/water_caustics.jpg --out out/caustics --iters 3000
//! cargo run --release --example train_texture -- --out out/caustics --resume --iters 5000
//! ```
//!
//! Writes into `--out`: `losses.csv`, `losses.png` (loss curves, and below
//! them SIFID and diversity of fixed seeds at every report),
//! `samples-<iteration>.png` (four samples, a 2×2 tiling, an exemplar crop),
//! `checkpoint/` (atomic; `--resume` continues from it) and the model
//! `<name>.texture.ron` + `<name>.safetensors`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[path = "common/training.rs"]
mod training;

use bevy_gan_style::eval::TextureJudge;
use bevy_gan_style::model::{TextureModelCard, export_texture_model};
use bevy_gan_style::nn::{PsganConfig, Upsample};
use bevy_gan_style::train::Peer;
use bevy_gan_style::train::StyleTrainBackend;
use bevy_gan_style::train::{
    AdversarialLoss, Augment, PatchDiscriminatorConfig, TextureTrainConfig, TextureTrainer,
    Trainer, TrainingRun,
};
use clap::Parser;
use training::{BackendArg, BoxError, ParallelArgs, Train};

#[derive(Parser, Clone)]
struct Args {
    /// Exemplar image(s) (PNG / JPEG).
    #[arg(long, num_args = 1..)]
    exemplar: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Train until this many iterations in total.
    #[arg(long, default_value_t = 2000)]
    iters: u64,
    /// Crop / training image size (a multiple of the generator's cell).
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Seed of initialisation, crops and latents.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to train.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    backend: BackendArg,
    /// Images per batch.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// bce, lsgan, hinge or wgan (wgan wants --spectral-norm and/or
    /// --lipschitz-penalty).
    #[arg(long, default_value = "bce")]
    loss: AdversarialLoss,
    /// Spectrally normalise the discriminator's convolutions.
    #[arg(long)]
    spectral_norm: bool,
    /// Weight of the first-order Lipschitz penalty on the discriminator
    /// (the stand-in for WGAN-GP; 10 is usual), 0 for none.
    #[arg(long, default_value_t = 0.0)]
    lipschitz_penalty: f32,
    /// none, flips or flips+rotations.
    #[arg(long, default_value = "flips")]
    augment: Augment,
    /// Resize exemplars by this factor first.
    #[arg(long, default_value_t = 1.0)]
    exemplar_scale: f32,
    /// Generator stage widths (their count sets the cell: 2^stages pixels).
    #[arg(long, value_delimiter = ',', default_value = "64,32,16")]
    channels: Vec<usize>,
    /// Periodic waves in the latent field (0 for stochastic textures such
    /// as clouds; regular ones such as bricks need a few).
    #[arg(long, default_value_t = 4)]
    periodic: usize,
    /// Generator upsampling: nearest, or bilinear for soft textures (no
    /// cell grid).
    #[arg(long, default_value = "nearest")]
    upsample: Upsample,
    /// Discriminator widths.
    #[arg(long, value_delimiter = ',', default_value = "32,64,128")]
    disc_channels: Vec<usize>,
    /// Samples, curve, monitors and checkpoint every this many iterations.
    #[arg(long, default_value_t = 250)]
    every: u64,
    /// Seeds whose samples are judged at every report (SIFID against the
    /// exemplar, diversity), 0 for no monitoring.
    #[arg(long, default_value_t = 8)]
    monitor_seeds: usize,
    /// Warn of mode collapse when the samples' diversity falls below this
    /// fraction of the exemplar crops' own.
    #[arg(long, default_value_t = 0.5)]
    collapse: f64,
    /// VGG16 and LPIPS weights of the monitors.
    #[arg(long, default_value = "assets/training")]
    metric_weights: PathBuf,
    /// Continue from `<out>/checkpoint` (its configuration wins).
    #[arg(long)]
    resume: bool,
    /// Model name (default: the first exemplar's file stem).
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
    fn train<B: StyleTrainBackend>(
        &self,
        device: &B::Device,
        peer: Option<Peer>,
    ) -> Result<(), BoxError> {
        train::<B>(self, device, peer)
    }
}

fn train<B: StyleTrainBackend>(
    args: &Args,
    device: &B::Device,
    peer: Option<Peer>,
) -> Result<(), BoxError> {
    let trainer = if args.resume {
        let trainer =
            TextureTrainer::<B>::resume(&args.out.join("checkpoint"), &args.exemplar, device)?;
        if peer.as_ref().is_none_or(Peer::is_writer) {
            println!("resumed at iteration {}", trainer.iteration());
        }
        trainer
    } else {
        let config = TextureTrainConfig::new(
            PsganConfig::new(args.channels.clone())
                .with_periodic_dim(args.periodic)
                .with_upsample(args.upsample),
            PatchDiscriminatorConfig::new(args.disc_channels.clone())
                .with_spectral_norm(args.spectral_norm),
        )
        .with_lipschitz_penalty(args.lipschitz_penalty)
        .with_size(args.size)
        .with_batch(args.batch)
        .with_loss(args.loss)
        .with_augment(args.augment)
        .with_exemplar_scale(args.exemplar_scale)
        .with_seed(args.seed);
        TextureTrainer::<B>::new(config, &args.exemplar, device)?
    };
    let mut trainer = trainer;
    if let Some(peer) = peer {
        let writer = peer.is_writer();
        trainer.join(peer)?;
        if !writer {
            // The writing peer reports, samples, checkpoints and exports.
            TrainingRun::new(trainer, &args.out, args.every)?.run(args.iters, |_| {})?;
            return Ok(());
        }
    }
    if args.monitor_seeds > 0 {
        let w = &args.metric_weights;
        let judge = TextureJudge::load(
            &w.join("vgg16_features.safetensors"),
            &w.join("lpips_vgg_lin.safetensors"),
            device,
        )?;
        let yardstick = trainer.monitor(judge, args.monitor_seeds, args.collapse);
        println!(
            "monitoring {} seeds: SIFID and diversity (exemplar crops' diversity {yardstick:.3}, warning below {:.3})",
            args.monitor_seeds,
            args.collapse * yardstick
        );
    }
    let mut run = TrainingRun::new(trainer, &args.out, args.every)?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.exemplar[0]
            .file_stem()
            .map_or("texture".into(), |s| s.to_string_lossy().into_owned())
    });
    let first = run.trainer.iteration();
    let bar = training::progress_bar(first, args.iters)?;
    let start = Instant::now();
    run.run(args.iters, |event| {
        training::show(&bar, event, |values| match values {
            [d, g, real, fake] => {
                format!("D {d:.3} G {g:.3} (logits real {real:+.2} fake {fake:+.2})")
            }
            _ => String::new(),
        })
    })?;
    bar.finish();
    let config = &run.trainer.config;
    let card = TextureModelCard {
        name,
        description: args.description.clone(),
        generator: config.generator.clone(),
        weights: String::new(),
        exemplars: args
            .exemplar
            .iter()
            .map(|p| {
                p.file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            })
            .collect(),
        exemplar_scale: config.exemplar_scale,
        training: format!(
            "{} iterations, batch {}, {}-pixel crops, exemplar scale {}, {:?} loss{}{}, Adam lr {} betas ({}, {})",
            run.trainer.iteration(),
            config.batch,
            config.size,
            config.exemplar_scale,
            config.loss,
            if config.discriminator.spectral_norm {
                ", spectral norm"
            } else {
                ""
            },
            if config.lipschitz_penalty > 0.0 {
                format!(", Lipschitz penalty {}", config.lipschitz_penalty)
            } else {
                String::new()
            },
            config.learning_rate,
            config.beta_1,
            config.beta_2
        ),
    };
    let path = export_texture_model(&run.trainer.inference_generator(), card, &args.out)?;
    println!(
        "{} iterations in {:.1} s; model: {}",
        run.trainer.iteration() - first,
        start.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

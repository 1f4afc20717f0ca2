//! The texture GAN's training loop: one discriminator and one generator
//! Adam step per iteration on random exemplar crops.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use image::{Rgb, RgbImage};

use super::adversarial::{AdversarialLoss, lipschitz_penalty};
use super::checkpoint::CheckpointReader;
use super::discriminator::{PatchDiscriminator, PatchDiscriminatorConfig};
use super::error::TrainError;
use super::images::{Augment, ImageSet};
use super::loop_state::{LoopState, scalar};
use super::parallel::{Peer, mean_gradients, mean_values, part, rows};
use super::phases::{PhaseClock, StepPhases};
use super::report::{Column, paste, save};
use super::run::{Monitored, Trainer};
use crate::eval::{TextureJudge, TextureReference};
use bevy_gan_style_nn::{
    Draw, PsganConfig, PsganGenerator, PsganLatent, SplitMix64, TEXTURE_RANGE, drawn,
};
use bevy_gan_style_runtime::bridge::tensor_to_image;

/// Everything that defines a texture GAN training run.
#[derive(Config, Debug)]
pub struct TextureTrainConfig {
    /// The generator's architecture.
    pub generator: PsganConfig,
    /// The discriminator's architecture.
    pub discriminator: PatchDiscriminatorConfig,
    /// Side of the exemplar crops and of the generated training images
    /// (a multiple of the generator's scale).
    #[config(default = 64)]
    pub size: usize,
    /// Images per batch.
    #[config(default = 8)]
    pub batch: usize,
    /// Adversarial objective.
    #[config(default = "AdversarialLoss::Bce")]
    pub loss: AdversarialLoss,
    /// Weight of the first-order Lipschitz penalty on the discriminator
    /// ([`lipschitz_penalty`], the stand-in for WGAN-GP's gradient penalty;
    /// 10 is WGAN-GP's usual weight); 0 switches it off.
    #[config(default = 0.0)]
    pub lipschitz_penalty: f32,
    /// Adam learning rate for both networks.
    #[config(default = 2e-4)]
    pub learning_rate: f64,
    /// Adam β₁ (0.5 is the usual choice for GANs).
    #[config(default = 0.5)]
    pub beta_1: f32,
    /// Adam β₂.
    #[config(default = 0.999)]
    pub beta_2: f32,
    /// Crop augmentation.
    #[config(default = "Augment::Flips")]
    pub augment: Augment,
    /// Exemplars are resized by this factor before cropping.
    #[config(default = 1.0)]
    pub exemplar_scale: f32,
    /// Seed of the weights' initialisation, the crops and the latents.
    #[config(default = 0)]
    pub seed: u64,
}

/// The texture trainer's loss columns: discriminator and generator losses,
/// and the mean logits on exemplar crops and generated images.
const COLUMNS: &[Column] = &[
    Column {
        name: "loss_d",
        plot: true,
    },
    Column {
        name: "loss_g",
        plot: true,
    },
    Column {
        name: "real_logit",
        plot: false,
    },
    Column {
        name: "fake_logit",
        plot: false,
    },
];

/// The texture trainer's monitor columns: SIFID of samples against the
/// exemplar and their diversity (mean pairwise LPIPS).
const MONITOR_COLUMNS: &[Column] = &[
    Column {
        name: "sifid",
        plot: true,
    },
    Column {
        name: "diversity",
        plot: true,
    },
];

type Opt<M, B> = OptimizerAdaptor<Adam, M, B>;

/// Watches sample quality during texture training: at every report, the
/// SIFID of a fixed set of samples against the exemplar and their
/// diversity, with a warning (once) when the diversity falls below a
/// fraction of the exemplar crops' own — the generator making the same
/// texture from every latent (mode collapse).
struct TextureMonitor<B: Backend> {
    judge: TextureJudge<B>,
    reference: TextureReference<B>,
    seeds: Vec<u64>,
    collapse: f64,
    warned: bool,
}

/// Seed of the sample sheet's exemplar crop.
const SHEET_SEED: u64 = 0x5EE7;

/// Seed of the monitor's exemplar crops (apart from the training crops, so
/// that monitoring leaves the training sequence as it is).
const MONITOR_CROP_SEED: u64 = 0x5EED;

/// A generator and its patch discriminator being trained on exemplars.
pub struct TextureTrainer<B: AutodiffBackend> {
    /// The run's configuration.
    pub config: TextureTrainConfig,
    /// The generator (its weights are what a texture model ships).
    pub generator: PsganGenerator<B>,
    /// The discriminator.
    pub discriminator: PatchDiscriminator<B>,
    opt_g: Opt<PsganGenerator<B>, B>,
    opt_d: Opt<PatchDiscriminator<B>, B>,
    state: LoopState,
    exemplars: ImageSet,
    device: B::Device,
    monitor: Option<TextureMonitor<B::InnerBackend>>,
    /// Time each step's phases ([`Trainer::profile_phases`]).
    profiling: bool,
    phases: Option<StepPhases>,
    /// This trainer's place in a data-parallel run.
    peer: Option<Peer>,
}

impl<B: AutodiffBackend> TextureTrainer<B> {
    /// Fresh networks for `config`, trained on crops of `exemplars`.
    pub fn new(
        config: TextureTrainConfig,
        exemplars: &[PathBuf],
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        if config.batch == 0 {
            return Err(TrainError::Invalid("the batch must hold an image".into()));
        }
        if config.generator.latent_size(config.size).is_none() {
            return Err(TrainError::Size {
                size: config.size,
                multiple: config.generator.scale(),
            });
        }
        let exemplars = ImageSet::load(exemplars, config.exemplar_scale, config.size)?;
        B::seed(device, config.seed);
        let adam = AdamConfig::new()
            .with_beta_1(config.beta_1)
            .with_beta_2(config.beta_2);
        Ok(Self {
            generator: drawn(config.generator.init(device)),
            discriminator: config.discriminator.init(device),
            opt_g: adam.init(),
            opt_d: adam.init(),
            state: LoopState::new(config.seed),
            exemplars,
            device: device.clone(),
            monitor: None,
            profiling: false,
            phases: None,
            peer: None,
            config,
        })
    }

    /// Takes part in a data-parallel run as `peer` (from
    /// [`crate::DataParallel::launch`]): each step trains on this peer's
    /// share of the batch and averages gradients and losses with the other
    /// peers. Fresh networks take the writing peer's weights; resumed ones
    /// must match it. Fails when the batch does not split evenly or the
    /// peers' iterations or weights differ.
    pub fn join(&mut self, peer: Peer) -> Result<(), TrainError> {
        peer.share(self.config.batch, "a batch")?;
        peer.start()?;
        let iteration = self.state.iteration;
        self.generator = peer.adopt(self.generator.clone(), iteration, &self.device)?;
        self.discriminator = peer.adopt(self.discriminator.clone(), iteration, &self.device)?;
        self.peer = Some(peer);
        Ok(())
    }

    /// Monitors the run with `judge`: `seeds` samples (the same seeds at
    /// every report) of twice the training size against as many crops of the
    /// exemplars; warns when their diversity falls below `collapse` ×
    /// the crops'. Returns the crops' diversity, the yardstick.
    pub fn monitor(
        &mut self,
        judge: TextureJudge<B::InnerBackend>,
        seeds: usize,
        collapse: f64,
    ) -> f64 {
        let exemplars: Vec<_> = (0..self.exemplars.len())
            .map(|i| self.exemplars.image::<B::InnerBackend>(i, &self.device))
            .collect();
        let count = seeds.max(2);
        let reference = judge.reference(&exemplars, 2 * self.config.size, count, MONITOR_CROP_SEED);
        let diversity = reference.diversity;
        self.monitor = Some(TextureMonitor {
            judge,
            reference,
            seeds: (1..=count as u64).collect(),
            collapse,
            warned: false,
        });
        diversity
    }

    /// One discriminator step and one generator step; returns the values
    /// of [`Trainer::columns`].
    fn train_step(&mut self) -> Result<[f32; 4], TrainError> {
        let config = self.config.clone();
        // Every peer draws the whole batch from the same random state and
        // takes its part: together they see what one process would.
        let mine = part(self.peer.as_ref(), config.batch);
        let cells = config.size / config.generator.scale();
        let lr = self.state.learning_rate(config.learning_rate);
        let mut clock = PhaseClock::<B>::start(self.profiling, &self.device);

        // Discriminator: exemplar crops are real, generated images fake.
        let real = rows(
            self.exemplars.crops::<B>(
                &mut self.state.rng,
                config.batch,
                config.size,
                config.augment,
                1.0,
                &self.device,
            ),
            &mine,
        )
        .mul_scalar(2.0)
        .sub_scalar(1.0);
        let latent = self.latent(cells, &mine);
        clock.mark("data");
        let fake = self.generator.forward(&latent, false).detach();
        self.discriminator.power_iteration();
        let real_logits = self.discriminator.forward(real.clone());
        let fake_logits = self.discriminator.forward(fake.clone());
        let (real_logit, fake_logit) = (
            scalar(real_logits.clone().mean()),
            scalar(fake_logits.clone().mean()),
        );
        let mut loss_d = config.loss.discriminator(real_logits, fake_logits);
        if config.lipschitz_penalty > 0.0 {
            // The step along the line leaves room for `t + h` within it.
            const STEP: f32 = 0.1;
            let t: Vec<f32> = (0..config.batch)
                .map(|_| (1.0 - STEP) * self.state.rng.uniform())
                .collect();
            let t = Tensor::from_data(
                TensorData::new(t[mine.clone()].to_vec(), [mine.len()]),
                &self.device,
            );
            let discriminator = &self.discriminator;
            let penalty = lipschitz_penalty(|x| discriminator.forward(x), real, fake, t, STEP);
            loss_d = loss_d + penalty.mul_scalar(config.lipschitz_penalty);
        }
        let d_value = scalar(loss_d.clone());
        let grads = mean_gradients(
            self.peer.as_ref(),
            GradientsParams::from_grads(loss_d.backward(), &self.discriminator),
            &self.discriminator,
        )?;
        self.discriminator = self.opt_d.step(lr, self.discriminator.clone(), grads);
        clock.mark("discriminator");

        // Generator: fool the updated discriminator.
        let latent = self.latent(cells, &mine);
        let fake = self.generator.forward(&latent, false);
        let loss_g = self.config.loss.generator(self.discriminator.forward(fake));
        let g_value = scalar(loss_g.clone());
        clock.mark("forward");
        let grads = GradientsParams::from_grads(loss_g.backward(), &self.generator);
        clock.mark("backward");
        let grads = mean_gradients(self.peer.as_ref(), grads, &self.generator)?;
        self.generator = self.opt_g.step(lr, self.generator.clone(), grads);
        clock.mark("optimiser");
        self.phases = clock.finish();

        self.state.iteration += 1;
        let values = mean_values::<B::InnerBackend>(
            self.peer.as_ref(),
            vec![d_value, g_value, real_logit, fake_logit],
            &self.device,
        )?;
        values
            .try_into()
            .map_err(|_| TrainError::Parallel("the peers sent a different number of losses".into()))
    }

    /// Latents of the batch's images in `mine` (seeds drawn for all).
    fn latent(&mut self, cells: usize, mine: &std::ops::Range<usize>) -> PsganLatent<B> {
        let seeds: Vec<u64> = (0..self.config.batch)
            .map(|_| self.state.rng.bits())
            .collect();
        PsganLatent::sample(
            &self.config.generator,
            &seeds[mine.clone()],
            cells,
            cells,
            &self.device,
        )
    }

    /// The generator without autodiff, for samples and export.
    pub fn inference_generator(&self) -> PsganGenerator<B::InnerBackend> {
        self.generator.valid()
    }

    /// Resumes from a folder written by [`Trainer::save_checkpoint`]; the
    /// configuration is the checkpoint's.
    pub fn resume(
        dir: &Path,
        exemplars: &[PathBuf],
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let (config, checkpoint) = LoopState::open::<TextureTrainConfig>(dir)?;
        let mut trainer = Self::new(config, exemplars, device)?;
        trainer.load(&checkpoint)?;
        Ok(trainer)
    }

    fn load(&mut self, checkpoint: &CheckpointReader) -> Result<(), TrainError> {
        let device = &self.device;
        self.generator = checkpoint.module("generator", self.generator.clone(), device)?;
        self.discriminator =
            checkpoint.module("discriminator", self.discriminator.clone(), device)?;
        self.opt_g = checkpoint.optimizer("adam-generator", self.opt_g.clone(), device)?;
        self.opt_d = checkpoint.optimizer("adam-discriminator", self.opt_d.clone(), device)?;
        self.state.restore(checkpoint);
        Ok(())
    }
}

impl<B: AutodiffBackend> Trainer for TextureTrainer<B> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn iteration(&self) -> u64 {
        self.state.iteration
    }

    fn step(&mut self) -> Result<Vec<f32>, TrainError> {
        Ok(self.train_step()?.to_vec())
    }

    fn profile_phases(&mut self, on: bool) {
        self.profiling = on;
        self.phases = None;
    }

    fn last_phases(&self) -> Option<&StepPhases> {
        self.phases.as_ref()
    }

    fn writes_reports(&self) -> bool {
        self.peer.as_ref().is_none_or(Peer::is_writer)
    }

    fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        self.state.save(dir, &self.config, |writer| {
            writer.module("generator", &self.generator)?;
            writer.module("discriminator", &self.discriminator)?;
            writer.optimizer::<B, _, _>("adam-generator", &self.opt_g)?;
            writer.optimizer::<B, _, _>("adam-discriminator", &self.opt_d)
        })
    }

    fn restore(&mut self, dir: &Path) -> Result<(), TrainError> {
        self.load(&CheckpointReader::open(dir)?)
    }

    fn learning_rate_scale(&self) -> f64 {
        self.state.lr_scale
    }

    fn set_learning_rate_scale(&mut self, scale: f64) {
        self.state.lr_scale = scale;
    }

    fn monitor_columns(&self) -> &'static [Column] {
        if self.monitor.is_some() {
            MONITOR_COLUMNS
        } else {
            &[]
        }
    }

    fn monitor(&mut self) -> Result<Monitored, TrainError> {
        let generator = self.inference_generator();
        let config = &self.config.generator;
        let Some(monitor) = self.monitor.as_mut() else {
            return Ok(Monitored::default());
        };
        let cells = 2 * self.config.size / config.scale();
        let latent = PsganLatent::sample(config, &monitor.seeds, cells, cells, &self.device);
        let samples = generator
            .forward(&latent, false)
            .add_scalar(-TEXTURE_RANGE.0)
            .div_scalar(TEXTURE_RANGE.1 - TEXTURE_RANGE.0)
            .clamp(0.0, 1.0);
        let sifid = monitor.judge.sifid(samples.clone(), &monitor.reference);
        let diversity = monitor.judge.diversity(samples);
        let yardstick = monitor.reference.diversity;
        let warning = (!monitor.warned && diversity < monitor.collapse * yardstick).then(|| {
            monitor.warned = true;
            format!(
                "sample diversity {diversity:.3} is below {} × the exemplar crops' {yardstick:.3}: \
                 the generator may be collapsing to one texture",
                monitor.collapse
            )
        });
        Ok(Monitored {
            values: vec![sifid as f32, diversity as f32],
            warning,
        })
    }

    /// Four generated images of twice the training size in the top row;
    /// below, a 2×2 tiling of the first one generated tileable (seams would
    /// show as lines through its middle) and an exemplar crop at the same
    /// scale.
    fn sample_sheet(&mut self, path: &Path) -> Result<(), TrainError> {
        let config = &self.config.generator;
        let size = 2 * self.config.size;
        let crop = size.min(self.exemplars.min_side());
        // Its own generator: a report must not change what training draws
        // next (only the writing peer of a data-parallel run reports).
        let mut rng = SplitMix64::seeded(SHEET_SEED);
        let exemplar = self
            .exemplars
            .crops::<B::InnerBackend>(&mut rng, 1, crop, Augment::None, 1.0, &self.device)
            .mul_scalar(2.0)
            .sub_scalar(1.0);
        let generator = self.inference_generator();
        let cells = size / config.scale();
        let samples = generator.forward(
            &PsganLatent::sample(config, &[1, 2, 3, 4], cells, cells, &self.device),
            false,
        );
        let tile = generator.forward(
            &PsganLatent::sample(config, &[1], cells, cells, &self.device),
            true,
        );
        let s = size as u32;
        let mut sheet = RgbImage::from_pixel(4 * s, 3 * s, Rgb([255, 255, 255]));
        for i in 0..4 {
            paste(
                &mut sheet,
                &tensor_to_image(samples.clone().narrow(0, i, 1), TEXTURE_RANGE),
                i as u32 * s,
                0,
            );
        }
        let tile = tensor_to_image(tile, TEXTURE_RANGE);
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            paste(&mut sheet, &tile, dx * s, s + dy * s);
        }
        let exemplar = tensor_to_image(exemplar, TEXTURE_RANGE);
        paste(
            &mut sheet,
            &exemplar,
            2 * s + (2 * s - exemplar.width()) / 2,
            s + (2 * s - exemplar.height()) / 2,
        );
        save(&sheet, path)
    }
}

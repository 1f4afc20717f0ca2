//! The texture GAN's training loop: one discriminator and one generator
//! Adam step per iteration on random exemplar crops.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use super::checkpoint::write_atomic;
use super::{
    AdversarialLoss, Augment, Exemplars, PatchDiscriminator, PatchDiscriminatorConfig, TrainError,
};
use crate::nn::{PsganConfig, PsganGenerator, PsganLatent, SplitMix64};

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

/// Losses and mean discriminator logits of one iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLosses {
    /// Iteration number (1-based).
    pub iteration: u64,
    /// Discriminator loss.
    pub discriminator: f32,
    /// Generator loss.
    pub generator: f32,
    /// Mean logit on exemplar crops.
    pub real_logit: f32,
    /// Mean logit on generated images.
    pub fake_logit: f32,
}

type Opt<M, B> = OptimizerAdaptor<Adam, M, B>;

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
    /// Iterations done.
    pub iteration: u64,
    rng: SplitMix64,
    device: B::Device,
}

/// What `state.ron` in a checkpoint folder holds.
#[derive(Serialize, Deserialize)]
struct CheckpointState {
    iteration: u64,
    rng: u64,
    config: String,
}

/// Checkpoint format of networks and optimiser states (keeps parameter ids,
/// which the optimiser states refer to).
fn recorder() -> BinBytesRecorder<FullPrecisionSettings> {
    BinBytesRecorder::new()
}

impl<B: AutodiffBackend> TextureTrainer<B> {
    /// Fresh networks for `config`.
    pub fn new(config: TextureTrainConfig, device: &B::Device) -> Result<Self, TrainError> {
        if config.generator.latent_size(config.size).is_none() {
            return Err(TrainError::Size {
                size: config.size,
                multiple: config.generator.scale(),
            });
        }
        B::seed(device, config.seed);
        let adam = AdamConfig::new()
            .with_beta_1(config.beta_1)
            .with_beta_2(config.beta_2);
        Ok(Self {
            generator: config.generator.init(device),
            discriminator: config.discriminator.init(device),
            opt_g: adam.init(),
            opt_d: adam.init(),
            iteration: 0,
            rng: SplitMix64::new(config.seed),
            device: device.clone(),
            config,
        })
    }

    /// One discriminator step and one generator step.
    pub fn step(&mut self, exemplars: &Exemplars) -> StepLosses {
        let config = self.config.clone();
        let cells = config.size / config.generator.scale();
        let lr = config.learning_rate;

        // Discriminator: exemplar crops are real, generated images fake.
        let real = exemplars.crops::<B>(
            &mut self.rng,
            config.batch,
            config.size,
            config.augment,
            &self.device,
        );
        let latent = self.latent(cells);
        let fake = self.generator.forward(&latent, false).detach();
        let real_logits = self.discriminator.forward(real);
        let fake_logits = self.discriminator.forward(fake);
        let (real_logit, fake_logit) = (
            scalar(real_logits.clone().mean()),
            scalar(fake_logits.clone().mean()),
        );
        let loss_d = config.loss.discriminator(real_logits, fake_logits);
        let d_value = scalar(loss_d.clone());
        let grads = GradientsParams::from_grads(loss_d.backward(), &self.discriminator);
        self.discriminator = self.opt_d.step(lr, self.discriminator.clone(), grads);

        // Generator: fool the updated discriminator.
        let latent = self.latent(cells);
        let fake = self.generator.forward(&latent, false);
        let loss_g = self.config.loss.generator(self.discriminator.forward(fake));
        let g_value = scalar(loss_g.clone());
        let grads = GradientsParams::from_grads(loss_g.backward(), &self.generator);
        self.generator = self.opt_g.step(lr, self.generator.clone(), grads);

        self.iteration += 1;
        StepLosses {
            iteration: self.iteration,
            discriminator: d_value,
            generator: g_value,
            real_logit,
            fake_logit,
        }
    }

    fn latent(&mut self, cells: usize) -> PsganLatent<B> {
        let seeds: Vec<u64> = (0..self.config.batch)
            .map(|_| self.rng.next_u64())
            .collect();
        PsganLatent::sample(&self.config.generator, &seeds, cells, cells, &self.device)
    }

    /// The generator without autodiff, for samples and export.
    pub fn inference_generator(&self) -> PsganGenerator<B::InnerBackend> {
        self.generator.valid()
    }

    /// A random exemplar crop of `size` pixels, for sample sheets.
    pub fn exemplar_crop(
        &mut self,
        exemplars: &Exemplars,
        size: usize,
    ) -> Tensor<B::InnerBackend, 4> {
        exemplars.crops(&mut self.rng, 1, size, Augment::None, &self.device)
    }

    /// Writes the networks, optimiser states and progress into `dir`
    /// (created if needed). Every file is written to a temporary name and
    /// renamed, and `state.ron`, which names the iteration, is renamed last,
    /// so an interrupted save leaves the previous checkpoint intact.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let it = self.iteration;
        let record = |result: Result<Vec<u8>, burn::record::RecorderError>| {
            result.map_err(|e| TrainError::Checkpoint(e.to_string()))
        };
        write_atomic(
            &dir.join(format!("generator-{it}.bin")),
            &record(recorder().record(self.generator.clone().into_record(), ()))?,
        )?;
        write_atomic(
            &dir.join(format!("discriminator-{it}.bin")),
            &record(recorder().record(self.discriminator.clone().into_record(), ()))?,
        )?;
        write_atomic(
            &dir.join(format!("adam-generator-{it}.bin")),
            &record(recorder().record(self.opt_g.to_record(), ()))?,
        )?;
        write_atomic(
            &dir.join(format!("adam-discriminator-{it}.bin")),
            &record(recorder().record(self.opt_d.to_record(), ()))?,
        )?;
        let state = CheckpointState {
            iteration: it,
            rng: self.rng.state(),
            config: self.config.to_string(),
        };
        let text = ron::ser::to_string_pretty(&state, Default::default())
            .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
        write_atomic(&dir.join("state.ron"), text.as_bytes())?;
        // Older iterations are no longer referenced.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".bin") && !name.ends_with(&format!("-{it}.bin")) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// Resumes from a folder written by [`Self::save_checkpoint`]; the
    /// configuration is the checkpoint's.
    pub fn resume(dir: &Path, device: &B::Device) -> Result<Self, TrainError> {
        let read = |name: String| -> Result<Vec<u8>, TrainError> {
            let path: PathBuf = dir.join(name);
            std::fs::read(&path).map_err(|source| TrainError::Io { path, source })
        };
        let text = String::from_utf8_lossy(&read("state.ron".into())?).into_owned();
        let state: CheckpointState =
            ron::from_str(&text).map_err(|e| TrainError::Checkpoint(format!("state.ron: {e}")))?;
        let config = TextureTrainConfig::load_binary(state.config.as_bytes())
            .map_err(|e| TrainError::Checkpoint(format!("configuration: {e}")))?;
        let mut trainer = Self::new(config, device)?;
        let it = state.iteration;
        let bad = |e: burn::record::RecorderError| TrainError::Checkpoint(e.to_string());
        trainer.generator = trainer.generator.load_record(
            recorder()
                .load(read(format!("generator-{it}.bin"))?, device)
                .map_err(bad)?,
        );
        trainer.discriminator = trainer.discriminator.load_record(
            recorder()
                .load(read(format!("discriminator-{it}.bin"))?, device)
                .map_err(bad)?,
        );
        trainer.opt_g = trainer.opt_g.load_record(
            recorder()
                .load(read(format!("adam-generator-{it}.bin"))?, device)
                .map_err(bad)?,
        );
        trainer.opt_d = trainer.opt_d.load_record(
            recorder()
                .load(read(format!("adam-discriminator-{it}.bin"))?, device)
                .map_err(bad)?,
        );
        trainer.iteration = it;
        trainer.rng = SplitMix64::from_state(state.rng);
        Ok(trainer)
    }
}

fn scalar<B: Backend>(x: Tensor<B, 1>) -> f32 {
    x.into_scalar().elem()
}

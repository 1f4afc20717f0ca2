//! A training run in an output folder: the loop plus its reports and
//! checkpoints at a fixed cadence, resumable after an interruption.

use std::path::{Path, PathBuf};

use burn::tensor::backend::AutodiffBackend;

use super::{Exemplars, StepLosses, TextureTrainConfig, TextureTrainer, TrainError, report};

/// Trains in `out`: `losses.csv`, `losses.png` and `samples-<iteration>.png`
/// every `every` iterations (and at the end of [`Self::run`]), with a
/// checkpoint in `out/checkpoint` each time.
///
/// ```no_run
/// # use burn::backend::Autodiff;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::nn::PsganConfig;
/// use bevy_gan_style::train::{PatchDiscriminatorConfig, TextureTrainConfig, TrainingRun};
/// let config = TextureTrainConfig::new(PsganConfig::new(vec![64, 32, 16]),
///                                      PatchDiscriminatorConfig::new(vec![32, 64, 128]));
/// let mut run = TrainingRun::<Autodiff<CpuBackend>>::start(
///     config, &["bricks.jpg".into()], "out/bricks".as_ref(), 250, &Default::default())?;
/// run.run(2000, |losses| println!("{losses:?}"))?;
/// # Ok::<(), bevy_gan_style::train::TrainError>(())
/// ```
pub struct TrainingRun<B: AutodiffBackend> {
    /// The networks and optimisers.
    pub trainer: TextureTrainer<B>,
    exemplars: Exemplars,
    out: PathBuf,
    every: u64,
    rows: Vec<StepLosses>,
}

impl<B: AutodiffBackend> TrainingRun<B> {
    /// A new run of `config` on `exemplars`, reporting into `out`.
    pub fn start(
        config: TextureTrainConfig,
        exemplars: &[PathBuf],
        out: &Path,
        every: u64,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let trainer = TextureTrainer::new(config, device)?;
        Self::with(trainer, exemplars, out, every)
    }

    /// Continues the run whose checkpoint is in `out/checkpoint` (its
    /// configuration is used; the loss history is kept up to it).
    pub fn resume(
        exemplars: &[PathBuf],
        out: &Path,
        every: u64,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let trainer = TextureTrainer::resume(&out.join("checkpoint"), device)?;
        Self::with(trainer, exemplars, out, every)
    }

    fn with(
        trainer: TextureTrainer<B>,
        exemplars: &[PathBuf],
        out: &Path,
        every: u64,
    ) -> Result<Self, TrainError> {
        let config = &trainer.config;
        let exemplars = Exemplars::load(exemplars, config.exemplar_scale, config.size)?;
        std::fs::create_dir_all(out).map_err(|source| TrainError::Io {
            path: out.to_path_buf(),
            source,
        })?;
        let rows = report::read_csv(&out.join("losses.csv"), trainer.iteration);
        Ok(Self {
            trainer,
            exemplars,
            out: out.to_path_buf(),
            every: every.max(1),
            rows,
        })
    }

    /// Trains until `until` iterations in all, calling `on_step` after each.
    pub fn run(
        &mut self,
        until: u64,
        mut on_step: impl FnMut(&StepLosses),
    ) -> Result<(), TrainError> {
        while self.trainer.iteration < until {
            let losses = self.trainer.step(&self.exemplars);
            self.rows.push(losses);
            on_step(&losses);
            if losses.iteration.is_multiple_of(self.every) || losses.iteration == until {
                self.report()?;
            }
        }
        Ok(())
    }

    /// Writes the CSV, the loss curve, a sample sheet and a checkpoint now.
    pub fn report(&mut self) -> Result<(), TrainError> {
        report::write_csv(&self.out.join("losses.csv"), &self.rows)?;
        report::plot_losses(&self.rows, &self.out.join("losses.png"))?;
        let config = self.trainer.config.clone();
        let sheet = 2 * config.size;
        let crop = sheet.min(self.exemplars.min_side());
        let crop = self.trainer.exemplar_crop(&self.exemplars, crop);
        report::sample_sheet(
            &self.trainer.inference_generator(),
            &config.generator,
            sheet,
            crop,
            &self
                .out
                .join(format!("samples-{:06}.png", self.trainer.iteration)),
        )?;
        self.trainer.save_checkpoint(&self.out.join("checkpoint"))
    }

    /// The losses so far.
    pub fn history(&self) -> &[StepLosses] {
        &self.rows
    }
}

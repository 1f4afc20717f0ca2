//! A training run in an output folder: any [`Trainer`]'s loop plus its
//! reports and checkpoints at a fixed cadence, resumable after an
//! interruption and guarded against NaN.

use std::path::{Path, PathBuf};

use super::error::TrainError;
use super::phases::StepPhases;
use super::report::{self, Column, LossRow};

/// What [`TrainingRun`] needs of a training loop (texture GANs, style
/// networks).
pub trait Trainer {
    /// The loss columns [`Self::step`] returns, in order.
    fn columns(&self) -> &'static [Column];
    /// Whether the loss curve is drawn on a log scale.
    fn log_plot(&self) -> bool {
        false
    }
    /// Iterations done.
    fn iteration(&self) -> u64;
    /// One iteration; returns one value per column.
    fn step(&mut self) -> Result<Vec<f32>, TrainError>;
    /// Times the phases of every following step (data, forward,
    /// discriminator, backward, optimiser…), each ended by a device
    /// synchronisation; [`Self::last_phases`] returns them. Trainers
    /// without phases ignore it.
    ///
    /// ```no_run
    /// # use burn::backend::{Autodiff, Flex};
    /// # use bevy_gan_style_train::{StyleTrainConfig, StyleTrainer, Trainer};
    /// # fn run(config: StyleTrainConfig) -> Result<(), bevy_gan_style_train::TrainError> {
    /// let mut trainer = StyleTrainer::<Autodiff<Flex>>::new(config, &Default::default())?;
    /// trainer.profile_phases(true);
    /// trainer.step()?;
    /// for (phase, time) in &trainer.last_phases().expect("profiled").0 {
    ///     println!("{phase}: {time:?}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    fn profile_phases(&mut self, _on: bool) {}
    /// The phases of the last step, when [`Self::profile_phases`] is on.
    fn last_phases(&self) -> Option<&StepPhases> {
        None
    }
    /// Whether this trainer writes the run's reports and checkpoints: all
    /// but one peer of a data-parallel run only train.
    fn writes_reports(&self) -> bool {
        true
    }
    /// Writes networks, optimiser states and progress into `dir`.
    fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError>;
    /// Puts back the state saved in `dir` (after a NaN).
    fn restore(&mut self, dir: &Path) -> Result<(), TrainError>;
    /// Factor on the configured learning rates.
    fn learning_rate_scale(&self) -> f64;
    /// Sets the factor on the configured learning rates.
    fn set_learning_rate_scale(&mut self, scale: f64);
    /// Writes a PNG of samples to `path`.
    fn sample_sheet(&mut self, path: &Path) -> Result<(), TrainError>;
    /// The columns of [`Self::monitor`]'s measurements, logged after the
    /// losses (none by default).
    fn monitor_columns(&self) -> &'static [Column] {
        &[]
    }
    /// Measurements of the networks taken at every report (sample quality,
    /// diversity), one per [`Self::monitor_columns`] entry.
    fn monitor(&mut self) -> Result<Monitored, TrainError> {
        Ok(Monitored::default())
    }
}

/// What [`Trainer::monitor`] measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Monitored {
    /// One value per monitor column.
    pub values: Vec<f32>,
    /// Something the user should know now (e.g. signs of mode collapse).
    pub warning: Option<String>,
}

/// What happened in one call of [`TrainingRun::run`]'s callback.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// An iteration finished with these losses.
    Step(LossRow),
    /// An iteration gave NaN or infinity: the last checkpoint was restored
    /// and the learning rates scaled down.
    Recovered {
        /// The iteration that failed.
        failed: u64,
        /// The iteration training goes on from.
        restored: u64,
        /// The learning-rate factor from now on.
        learning_rate_scale: f64,
    },
    /// A monitor saw something worth a warning at a report.
    Warning {
        /// The iteration of the report.
        iteration: u64,
        /// What it saw.
        message: String,
    },
}

/// How many NaN recoveries in a row before a run gives up.
const MAX_RECOVERIES: u32 = 4;

/// Trains in `out`: `losses.csv`, `losses.png` and `samples-<iteration>.png`
/// every `every` iterations (and at the end of [`Self::run`]), with a
/// checkpoint in `out/checkpoint` each time. A NaN or infinite loss restores
/// the last checkpoint and halves the learning rates instead of going on
/// with broken weights.
///
/// ```no_run
/// # use burn::backend::Autodiff;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::nn::PsganConfig;
/// use bevy_gan_style_train::{PatchDiscriminatorConfig, TextureTrainConfig, TextureTrainer, TrainingRun};
/// let config = TextureTrainConfig::new(PsganConfig::new(vec![64, 32, 16]),
///                                      PatchDiscriminatorConfig::new(vec![32, 64, 128]));
/// let trainer = TextureTrainer::<Autodiff<CpuBackend>>::new(
///     config, &["bricks.jpg".into()], &Default::default())?;
/// let mut run = TrainingRun::new(trainer, "out/bricks".as_ref(), 250)?;
/// run.run(2000, |event| println!("{event:?}"))?;
/// # Ok::<(), bevy_gan_style_train::TrainError>(())
/// ```
pub struct TrainingRun<T: Trainer> {
    /// The networks, optimisers and data.
    pub trainer: T,
    out: PathBuf,
    every: u64,
    rows: Vec<LossRow>,
}

impl<T: Trainer> TrainingRun<T> {
    /// A run of `trainer` reporting into `out` every `every` iterations. The
    /// loss history already in `out/losses.csv` is kept up to the trainer's
    /// iteration (so a resumed trainer continues its curve).
    pub fn new(trainer: T, out: &Path, every: u64) -> Result<Self, TrainError> {
        std::fs::create_dir_all(out).map_err(|source| TrainError::Io {
            path: out.to_path_buf(),
            source,
        })?;
        let rows = report::read_csv(
            &out.join("losses.csv"),
            trainer.columns().len() + trainer.monitor_columns().len(),
            trainer.iteration(),
        );
        Ok(Self {
            trainer,
            out: out.to_path_buf(),
            every: every.max(1),
            rows,
        })
    }

    /// The checkpoint folder, `out/checkpoint`.
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.out.join("checkpoint")
    }

    /// Trains until `until` iterations in all, calling `on_event` after each
    /// iteration and each recovery.
    pub fn run(
        &mut self,
        until: u64,
        mut on_event: impl FnMut(&RunEvent),
    ) -> Result<(), TrainError> {
        let mut recoveries = 0;
        if self.trainer.writes_reports() && !self.checkpoint_dir().join("state.ron").exists() {
            // Something to go back to if the very first steps blow up.
            self.trainer.save_checkpoint(&self.checkpoint_dir())?;
        }
        while self.trainer.iteration() < until {
            let mut values = self.trainer.step()?;
            let iteration = self.trainer.iteration();
            if values.iter().all(|v| v.is_finite()) {
                recoveries = 0;
                // Monitors are measured at reports only: NaN until then.
                values.resize(
                    values.len() + self.trainer.monitor_columns().len(),
                    f32::NAN,
                );
                let row = LossRow { iteration, values };
                self.rows.push(row.clone());
                on_event(&RunEvent::Step(row));
                if (iteration.is_multiple_of(self.every) || iteration == until)
                    && let Some(message) = self.report()?
                {
                    on_event(&RunEvent::Warning { iteration, message });
                }
                continue;
            }
            recoveries += 1;
            let checkpoint = self.checkpoint_dir();
            if recoveries > MAX_RECOVERIES {
                return Err(TrainError::Diverged { iteration });
            }
            let scale = self.trainer.learning_rate_scale() * 0.5;
            self.trainer.restore(&checkpoint)?;
            self.trainer.set_learning_rate_scale(scale);
            let restored = self.trainer.iteration();
            self.rows.retain(|row| row.iteration <= restored);
            on_event(&RunEvent::Recovered {
                failed: iteration,
                restored,
                learning_rate_scale: scale,
            });
        }
        Ok(())
    }

    /// Takes the trainer's monitor measurements into the last row and writes
    /// the CSV, the loss curve, a sample sheet and a checkpoint now; returns
    /// the monitor's warning, if any. Peers that do not write reports skip
    /// it.
    pub fn report(&mut self) -> Result<Option<String>, TrainError> {
        if !self.trainer.writes_reports() {
            return Ok(None);
        }
        let (columns, monitors) = (self.trainer.columns(), self.trainer.monitor_columns());
        let monitored = if monitors.is_empty() {
            Monitored::default()
        } else {
            self.trainer.monitor()?
        };
        if let Some(row) = self.rows.last_mut() {
            for (slot, value) in row.values[columns.len()..]
                .iter_mut()
                .zip(&monitored.values)
            {
                *slot = *value;
            }
        }
        let all: Vec<Column> = columns.iter().chain(monitors).copied().collect();
        report::write_csv(&self.out.join("losses.csv"), &all, &self.rows)?;
        report::plot_losses(
            &self.rows,
            columns,
            monitors,
            self.trainer.log_plot(),
            &self.out.join("losses.png"),
        )?;
        let sheet = self
            .out
            .join(format!("samples-{:06}.png", self.trainer.iteration()));
        self.trainer.sample_sheet(&sheet)?;
        self.trainer.save_checkpoint(&self.checkpoint_dir())?;
        Ok(monitored.warning)
    }

    /// The losses so far.
    pub fn history(&self) -> &[LossRow] {
        &self.rows
    }
}

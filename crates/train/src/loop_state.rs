//! What every trainer's loop carries besides its networks and data — the
//! iteration, the learning-rate factor and the random-number generator —
//! and how it goes into and comes out of a checkpoint.

use std::path::Path;

use burn::prelude::*;

use super::checkpoint::{CheckpointReader, CheckpointState, CheckpointWriter};
use super::error::TrainError;
use bevy_gan_style_nn::{Draw, SplitMix64};

/// A training loop's progress: saved with the networks in every checkpoint,
/// restored with them after a NaN or on resume.
pub(crate) struct LoopState {
    /// Iterations done.
    pub iteration: u64,
    /// Factor on the configured learning rates (halved after each NaN).
    pub lr_scale: f64,
    /// Crops, style picks, latents.
    pub rng: SplitMix64,
}

impl LoopState {
    /// Iteration 0 at full learning rate.
    pub fn new(seed: u64) -> Self {
        Self {
            iteration: 0,
            lr_scale: 1.0,
            rng: SplitMix64::seeded(seed),
        }
    }

    /// `base` scaled by the current factor.
    pub fn learning_rate(&self, base: f64) -> f64 {
        base * self.lr_scale
    }

    /// Writes a checkpoint into `dir`: the networks and optimisers `add`
    /// puts in, then this state with the run's `config`.
    pub fn save(
        &self,
        dir: &Path,
        config: &(impl Config + std::fmt::Display),
        add: impl FnOnce(&mut CheckpointWriter) -> Result<(), TrainError>,
    ) -> Result<(), TrainError> {
        let mut writer = CheckpointWriter::new();
        add(&mut writer)?;
        writer.commit(
            dir,
            &CheckpointState {
                iteration: self.iteration,
                rng: self.rng.clone(),
                lr_scale: self.lr_scale,
                config: config.to_string(),
            },
        )
    }

    /// Takes the state of `checkpoint` (after its networks were loaded).
    pub fn restore(&mut self, checkpoint: &CheckpointReader) {
        self.iteration = checkpoint.state.iteration;
        self.lr_scale = checkpoint.state.lr_scale;
        self.rng = checkpoint.state.rng.clone();
    }

    /// Opens the checkpoint in `dir` and reads the configuration of its run.
    pub fn open<C: Config>(dir: &Path) -> Result<(C, CheckpointReader<'_>), TrainError> {
        let checkpoint = CheckpointReader::open(dir)?;
        let config = C::load_binary(checkpoint.state.config.as_bytes())
            .map_err(|e| TrainError::Checkpoint(format!("configuration: {e}")))?;
        Ok((config, checkpoint))
    }
}

/// The value of a one-element tensor (a loss).
pub(crate) fn scalar<B: Backend>(x: Tensor<B, 1>) -> f32 {
    x.into_scalar().elem()
}

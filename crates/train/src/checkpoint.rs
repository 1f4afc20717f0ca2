//! Crash-safe checkpoints: every file is written atomically
//! ([`write_atomic`]) and a checkpoint's `state.ron` (which names the
//! iteration whose files are valid) is renamed last, so an interrupted save
//! leaves the previous checkpoint intact.

use std::path::Path;

use burn::module::Module;
use burn::optim::Optimizer;
use burn::prelude::*;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Record, Recorder};
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use super::error::TrainError;
use bevy_gan_style_nn::SplitMix64;
use bevy_gan_style_runtime::model::write_atomic;

/// What `state.ron` in a checkpoint folder holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckpointState {
    /// Iterations done; the `.bin` files carry it in their names.
    pub iteration: u64,
    /// The run's random number generator.
    pub rng: SplitMix64,
    /// Factor on the configured learning rates (lowered after a NaN).
    #[serde(default = "one")]
    pub lr_scale: f64,
    /// The run's configuration, as JSON.
    pub config: String,
}

fn one() -> f64 {
    1.0
}

/// Checkpoint format of networks and optimiser states (keeps parameter ids,
/// which the optimiser states refer to).
fn recorder() -> BinBytesRecorder<FullPrecisionSettings> {
    BinBytesRecorder::new()
}

fn bad(e: burn::record::RecorderError) -> TrainError {
    TrainError::Checkpoint(e.to_string())
}

/// A checkpoint being written: add modules and optimisers, then
/// [`Self::commit`].
pub(crate) struct CheckpointWriter {
    files: Vec<(String, Vec<u8>)>,
}

impl CheckpointWriter {
    pub fn new() -> Self {
        Self { files: Vec::new() }
    }

    /// Adds a module's record under `name`.
    pub fn module<B: Backend, M: Module<B>>(
        &mut self,
        name: &str,
        module: &M,
    ) -> Result<(), TrainError> {
        let bytes = recorder()
            .record(module.clone().into_record(), ())
            .map_err(bad)?;
        self.files.push((name.to_string(), bytes));
        Ok(())
    }

    /// Adds an optimiser's state under `name`.
    pub fn optimizer<B: AutodiffBackend, M: burn::module::AutodiffModule<B>, O: Optimizer<M, B>>(
        &mut self,
        name: &str,
        optimizer: &O,
    ) -> Result<(), TrainError> {
        let bytes = recorder().record(optimizer.to_record(), ()).map_err(bad)?;
        self.files.push((name.to_string(), bytes));
        Ok(())
    }

    /// Writes the files as `<name>-<iteration>.bin`, then `state.ron`, then
    /// removes the files of older iterations.
    pub fn commit(self, dir: &Path, state: &CheckpointState) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let it = state.iteration;
        for (name, bytes) in &self.files {
            write_atomic(&dir.join(format!("{name}-{it}.bin")), bytes)?;
        }
        let text = ron::ser::to_string_pretty(state, Default::default())
            .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
        write_atomic(&dir.join("state.ron"), text.as_bytes())?;
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
}

/// A checkpoint being read back.
pub(crate) struct CheckpointReader<'a> {
    dir: &'a Path,
    /// Its state.
    pub state: CheckpointState,
}

impl<'a> CheckpointReader<'a> {
    /// Reads `dir/state.ron`.
    pub fn open(dir: &'a Path) -> Result<Self, TrainError> {
        let text = String::from_utf8_lossy(&Self::read(dir, "state.ron")?).into_owned();
        let state =
            ron::from_str(&text).map_err(|e| TrainError::Checkpoint(format!("state.ron: {e}")))?;
        Ok(Self { dir, state })
    }

    fn read(dir: &Path, name: &str) -> Result<Vec<u8>, TrainError> {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| TrainError::Io { path, source })
    }

    fn record<B: Backend, R: Record<B>>(
        &self,
        name: &str,
        device: &B::Device,
    ) -> Result<R, TrainError> {
        let bytes = Self::read(self.dir, &format!("{name}-{}.bin", self.state.iteration))?;
        recorder().load(bytes, device).map_err(bad)
    }

    /// `module` with the weights stored under `name`.
    pub fn module<B: Backend, M: Module<B>>(
        &self,
        name: &str,
        module: M,
        device: &B::Device,
    ) -> Result<M, TrainError> {
        Ok(module.load_record(self.record(name, device)?))
    }

    /// `optimizer` with the state stored under `name`.
    pub fn optimizer<B: AutodiffBackend, M: burn::module::AutodiffModule<B>, O: Optimizer<M, B>>(
        &self,
        name: &str,
        optimizer: O,
        device: &B::Device,
    ) -> Result<O, TrainError> {
        Ok(optimizer.load_record(self.record(name, device)?))
    }
}

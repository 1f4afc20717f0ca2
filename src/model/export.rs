//! Writing a trained network as a model asset: safetensors weights named by
//! module path, and the RON card next to them.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn_store::{ModuleSnapshot, SafetensorsStore};
use serde::Serialize;

use crate::train::{TrainError, write_atomic};

/// Writes `net` as `<dir>/<name>.safetensors` and `card` as
/// `<dir>/<name>.<extension>` (both atomically, the card last); returns the
/// card's path. The card's weights field must name `<name>.safetensors`.
pub fn export_model<B: Backend, M: Module<B>>(
    net: &M,
    card: &impl Serialize,
    name: &str,
    extension: &str,
    dir: &Path,
) -> Result<PathBuf, TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut store = SafetensorsStore::from_bytes(None);
    net.save_into(&mut store)
        .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
    write_atomic(&dir.join(format!("{name}.safetensors")), &bytes)?;
    let text = ron::ser::to_string_pretty(card, ron::ser::PrettyConfig::default())
        .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
    let path = dir.join(format!("{name}.{extension}"));
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

//! Writing a trained generator as a texture model (card + safetensors).

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn_store::{ModuleSnapshot, SafetensorsStore};

use super::TextureModelCard;
use crate::nn::PsganGenerator;
use crate::train::{TrainError, write_atomic};

/// Writes `generator` as `<dir>/<card.name>.safetensors` and its card as
/// `<dir>/<card.name>.texture.ron` (both atomically); returns the card's
/// path. `card.weights` is set to the weights' file name.
pub fn export_texture_model<B: Backend>(
    generator: &PsganGenerator<B>,
    mut card: TextureModelCard,
    dir: &Path,
) -> Result<PathBuf, TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    card.weights = format!("{}.safetensors", card.name);
    let mut store = SafetensorsStore::from_bytes(None);
    generator
        .save_into(&mut store)
        .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
    write_atomic(&dir.join(&card.weights), &bytes)?;
    let text = ron::ser::to_string_pretty(&card, ron::ser::PrettyConfig::default())
        .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
    let path = dir.join(format!("{}.texture.ron", card.name));
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

//! Writing a trained network as a model asset: safetensors weights named by
//! module path, and the RON card next to them.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn_store::{ModuleSnapshot, SafetensorsStore};
use serde::Serialize;

use super::error::ModelError;
use super::files::write_atomic;
use super::loader::CardModel;
use super::texture_card::TextureModelCard;
use super::texture_model::TextureModel;
use super::upscale_card::UpscaleModelCard;
use super::upscale_model::UpscaleModel;
use bevy_gan_style_nn::{PsganGenerator, Upscaler};

/// Writes `net` as `<dir>/<name>.safetensors` and `card` as
/// `<dir>/<name>.<extension>` (both atomically, the card last); returns the
/// card's path. The card's weights field must name `<name>.safetensors`.
pub fn export_model<B: Backend, M: Module<B>>(
    net: &M,
    card: &impl Serialize,
    name: &str,
    extension: &str,
    dir: &Path,
) -> Result<PathBuf, ModelError> {
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut store = SafetensorsStore::from_bytes(None);
    net.save_into(&mut store)
        .map_err(|e| ModelError::Export(e.to_string()))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| ModelError::Export(e.to_string()))?;
    write_atomic(&dir.join(format!("{name}.safetensors")), &bytes)?;
    let text = ron::ser::to_string_pretty(card, ron::ser::PrettyConfig::default())
        .map_err(|e| ModelError::Export(e.to_string()))?;
    let path = dir.join(format!("{name}.{extension}"));
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// Writes `generator` as `<dir>/<card.name>.safetensors` and its card as
/// `<dir>/<card.name>.texture.ron` (both atomically); returns the card's
/// path. `card.weights` is set to the weights' file name.
pub fn export_texture_model<B: Backend>(
    generator: &PsganGenerator<B>,
    mut card: TextureModelCard,
    dir: &Path,
) -> Result<PathBuf, ModelError> {
    card.weights = format!("{}.safetensors", card.name);
    let name = card.name.clone();
    export_model(generator, &card, &name, TextureModel::EXTENSION, dir)
}

/// Writes `net` as `<dir>/<card.name>.safetensors` and its card as
/// `<dir>/<card.name>.upscale.ron` (both atomically); returns the card's
/// path. `card.weights` is set to the weights' file name.
pub fn export_upscale_model<B: Backend>(
    net: &Upscaler<B>,
    mut card: UpscaleModelCard,
    dir: &Path,
) -> Result<PathBuf, ModelError> {
    card.weights = format!("{}.safetensors", card.name);
    let name = card.name.clone();
    export_model(net, &card, &name, UpscaleModel::EXTENSION, dir)
}

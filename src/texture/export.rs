//! Writing a trained generator as a texture model (card + safetensors).

use std::path::{Path, PathBuf};

use burn::prelude::*;

use super::{TextureModel, TextureModelCard};
use crate::model::{CardModel, export_model};
use crate::nn::PsganGenerator;
use crate::train::TrainError;

/// Writes `generator` as `<dir>/<card.name>.safetensors` and its card as
/// `<dir>/<card.name>.texture.ron` (both atomically); returns the card's
/// path. `card.weights` is set to the weights' file name.
pub fn export_texture_model<B: Backend>(
    generator: &PsganGenerator<B>,
    mut card: TextureModelCard,
    dir: &Path,
) -> Result<PathBuf, TrainError> {
    card.weights = format!("{}.safetensors", card.name);
    let name = card.name.clone();
    export_model(generator, &card, &name, TextureModel::EXTENSION, dir)
}

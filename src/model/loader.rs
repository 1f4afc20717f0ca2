//! `AssetLoader` for `*.style.ron` cards and the weights they name.

use std::path::PathBuf;

use bevy::asset::{AssetLoader, LoadContext, io::Reader};
use bevy::prelude::*;

use super::{ModelError, StyleModel, parse_card};

/// Loads [`StyleModel`]s from `*.style.ron` cards; the weights file named in
/// the card is read relative to the card. Every problem (missing file, bad
/// RON, weights that do not fit) is an asset load error naming its cause.
#[derive(Default, TypePath)]
pub struct StyleModelLoader;

impl AssetLoader for StyleModelLoader {
    type Asset = StyleModel;
    type Settings = ();
    type Error = ModelError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<StyleModel, ModelError> {
        let card_path = load_context.path().path().to_path_buf();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|source| ModelError::Io {
                path: card_path.clone(),
                source,
            })?;
        let text = String::from_utf8(bytes).map_err(|e| ModelError::Card {
            path: card_path.clone(),
            message: e.to_string(),
        })?;
        let card = parse_card(&text, &card_path)?;
        let weights_path = load_context
            .path()
            .resolve_embed_str(&card.weights)
            .map_err(|e| ModelError::Invalid {
                path: card_path.clone(),
                message: format!("bad weights path `{}`: {e}", card.weights),
            })?;
        let weights = load_context
            .read_asset_bytes(weights_path.clone())
            .await
            .map_err(|e| ModelError::Io {
                path: PathBuf::from(weights_path.path()),
                source: std::io::Error::other(e.to_string()),
            })?;
        StyleModel::from_parts(card, weights, &card_path)
    }

    fn extensions(&self) -> &[&str] {
        &["style.ron"]
    }
}

//! Models stored as a RON card next to safetensors weights, loaded the same
//! way for every kind of network: by the asset server (one `AssetLoader`
//! per kind) or, in tools and tests, from the file system.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use bevy::asset::{AssetLoader, LoadContext, io::Reader};
use bevy::prelude::*;
use burn::prelude::Backend;
use serde::de::DeserializeOwned;

use super::error::ModelError;
use super::files::read_regular_file;
use crate::device::GpuBackend;
use burn::backend::wgpu::WgpuDevice;

/// A model asset made of a RON card and the safetensors weights it names
/// (relative to the card).
pub trait CardModel: Asset + Sized {
    /// The card's type.
    type Card: DeserializeOwned + Send + Sync;
    /// File extension of its cards, without the leading dot.
    const EXTENSION: &'static str;
    /// The network its weights are for.
    type Net<B: Backend>: Send + Sync;

    /// Builds the network on `device` with the model's weights.
    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Net<B>, ModelError>;

    /// Runs the network once on the render device, on a background task,
    /// so that its one-time costs (shader compilation, autotuning) are paid
    /// before a frame needs it: when the model loads (`size` `None`: a small
    /// input) and, for networks that run on views, at each new input `size`
    /// (some kernels are specialised by size). Returns once the GPU is done.
    fn warm_up(&self, net: &Self::Net<GpuBackend>, device: &WgpuDevice, size: Option<UVec2>);

    /// The model's name, for messages.
    fn name(&self) -> &str;

    /// Builds the network once on the CPU, so that weights whose names or
    /// shapes do not fit are a load error rather than a failure at use;
    /// errors name the weights file next to `card_path`.
    fn validated(self, card_path: &Path, weights_file: &str) -> Result<Self, ModelError> {
        self.build::<crate::device::CpuBackend>(&Default::default())
            .map_err(|source| match source {
                ModelError::Weights { source, .. } => ModelError::Weights {
                    path: card_path.with_file_name(weights_file),
                    source,
                },
                other => other,
            })?;
        Ok(self)
    }

    /// Upper bound, in elements, of the network's largest activation for a
    /// `width × height` image.
    fn largest_activation(&self, width: u32, height: u32) -> usize;

    /// Checks that the network's activations for a `width × height` image
    /// fit in one storage binding of a GPU whose limit is `max_binding`
    /// bytes (`wgpu::Limits::max_storage_buffer_binding_size`).
    fn check_device_limit(
        &self,
        width: u32,
        height: u32,
        max_binding: u64,
    ) -> Result<(), ModelError> {
        let needed = self.largest_activation(width, height) as u64 * 4;
        if needed <= max_binding {
            return Ok(());
        }
        const MIB: u64 = 1 << 20;
        Err(ModelError::TooLargeForDevice {
            width,
            height,
            needed_mib: needed.div_ceil(MIB),
            limit_mib: max_binding / MIB,
        })
    }

    /// The weights file a card names.
    fn weights_file(card: &Self::Card) -> &str;

    /// Checks that `weights` (safetensors bytes) fit `card` and builds the
    /// model. `card_path` names the card in error messages.
    fn from_parts(card: Self::Card, weights: Vec<u8>, card_path: &Path)
    -> Result<Self, ModelError>;

    /// Reads a card and the weights it names from the file system (regular
    /// files only: see [`MAX_CARD_BYTES`] and [`MAX_WEIGHTS_BYTES`]).
    fn load_file(card_path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let card_path = card_path.as_ref();
        let bytes = read_regular_file(card_path, MAX_CARD_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| ModelError::Card {
            path: card_path.to_path_buf(),
            message: e.to_string(),
        })?;
        let card: Self::Card = parse_card(&text, card_path)?;
        let weights_path = card_path.with_file_name(Self::weights_file(&card));
        let weights = read_regular_file(&weights_path, MAX_WEIGHTS_BYTES)?;
        Self::from_parts(card, weights, card_path)
    }
}

/// The largest model card read, in bytes (cards are a few kilobytes).
pub const MAX_CARD_BYTES: u64 = 1 << 20;

/// The largest weights file read, in bytes (the largest shipped model is
/// under 64 MiB).
pub const MAX_WEIGHTS_BYTES: u64 = 1 << 31;

/// Parses card text; `path` names it in errors.
pub(crate) fn parse_card<C: DeserializeOwned>(text: &str, path: &Path) -> Result<C, ModelError> {
    ron::from_str(text).map_err(|e| ModelError::Card {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Loads [`CardModel`]s of one kind from their cards (`*.style.ron`,
/// `*.texture.ron`). Every problem (missing file, bad RON, weights that do
/// not fit) is an asset load error naming its cause.
#[derive(TypePath)]
pub struct CardModelLoader<M: CardModel>(PhantomData<fn() -> M>);

impl<M: CardModel> Default for CardModelLoader<M> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<M: CardModel> AssetLoader for CardModelLoader<M> {
    type Asset = M;
    type Settings = ();
    type Error = ModelError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<M, ModelError> {
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
        let card: M::Card = parse_card(&text, &card_path)?;
        let weights_file = M::weights_file(&card).to_string();
        let weights_path = load_context
            .path()
            .resolve_embed_str(&weights_file)
            .map_err(|e| ModelError::Invalid {
                path: card_path.clone(),
                message: format!("bad weights path `{weights_file}`: {e}"),
            })?;
        // Bevy's approved-path rule: a model pack's card may not make the
        // game read files outside the asset folder.
        if weights_path.is_unapproved() {
            return Err(ModelError::Invalid {
                path: card_path.clone(),
                message: format!(
                    "the weights path `{weights_file}` leaves the asset folder (absolute or \
                     `..` past its root)"
                ),
            });
        }
        let weights = load_context
            .read_asset_bytes(weights_path.clone())
            .await
            .map_err(|e| ModelError::Io {
                path: PathBuf::from(weights_path.path()),
                source: std::io::Error::other(e.to_string()),
            })?;
        M::from_parts(card, weights, &card_path)
    }

    fn extensions(&self) -> &[&str] {
        std::slice::from_ref(&M::EXTENSION)
    }
}

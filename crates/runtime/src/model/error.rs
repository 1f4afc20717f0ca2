//! Why a model cannot be loaded, used or written.

use std::path::PathBuf;

use thiserror::Error;

use super::style_weights::StyleError;
use bevy_gan_style_nn::WeightsError;

/// Why a model cannot be loaded, used or written.
#[derive(Debug, Error)]
pub enum ModelError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A network or card could not be serialised.
    #[error("cannot serialise the model: {0}")]
    Export(String),
    /// The card is not valid RON for its type (e.g. a
    /// [`StyleModelCard`](super::StyleModelCard)).
    #[error("invalid model card {path}: {message}")]
    Card {
        /// Card path.
        path: PathBuf,
        /// Position and cause, as reported by the RON parser.
        message: String,
    },
    /// The weights do not fit the card's architecture.
    #[error("weights {path} do not fit the card's architecture: {source}")]
    Weights {
        /// Weights path.
        path: PathBuf,
        /// What does not fit.
        source: WeightsError,
    },
    /// The card is readable but inconsistent.
    #[error("invalid model card {path}: {message}")]
    Invalid {
        /// Card path.
        path: PathBuf,
        /// What is inconsistent.
        message: String,
    },
    /// An image does not have a size the network accepts.
    #[error("a {width}×{height} image does not suit the network: {reason}")]
    ImageSize {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
        /// Why.
        reason: String,
    },
    /// The network at this size needs a larger buffer than the GPU allows.
    #[error(
        "the network at {width}×{height} needs a {needed_mib} MiB buffer, over this GPU's \
         {limit_mib} MiB storage-binding limit: use a smaller size (or resolution_scale)"
    )]
    TooLargeForDevice {
        /// Network input width.
        width: u32,
        /// Network input height.
        height: u32,
        /// Largest buffer the network needs, MiB.
        needed_mib: u64,
        /// The device's `max_storage_buffer_binding_size`, MiB.
        limit_mib: u64,
    },
    /// A guided upscaler (style-aware, reading the full-size frame) where
    /// there is no full-size frame: a picture, a texture, a camera's
    /// low-resolution main pass.
    #[error(
        "{name} is guided by the full-size frame (a style-aware upscaler for StyleUpscale); \
         here there is none: use an unguided upscaler such as photo_x2"
    )]
    NeedsGuide {
        /// The model's name.
        name: String,
    },
    /// The style selection does not fit the model.
    #[error(transparent)]
    Style(#[from] StyleError),
}

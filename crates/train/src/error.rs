//! Why training cannot start or go on.

use std::path::PathBuf;

use thiserror::Error;

use bevy_gan_style_nn::WeightsError;
use bevy_gan_style_runtime::model::ModelError;

/// Why training cannot start or go on.
#[derive(Debug, Error)]
pub enum TrainError {
    /// There is no image to train on.
    #[error("{0}")]
    NoImages(String),
    /// An image could not be read or written.
    #[error("image {path}: {source}")]
    Image {
        /// The image.
        path: PathBuf,
        /// Why.
        source: image::ImageError,
    },
    /// An image is smaller than the training crops.
    #[error("image {path} is {width}×{height} after scaling, smaller than the {crop}-pixel crops")]
    ImageTooSmall {
        /// The image.
        path: PathBuf,
        /// Its scaled width.
        width: u32,
        /// Its scaled height.
        height: u32,
        /// The crop size.
        crop: usize,
    },
    /// The training size does not fit the generator.
    #[error("size {size} is not a multiple of the generator's {multiple}-pixel latent cell")]
    Size {
        /// Requested size.
        size: usize,
        /// Required multiple.
        multiple: usize,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The losses kept turning NaN or infinite, even after restoring the
    /// last checkpoint with lower learning rates.
    #[error(
        "training diverged at iteration {iteration} (NaN or infinite loss) and did not recover"
    )]
    Diverged {
        /// The iteration that failed last.
        iteration: u64,
    },
    /// Weights (e.g. the loss network's) could not be loaded.
    #[error("{path}: {source}")]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// Why.
        source: WeightsError,
    },
    /// A setting is out of range.
    #[error("{0}")]
    Invalid(String),
    /// A model could not be exported, or a file not written.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A data-parallel peer could not join, exchange with or wait on the
    /// others.
    #[error("data-parallel training: {0}")]
    Parallel(String),
    /// A checkpoint is missing pieces or does not fit.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

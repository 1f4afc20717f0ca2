//! Training texture GANs: a patch discriminator, adversarial losses,
//! exemplar crops, the training loop with atomic checkpoints, and the
//! CSV / loss-curve / sample-sheet reports.

mod checkpoint;
mod discriminator;
mod exemplar;
mod loss;
pub mod report;
mod run;
mod trainer;

use std::path::PathBuf;

use thiserror::Error;

pub use checkpoint::write_atomic;
pub use discriminator::{PatchDiscriminator, PatchDiscriminatorConfig};
pub use exemplar::{Augment, Exemplars};
pub use loss::AdversarialLoss;
pub use run::TrainingRun;
pub use trainer::{StepLosses, TextureTrainConfig, TextureTrainer};

/// Why training cannot start or go on.
#[derive(Debug, Error)]
pub enum TrainError {
    /// No exemplar image was given.
    #[error("no exemplar image given")]
    NoExemplar,
    /// An image could not be read or written.
    #[error("image {path}: {source}")]
    Image {
        /// The image.
        path: PathBuf,
        /// Why.
        source: image::ImageError,
    },
    /// An exemplar is smaller than the training crops.
    #[error(
        "exemplar {path} is {width}×{height} after scaling, smaller than the {crop}-pixel crops"
    )]
    ExemplarTooSmall {
        /// The exemplar.
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
    /// A checkpoint is missing pieces or does not fit.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

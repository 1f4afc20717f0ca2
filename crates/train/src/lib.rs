//! Training texture GANs and style networks: a patch discriminator,
//! adversarial losses, image sets and their crops, frames rendered by Bevy,
//! the training loops with atomic checkpoints and a NaN guard, and the CSV /
//! loss-curve / sample-sheet reports. (The perceptual losses live in
//! [`bevy_gan_style_nn`]: evaluation uses them too.) And [`eval`]: the
//! metrics of style networks and texture GANs, which the trainers'
//! monitors use.

mod adversarial;
mod checkpoint;
mod discriminator;
mod error;
pub mod eval;
mod flow;
mod flow_capture;
mod frames;
mod images;
mod loop_state;
mod parallel;
mod phases;
pub mod report;
mod run;
mod spectral;
mod style;
mod teacher;
mod temporal;
mod texture;
mod upscaler;

pub use adversarial::{AdversarialLoss, lipschitz_penalty};
pub use discriminator::{PatchDiscriminator, PatchDiscriminatorConfig};
pub use error::TrainError;
pub use flow::{Crop, FlowFrame, FlowSet, Warp};
pub use flow_capture::{
    CaptureFlow, ExtractedCaptureFlow, FlowCapturePlugin, FlowFrames, FlowSequence,
};
pub use frames::{
    CaptureFrames, FrameCapturePlugin, FramesSaved, RandomScenes, RandomScenesPlugin, SceneCamera,
    frame_target,
};
pub use images::{Augment, ImageSet, Skipped};
pub use parallel::{DataParallel, Nodes, Peer};
pub use phases::StepPhases;
pub use report::{Column, LossRow};
pub use run::{Monitored, RunEvent, Trainer, TrainingRun};
pub use spectral::SpectralNorm;
pub use style::{StyleTrainBackend, StyleTrainConfig, StyleTrainer};
pub use teacher::{Teacher, TeacherConfig};
pub use temporal::temporal_loss;
pub use texture::{TextureTrainConfig, TextureTrainer};
pub use upscaler::{
    UpscaleData, UpscaleGanConfig, UpscalePairs, UpscaleTrainConfig, UpscaleTrainer, downscale,
    upscale_images,
};

//! # bevy_gan_style_runtime
//!
//! The runtime of `bevy_gan_style`: GAN-trained style-transfer and texture networks, written with [burn],
//! running on the **same wgpu device Bevy renders with**.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_gan_style_runtime::prelude::*;
//!
//! App::new()
//!     .add_plugins((DefaultPlugins, GanStylePlugin))
//!     .add_systems(Startup, |mut commands: Commands, assets: Res<AssetServer>| {
//!         commands.spawn(StyleTransfer {
//!             model: assets.load("models/multistyle26.style.ron"),
//!             ..default()
//!         });
//!     })
//!     .run();
//! ```
//!
//! ## Floors
//!
//! Each module imports only from the ones above it in this list (the
//! networks are a crate of their own, so that floor the compiler keeps):
//!
//! * [`nn`] (crate `bevy_gan_style_nn`): the networks and their feature
//!   losses, generic over burn's `Backend`, used alike by inference,
//!   training and tests.
//! * [`device`]: where networks run (Bevy's render device, or burn's CPU
//!   backend); [`bridge`]: textures ↔ tensors on the GPU, images ↔ tensors
//!   on the host.
//! * [`model`]: style and texture models as assets (RON card + safetensors),
//!   their import, export and render-device networks.
//! * [`style_transfer`] (the camera filter), [`texture`] (procedural
//!   textures) and [`upscale`] (super-resolution): one plugin each.
//! * [`GanStylePlugin`]: the one-line entry adding them all.
//!
//! Training and evaluation (`bevy_gan_style_train`) and the egui inspector
//! (`bevy_gan_style_inspector`) are crates above this one.

pub mod bridge;
pub mod device;
pub mod model;
mod plugin;
pub mod style_transfer;
pub mod texture;
pub mod upscale;

pub use bevy_gan_style_nn as nn;
pub use plugin::GanStylePlugin;

/// Everything a Bevy app usually needs.
pub mod prelude {
    pub use crate::GanStylePlugin;
    pub use crate::bridge::TensorBridge;
    pub use crate::device::{BurnDevice, CpuBackend, GpuBackend};
    pub use crate::model::{
        CardModel, LayerMix, MapStyles, StyleCodes, StyleModel, StyleVector, StyleWeights,
        TextureModel, UpscaleModel,
    };
    pub use crate::style_transfer::{
        DepthBand, FeatureMapProbe, FillMask, FrameBudget, Restylize, StyleImages, StyleMap,
        StyleMapSource, StyleRegion, StyleRegions, StyleSchedule, StyleTemporal, StyleTransfer,
        StyleTransferStatus, StyleTransferSystems, StyleUpscale, WarpingError, WarpingErrorProbe,
    };
    pub use crate::texture::{
        NeuralTexture, NeuralTextureSystems, NeuralTextureUpscale, TextureParams,
    };
    pub use crate::upscale::{
        Edges, NeuralUpscale, NeuralUpscalePlugin, NeuralUpscaleStatus, NeuralUpscaleSystems,
        UpscaleMethod,
    };
    pub use bevy_gan_style_nn::{
        ColorPreservation, Precision, StageBackend, StagedNet, StyleTransformer,
    };
}

//! # bevy_gan_style
//!
//! GAN-trained style-transfer networks, written with [burn], running on the
//! **same wgpu device Bevy renders with**.
//!
//! * [`GanStylePlugin`] registers burn on Bevy's render device (or burn's CPU
//!   backend when there is no GPU) and the [`model::StyleModel`] asset.
//! * [`nn`] holds the networks, generic over burn's `Backend`.
//! * [`bridge`] moves images between Bevy textures and burn tensors on the
//!   GPU, without a CPU copy.
//! * [`render`] is the stylized camera filter ([`render::StyleTransfer`]).
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_gan_style::prelude::*;
//!
//! App::new()
//!     .add_plugins((DefaultPlugins, GanStylePlugin))
//!     .add_systems(Startup, |assets: Res<AssetServer>| {
//!         let _model: Handle<StyleModel> = assets.load("models/multistyle26.style.ron");
//!     })
//!     .run();
//! ```

pub mod bridge;
pub mod device;
pub mod eval;
pub mod model;
pub mod nn;
mod plugin;
pub mod render;
pub mod texture;
pub mod train;

pub use plugin::GanStylePlugin;

/// Everything a Bevy app usually needs.
pub mod prelude {
    pub use crate::GanStylePlugin;
    pub use crate::bridge::TensorBridge;
    pub use crate::device::{BurnDevice, CpuBackend, GpuBackend};
    pub use crate::model::{CardModel, StyleModel, StyleVector, StyleWeights};
    pub use crate::render::{
        Restylize, StyleSchedule, StyleTemporal, StyleTransfer, WarpingError, WarpingErrorProbe,
    };
}

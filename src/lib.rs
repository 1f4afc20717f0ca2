//! # bevy_gan_style
//!
//! GAN-trained style-transfer and texture networks, written with [burn],
//! running on the **same wgpu device Bevy renders with**.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_gan_style::prelude::*;
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
//! ## Crates
//!
//! This crate gathers the workspace's crates under one name; each imports
//! only from the ones above it in this list, and the compiler holds it:
//!
//! * [`nn`] (`bevy_gan_style_nn`, burn only): the networks and their
//!   feature losses, generic over burn's `Backend`, used alike by
//!   inference, training and tests.
//! * `bevy_gan_style_runtime`: [`device`] (where networks run: Bevy's
//!   render device, or burn's CPU backend), [`bridge`] (textures ↔ tensors
//!   on the GPU, images ↔ tensors on the host), [`model`] (model assets:
//!   RON card + safetensors), the capabilities [`style_transfer`] (the
//!   camera filter) and [`texture`] (procedural textures), and
//!   [`GanStylePlugin`].
//! * `train` (`bevy_gan_style_train`, feature `train`): trainers, reports,
//!   frame capture, and `train::eval`, the metrics.
//! * `inspector` (`bevy_gan_style_inspector`, feature `egui`): egui panels
//!   for both capabilities (`GanStyleInspectorPlugin`).
//!
//! A game that only runs networks sets `default-features = false` and
//! builds the first two alone.

#[cfg(feature = "egui")]
pub use bevy_gan_style_inspector as inspector;
pub use bevy_gan_style_runtime::{
    GanStylePlugin, bridge, device, model, nn, prelude, style_transfer, texture, upscale,
};
#[cfg(feature = "train")]
pub use bevy_gan_style_train as train;
#[cfg(feature = "train")]
pub use bevy_gan_style_train::eval;

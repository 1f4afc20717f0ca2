//! [`GanStylePlugin`]: the one-line entry that puts burn on Bevy's render
//! device and adds every capability.

use bevy::core_pipeline::Core3d;
use bevy::prelude::*;
use bevy::render::RenderApp;

use crate::bridge::TensorBridgePlugin;
use crate::device::BurnDevicePlugin;
use crate::style_transfer::{StyleTransferPlugin, StyleTransferSystems};
use crate::texture::NeuralTexturePlugin;
use crate::upscale::{NeuralUpscalePlugin, NeuralUpscaleSystems};

/// Runs the crate's networks on the wgpu device Bevy renders with: sets up
/// the device ([`BurnDevicePlugin`]: Bevy's `RenderDevice`, or burn's CPU
/// backend without a renderer) and the texture ↔ tensor bridge
/// ([`TensorBridgePlugin`]), and adds the stylized camera filter
/// ([`StyleTransferPlugin`]), procedural textures
/// ([`NeuralTexturePlugin`]) and upscaling models
/// ([`NeuralUpscalePlugin`]). Add it after `DefaultPlugins`.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// App::new()
///     .add_plugins((DefaultPlugins, GanStylePlugin))
///     .run();
/// ```
#[derive(Default)]
pub struct GanStylePlugin;

impl Plugin for GanStylePlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins((
            BurnDevicePlugin,
            TensorBridgePlugin,
            StyleTransferPlugin,
            NeuralTexturePlugin,
            NeuralUpscalePlugin,
        ));
        // A camera with both filters is upscaled first, then stylized at
        // full resolution.
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app.configure_sets(
                Core3d,
                NeuralUpscaleSystems::Output.before(StyleTransferSystems::Input),
            );
        }
    }
}

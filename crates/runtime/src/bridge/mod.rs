//! Moving images between Bevy and burn: on the GPU between textures and
//! tensors ([`TensorBridge`], and the pieces render features build their
//! own passes from: [`TexelBuffer`], [`BoundTensor`], [`TensorView`]), and
//! through host memory for tools and the CPU backend ([`image_to_tensor`],
//! [`tensor_to_image`], [`host`]).

mod bindings;
mod error;
pub mod host;
mod passes;
mod pipeline;
mod pixels;
mod tensor;
mod texels;
mod view;

use bevy::asset::embedded_asset;
use bevy::prelude::*;
use bevy::render::{RenderApp, RenderStartup};
use bevy::shader::load_shader_library;

use crate::device::BurnDevicePlugin;

pub use bindings::{Bound, CachedBindGroup, TensorPassBindings, write_uniform};
pub use error::BridgeError;
pub use passes::{TensorBridge, dispatch_2d};
pub use pipeline::BridgePipelines;
pub use pixels::{MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, image_to_tensor, open_image, tensor_to_image};
pub use tensor::BoundTensor;
pub use texels::{TexelBuffer, TexelKind};
pub use view::{TensorView, uniform_buffer};

/// Sets up [`TensorBridge`] in the render world: embeds the crate's shared
/// WGSL (`bevy_gan_style::texels`, `bevy_gan_style::tensor_view`) and
/// queues the bridge's pipelines when the renderer starts. Added by
/// [`GanStylePlugin`](crate::GanStylePlugin) and by each capability's
/// plugin; does nothing in apps without a renderer.
#[derive(Default)]
pub struct TensorBridgePlugin;

impl TensorBridgePlugin {
    /// Adds [`BurnDevicePlugin`] and [`TensorBridgePlugin`] unless the app
    /// has them: what every capability's plugin builds on.
    pub fn add_with_device(app: &mut App) {
        if !app.is_plugin_added::<BurnDevicePlugin>() {
            app.add_plugins(BurnDevicePlugin);
        }
        if !app.is_plugin_added::<TensorBridgePlugin>() {
            app.add_plugins(TensorBridgePlugin);
        }
    }
}

impl Plugin for TensorBridgePlugin {
    fn build(&self, app: &mut App) {
        if app.get_sub_app(RenderApp).is_none() {
            return;
        }
        // Libraries stay loaded so that Bevy's preprocessor resolves their
        // `#import` paths in the crate's and users' shaders.
        load_shader_library!(app, "texels.wgsl");
        load_shader_library!(app, "tensor_view.wgsl");
        embedded_asset!(app, "texture_to_tensor.wgsl");
        embedded_asset!(app, "tensor_to_texture.wgsl");
        app.sub_app_mut(RenderApp)
            .add_systems(RenderStartup, pipeline::init_bridge_pipelines);
    }
}

//! Moving images between Bevy and burn: on the GPU between textures and
//! tensors ([`TensorBridge`], and the pieces render features build their
//! own passes from: [`TexelBuffer`], [`BoundTensor`], [`TensorView`]), and
//! through host memory for tools and the CPU backend ([`image_to_tensor`],
//! [`tensor_to_image`], [`host`]).

mod error;
pub mod host;
mod passes;
mod pipeline;
mod pixels;
pub(crate) mod shaders;
mod tensor;
mod texels;
mod view;

use bevy::prelude::*;
use bevy::render::{RenderApp, RenderStartup};

use crate::device::BurnDevicePlugin;

pub use error::BridgeError;
pub use passes::{TensorBridge, dispatch_2d};
pub use pipeline::BridgePipelines;
pub use pixels::{MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, image_to_tensor, open_image, tensor_to_image};
pub(crate) use shaders::{embed_shader, load_library, shader_path};
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
    pub(crate) fn add_with_device(app: &mut App) {
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
        embed_shader!(app, "texels.wgsl");
        embed_shader!(app, "tensor_view.wgsl");
        embed_shader!(app, "texture_to_tensor.wgsl");
        embed_shader!(app, "tensor_to_texture.wgsl");
        load_library(app, "texels.wgsl");
        load_library(app, "tensor_view.wgsl");
        app.sub_app_mut(RenderApp)
            .add_systems(RenderStartup, pipeline::init_bridge_pipelines);
    }
}

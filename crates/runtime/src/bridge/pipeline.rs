//! The bridge's two compute pipelines (texels → tensor, tensor → texels),
//! queued in Bevy's pipeline cache when the renderer starts.

use std::sync::Mutex;

use bevy::asset::load_embedded_asset;
use bevy::prelude::*;
use bevy::render::render_resource::binding_types::{
    storage_buffer_read_only_sized, storage_buffer_sized, uniform_buffer,
};
use bevy::render::render_resource::{
    BindGroupLayoutDescriptor, BindGroupLayoutEntries, CachedComputePipelineId,
    ComputePipelineDescriptor, PipelineCache, ShaderStages,
};

use super::bindings::TensorPassBindings;
use super::texels::TexelBuffer;
use super::view::TensorView;

/// Render-world resource of [`TensorBridgePlugin`](super::TensorBridgePlugin):
/// the pipelines behind [`TensorBridge`](super::TensorBridge) and its
/// staging buffers.
#[derive(Resource)]
pub struct BridgePipelines {
    /// Both passes: input buffer (read), output buffer (read-write), view.
    pub(crate) layout: BindGroupLayoutDescriptor,
    pub(crate) to_tensor: CachedComputePipelineId,
    pub(crate) to_texels: CachedComputePipelineId,
    /// Staging images of [`TensorBridge`](super::TensorBridge)'s calls, one
    /// per direction, grown on demand (wgpu orders submissions on the one
    /// queue, and each submission both fills and drains its buffer).
    pub(crate) staging: [Mutex<Option<TexelBuffer>>; 2],
    /// Per direction, the uniform and bind group of the one-shot
    /// conversions, kept between calls.
    pub(crate) bindings: [Mutex<TensorPassBindings>; 2],
}

/// Queues the pipelines (`RenderStartup`).
pub(crate) fn init_bridge_pipelines(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    assets: Res<AssetServer>,
) {
    let layout = BindGroupLayoutDescriptor::new(
        "gan_style bridge",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::COMPUTE,
            (
                storage_buffer_read_only_sized(false, None),
                storage_buffer_sized(false, None),
                uniform_buffer::<TensorView>(false),
            ),
        ),
    );
    let pipeline = |label: &'static str, shader: Handle<Shader>| {
        cache.queue_compute_pipeline(ComputePipelineDescriptor {
            label: Some(label.into()),
            layout: vec![layout.clone()],
            shader,
            ..default()
        })
    };
    let to_tensor = pipeline(
        "gan_style texture_to_tensor",
        load_embedded_asset!(&*assets, "texture_to_tensor.wgsl"),
    );
    let to_texels = pipeline(
        "gan_style tensor_to_texture",
        load_embedded_asset!(&*assets, "tensor_to_texture.wgsl"),
    );
    commands.insert_resource(BridgePipelines {
        layout,
        to_tensor,
        to_texels,
        staging: [Mutex::new(None), Mutex::new(None)],
        bindings: Default::default(),
    });
}

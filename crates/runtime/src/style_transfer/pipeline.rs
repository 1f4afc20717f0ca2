//! The camera filter's compose pipeline (network output → view target),
//! queued in Bevy's pipeline cache when the renderer starts. The filter's
//! first pass, view target → network input, is the bridge's.

use bevy::asset::load_embedded_asset;
use bevy::prelude::*;
use bevy::render::render_resource::binding_types::{
    storage_buffer_read_only_sized, storage_buffer_sized, texture_2d, texture_depth_2d,
    uniform_buffer,
};
use bevy::render::render_resource::{
    BindGroupLayoutDescriptor, BindGroupLayoutEntries, Buffer, BufferDescriptor, BufferUsages,
    CachedComputePipelineId, ComputePipelineDescriptor, Extent3d, PipelineCache, ShaderStages,
    ShaderType, TextureDescriptor, TextureDimension, TextureFormat, TextureSampleType,
    TextureUsages, TextureView,
};
use bevy::render::renderer::RenderDevice;

use crate::bridge::TensorView;

/// Uniforms of the compose pass (`ComposeParams` in
/// `camera_compose.wgsl`).
#[derive(ShaderType, Clone, Copy, Debug, Default)]
pub(crate) struct ComposeParams {
    pub strength: f32,
    pub split: f32,
    pub history_weight: f32,
    pub depth_tolerance: f32,
    pub temporal: u32,
    pub history_valid: u32,
    pub probe: u32,
    pub reproject: u32,
    pub mask: u32,
    pub colours_offset: u32,
    pub colours_stride_c: u32,
    pub colours_stride_k: u32,
}

/// The compose pipeline and what it binds in place of missing inputs.
#[derive(Resource)]
pub(crate) struct ComposePipeline {
    pub layout: BindGroupLayoutDescriptor,
    pub id: CachedComputePipelineId,
    /// Bound in place of the prepass textures when a camera has none.
    pub no_motion: TextureView,
    pub no_depth: TextureView,
    /// Bound in place of a warping-error probe buffer or a fill mask.
    pub no_probe: Buffer,
    /// Bound in place of colour statistics (read-only: not the same buffer
    /// as the writable placeholder in one bind group).
    pub no_colours: Buffer,
}

/// Queues the pipeline and creates the placeholders (`RenderStartup`).
pub(crate) fn init_compose_pipeline(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    assets: Res<AssetServer>,
    device: Res<RenderDevice>,
) {
    let layout = BindGroupLayoutDescriptor::new(
        "gan_style camera compose",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::COMPUTE,
            (
                // Network output, its view, the pass's parameters.
                storage_buffer_read_only_sized(false, None),
                uniform_buffer::<TensorView>(false),
                uniform_buffer::<ComposeParams>(false),
                // Frame texels in, composed texels out.
                storage_buffer_read_only_sized(false, None),
                storage_buffer_sized(false, None),
                // Stylized history: previous frame in, this frame out.
                storage_buffer_read_only_sized(false, None),
                storage_buffer_sized(false, None),
                // Motion vectors, depth, previous depth.
                texture_2d(TextureSampleType::Float { filterable: false }),
                texture_depth_2d(),
                texture_depth_2d(),
                // Warping-error probe.
                storage_buffer_sized(false, None),
                // Colour statistics of the last run, fill mask.
                storage_buffer_read_only_sized(false, None),
                storage_buffer_sized(false, None),
            ),
        ),
    );
    let id = cache.queue_compute_pipeline(ComputePipelineDescriptor {
        label: Some("gan_style camera compose".into()),
        layout: vec![layout.clone()],
        shader: load_embedded_asset!(&*assets, "camera_compose.wgsl"),
        ..default()
    });
    let placeholder = |format| placeholder_texture(&device, format);
    commands.insert_resource(ComposePipeline {
        layout,
        id,
        no_motion: placeholder(TextureFormat::Rg16Float),
        no_depth: placeholder(TextureFormat::Depth32Float),
        no_probe: device.create_buffer(&BufferDescriptor {
            label: Some("gan_style camera no probe"),
            size: 16,
            usage: BufferUsages::STORAGE,
            mapped_at_creation: false,
        }),
        no_colours: device.create_buffer(&BufferDescriptor {
            label: Some("gan_style camera no colours"),
            size: 16,
            usage: BufferUsages::STORAGE,
            mapped_at_creation: false,
        }),
    });
}

/// A 1×1 texture of `format` to bind where a pass's optional input is
/// missing.
pub(crate) fn placeholder_texture(device: &RenderDevice, format: TextureFormat) -> TextureView {
    device
        .create_texture(&TextureDescriptor {
            label: Some("gan_style placeholder"),
            size: Extent3d {
                width: 1,
                height: 1,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: TextureDimension::D2,
            format,
            usage: TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        })
        .create_view(&Default::default())
}

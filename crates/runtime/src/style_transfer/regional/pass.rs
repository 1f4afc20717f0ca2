//! The pass that makes a camera's style map on the GPU from its depth
//! prepass (depth bands) and its region pass (`StyleRegion` entities),
//! straight into the map tensor the network reads.

use bevy::asset::load_embedded_asset;
use bevy::prelude::*;
use bevy::render::render_resource::binding_types::{
    self, storage_buffer_sized, texture_2d, texture_depth_2d,
};
use bevy::render::render_resource::{
    BindGroupEntries, BindGroupLayoutDescriptor, BindGroupLayoutEntries, CachedComputePipelineId,
    ComputePipelineDescriptor, PipelineCache, ShaderStages, ShaderType, TextureFormat,
    TextureSampleType, TextureView, UniformBuffer,
};
use bevy::render::renderer::{RenderDevice, RenderQueue};

use crate::bridge::{Bound, BoundTensor, BridgeError, CachedBindGroup, dispatch_2d, write_uniform};
use crate::style_transfer::compose::placeholder_texture;

/// Uniforms of the map pass (`MapParams` in `style_map.wgsl`).
#[derive(ShaderType, Clone, Copy, Debug, Default)]
struct MapParams {
    view_from_clip: Mat4,
    near: f32,
    far: f32,
    mode: u32,
    tolerance: f32,
    map_size: UVec2,
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    regions: u32,
}

/// What a GPU-made map is made from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MapInput<'a> {
    /// The second style's weight rises from 0 at `near` to 1 at `far`
    /// (distance from the camera).
    Depth { near: f32, far: f32 },
    /// The region pass's weights where its surfaces are the visible ones
    /// (distance within `tolerance`, relative).
    Regions {
        pass: &'a TextureView,
        tolerance: f32,
    },
}

/// The map pipeline and the placeholder bound for a missing region pass.
/// A view's map-pass uniform and bind group, kept between frames.
#[derive(Default)]
pub(crate) struct MapBindings {
    params: UniformBuffer<MapParams>,
    group: CachedBindGroup,
}

#[derive(Resource)]
pub(crate) struct MapPipeline {
    layout: BindGroupLayoutDescriptor,
    id: CachedComputePipelineId,
    no_regions: TextureView,
}

/// Queues the pipeline (`RenderStartup`).
pub(crate) fn init_map_pipeline(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    assets: Res<AssetServer>,
    device: Res<RenderDevice>,
) {
    let layout = BindGroupLayoutDescriptor::new(
        "gan_style style map",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::COMPUTE,
            (
                texture_depth_2d(),
                texture_2d(TextureSampleType::Float { filterable: false }),
                binding_types::uniform_buffer::<MapParams>(false),
                storage_buffer_sized(false, None),
            ),
        ),
    );
    let id = cache.queue_compute_pipeline(ComputePipelineDescriptor {
        label: Some("gan_style style map".into()),
        layout: vec![layout.clone()],
        shader: load_embedded_asset!(&*assets, "style_map.wgsl"),
        ..default()
    });
    let no_regions = placeholder_texture(&device, TextureFormat::Rgba16Float);
    commands.insert_resource(MapPipeline {
        layout,
        id,
        no_regions,
    });
}

impl MapPipeline {
    /// `true` once the pipeline is compiled.
    pub fn is_ready(&self, cache: &PipelineCache) -> bool {
        cache.get_compute_pipeline(self.id).is_some()
    }

    /// Records the pass writing `map` (`[1, 1 + regions, H, W]`, contiguous
    /// per channel) from the view's `depth` prepass, with the view's kept
    /// `bindings`.
    pub fn encode(
        &self,
        (cache, device, queue): (&PipelineCache, &RenderDevice, &RenderQueue),
        (encoder, bindings): (&mut wgpu::CommandEncoder, &mut MapBindings),
        (depth, view_from_clip): (&TextureView, Mat4),
        input: MapInput,
        map: &BoundTensor,
    ) -> Result<(), BridgeError> {
        let pipeline = cache
            .get_compute_pipeline(self.id)
            .ok_or(BridgeError::NotReady)?;
        let [_, channels, _, _] = map.dims();
        let [_, stride_c, stride_h, _] = map.strides();
        let mut params = MapParams {
            view_from_clip,
            map_size: map.size(),
            offset: map.offset(),
            stride_c,
            stride_h,
            regions: channels as u32 - 1,
            ..default()
        };
        let regions = match input {
            MapInput::Depth { near, far } => {
                params.near = near;
                params.far = far;
                &self.no_regions
            }
            MapInput::Regions { pass, tolerance } => {
                params.mode = 1;
                params.tolerance = tolerance;
                pass
            }
        };
        let uniform = write_uniform(&mut bindings.params, params, (device, queue))?.clone();
        let key = vec![
            Bound::view(depth),
            Bound::view(regions),
            Bound::buffer(&uniform),
            Bound::buffer(map.buffer()),
        ];
        let bind_group = bindings.group.get_or_make(key, || {
            device.create_bind_group(
                "gan_style style map",
                &cache.get_bind_group_layout(&self.layout),
                &BindGroupEntries::sequential((
                    depth,
                    regions,
                    uniform.as_entire_binding(),
                    map.buffer().as_entire_binding(),
                )),
            )
        });
        dispatch_2d(
            encoder,
            "gan_style style map",
            pipeline,
            bind_group,
            map.size(),
        );
        Ok(())
    }
}

//! The camera filter's last pass: the network's output upsampled to the
//! view, stabilised with the reprojected history where the camera has
//! `ComposeHistory`, blended by `strength` and copied back into the view
//! target (`camera_compose.wgsl`). The pipeline is queued in Bevy's
//! pipeline cache when the renderer starts; each view keeps its uniforms
//! and bind group ([`ComposeBindings`]).

use bevy::asset::load_embedded_asset;
use bevy::prelude::*;
use bevy::render::render_resource::binding_types::{
    storage_buffer_read_only_sized, storage_buffer_sized, texture_2d, texture_depth_2d,
    uniform_buffer,
};
use bevy::render::render_resource::{
    BindGroupEntries, BindGroupLayoutDescriptor, BindGroupLayoutEntries, Buffer, BufferDescriptor,
    BufferUsages, CachedComputePipelineId, ComputePipelineDescriptor, Extent3d, PipelineCache,
    ShaderStages, ShaderType, TextureDescriptor, TextureDimension, TextureFormat,
    TextureSampleType, TextureUsages, TextureView, UniformBuffer,
};
use bevy::render::renderer::{RenderDevice, RenderQueue};

use super::view::{FramePlan, ViewFilter};
use crate::bridge::{
    Bound, BoundTensor, BridgeError, CachedBindGroup, TensorView, dispatch_2d, write_uniform,
};

/// Uniforms of the compose pass (`ComposeParams` in `camera_compose.wgsl`).
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
    /// The view's top-left texel in the target (its viewport's position).
    pub origin: UVec2,
}

/// The compose pass's pipeline, and what it binds where a view has no
/// history, probe, mask or colour statistics.
#[derive(Resource)]
pub(crate) struct ComposePipeline {
    layout: BindGroupLayoutDescriptor,
    id: CachedComputePipelineId,
    no_motion: TextureView,
    no_depth: TextureView,
    no_probe: Buffer,
    no_colours: Buffer,
}

impl ComposePipeline {
    /// Whether the pipeline is compiled.
    pub fn is_ready(&self, cache: &PipelineCache) -> bool {
        cache.get_compute_pipeline(self.id).is_some()
    }
}

/// Queues the compose pipeline (`RenderStartup`).
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
    let buffer = |label| {
        device.create_buffer(&BufferDescriptor {
            label: Some(label),
            size: 16,
            usage: BufferUsages::STORAGE,
            mapped_at_creation: false,
        })
    };
    commands.insert_resource(ComposePipeline {
        layout,
        id,
        no_motion: placeholder_texture(&device, TextureFormat::Rg16Float),
        no_depth: placeholder_texture(&device, TextureFormat::Depth32Float),
        no_probe: buffer("gan_style camera no probe"),
        no_colours: buffer("gan_style camera no colours"),
    });
}

/// A 1×1 texture bound where a pass has nothing to read.
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

/// A view's compose uniforms and bind group, kept between frames (on the
/// view entity, beside its [`ViewFilter`]).
#[derive(Component, Default)]
pub(crate) struct ComposeBindings {
    view: UniformBuffer<TensorView>,
    params: UniformBuffer<ComposeParams>,
    group: CachedBindGroup,
}

/// What the compose pass reads besides the view's own state.
pub(crate) struct ComposeFrame<'a> {
    pub strength: f32,
    pub split: f32,
    pub plan: &'a FramePlan,
    pub output_range: (f32, f32),
}

impl ComposePipeline {
    /// Records the compose pass (upsample, stabilise, blend) of `output`
    /// and the copy back into `texture`; burn's pending kernels are flushed
    /// so that the caller's submission of `encoder` runs after them.
    pub fn encode(
        &self,
        (cache, device, queue): (&PipelineCache, &RenderDevice, &RenderQueue),
        frame: ComposeFrame,
        (state, bindings): (&mut ViewFilter, &mut ComposeBindings),
        output: BoundTensor,
        (encoder, texture): (&mut wgpu::CommandEncoder, &wgpu::Texture),
    ) -> Result<(), BridgeError> {
        let pipeline = cache
            .get_compute_pipeline(self.id)
            .ok_or(BridgeError::NotReady)?;
        let colours = match &frame.plan.history {
            Some(history) if history.amortize && frame.plan.history_valid && !frame.plan.runs() => {
                history.colours.clone().map(BoundTensor::new).transpose()?
            }
            _ => None,
        };
        let params = self.params(&frame, colours.as_ref());
        let history = frame.plan.history.as_ref();
        let motion = history.map_or(&self.no_motion, |h| &h.motion);
        let depth = history.map_or(&self.no_depth, |h| &h.depth);
        let previous_depth = history.map_or(&self.no_depth, |h| &h.previous_depth);
        let probe = history
            .and_then(|h| h.probe.as_ref())
            .unwrap_or(&self.no_probe);
        let mask = history
            .and_then(|h| h.mask.as_ref())
            .unwrap_or(&self.no_probe);
        let colours_buffer = colours
            .as_ref()
            .map_or(&*self.no_colours, BoundTensor::buffer);
        if params.probe == 1 {
            encoder.clear_buffer(probe, 0, None);
        }
        let buffers = &state.buffers;
        let range = TensorView::from_range(frame.output_range);
        let view = TensorView::new(&output, &buffers.frame, range);
        let view_uniform = write_uniform(&mut bindings.view, view, (device, queue))?.clone();
        let params_uniform = write_uniform(&mut bindings.params, params, (device, queue))?.clone();
        let current = 1 - state.previous;
        let key = vec![
            Bound::buffer(output.buffer()),
            Bound::buffer(&view_uniform),
            Bound::buffer(&params_uniform),
            Bound::buffer(&buffers.history[state.previous]),
            Bound::buffer(&buffers.history[current]),
            Bound::buffer(buffers.frame.buffer()),
            Bound::buffer(buffers.output.buffer()),
            Bound::view(motion),
            Bound::view(depth),
            Bound::view(previous_depth),
            Bound::buffer(probe),
            Bound::buffer(colours_buffer),
            Bound::buffer(mask),
        ];
        let bind_group = bindings.group.get_or_make(key, || {
            device.create_bind_group(
                "gan_style camera compose",
                &cache.get_bind_group_layout(&self.layout),
                &BindGroupEntries::sequential((
                    output.buffer().as_entire_binding(),
                    view_uniform.as_entire_binding(),
                    params_uniform.as_entire_binding(),
                    buffers.frame.buffer().as_entire_binding(),
                    buffers.output.buffer().as_entire_binding(),
                    buffers.history[state.previous].as_entire_binding(),
                    buffers.history[current].as_entire_binding(),
                    motion,
                    depth,
                    previous_depth,
                    probe.as_entire_binding(),
                    colours_buffer.as_entire_binding(),
                    mask.as_entire_binding(),
                )),
            )
        });
        let size = buffers.frame.size();
        dispatch_2d(
            encoder,
            "gan_style camera compose",
            pipeline,
            bind_group,
            size,
        );
        buffers.output.copy_to(encoder, texture, frame.plan.origin);
        // burn's pending kernels go first; the caller submits `encoder`.
        output.flush_burn()?;
        state.previous = current;
        Ok(())
    }

    /// The pass's parameters for `frame`, with `colours` the last run's
    /// statistics when an amortized frame reprojects.
    fn params(&self, frame: &ComposeFrame, colours: Option<&BoundTensor>) -> ComposeParams {
        let mut params = ComposeParams {
            strength: frame.strength,
            split: frame.split,
            history_valid: u32::from(frame.plan.history_valid),
            origin: frame.plan.origin,
            ..default()
        };
        if let Some(history) = &frame.plan.history {
            params.temporal = 1;
            params.history_weight = history.history_weight.clamp(0.0, 1.0);
            params.depth_tolerance = history.depth_tolerance.max(0.0);
            params.probe = u32::from(history.probe.is_some());
            params.mask = u32::from(history.mask.is_some());
        }
        if let Some(colours) = colours {
            let [_, stride_c, _, stride_k] = colours.strides();
            params.reproject = 1;
            params.colours_offset = colours.offset();
            params.colours_stride_c = stride_c;
            params.colours_stride_k = stride_k;
        }
        params
    }
}

//! GPU resources of the camera filter: its two compute pipelines, and the
//! buffers each view keeps from frame to frame.

use bevy::math::UVec2;
use bevy::prelude::*;

use crate::bridge::kernel::{
    TexelKind, compute_pipeline, storage_entry, texel_buffer, uniform_entry,
};

/// Uniforms of the camera shaders (`shaders/camera_params.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct CameraParams {
    pub offset: u32,
    pub stride_c: u32,
    pub stride_h: u32,
    pub stride_w: u32,
    pub width: u32,
    pub height: u32,
    pub net_width: u32,
    pub net_height: u32,
    pub row_words: u32,
    pub kind: u32,
    pub temporal: u32,
    pub history_valid: u32,
    pub in_scale: f32,
    pub in_bias: f32,
    pub out_scale: f32,
    pub out_bias: f32,
    pub strength: f32,
    pub split: f32,
    pub history_weight: f32,
    pub depth_tolerance: f32,
    pub probe: u32,
    pub _pad: [u32; 3],
}

/// Bins of the warping-error probe buffer (`PROBE_BINS` in
/// `shaders/camera_compose.wgsl`), each two `u32`.
pub(crate) const PROBE_BINS: usize = 4096;
/// Fixed-point scale of the probe's error sums (`PROBE_SCALE`).
pub(crate) const PROBE_SCALE: f64 = 65536.0;

/// The camera filter's pipelines, created once on the render device.
#[derive(Resource, Clone)]
pub(crate) struct CameraPipelines {
    pub prepare_layout: wgpu::BindGroupLayout,
    pub prepare: wgpu::ComputePipeline,
    pub compose_layout: wgpu::BindGroupLayout,
    pub compose: wgpu::ComputePipeline,
    /// Bound in place of the prepass textures when a camera has none.
    pub no_motion: wgpu::TextureView,
    pub no_depth: wgpu::TextureView,
    /// Bound in place of a warping-error probe buffer.
    pub no_probe: wgpu::Buffer,
}

impl CameraPipelines {
    pub fn new(device: &wgpu::Device) -> Self {
        let (prepare_layout, prepare) = compute_pipeline(
            device,
            "gan_style camera_prepare",
            concat!(
                include_str!("../../shaders/texels.wgsl"),
                include_str!("../../shaders/camera_params.wgsl"),
                include_str!("../../shaders/camera_prepare.wgsl")
            ),
            &[
                storage_entry(0, true),
                storage_entry(1, false),
                uniform_entry(2),
            ],
        );
        let texture = |binding, sample_type| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Texture {
                sample_type,
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let (compose_layout, compose) = compute_pipeline(
            device,
            "gan_style camera_compose",
            concat!(
                include_str!("../../shaders/texels.wgsl"),
                include_str!("../../shaders/camera_params.wgsl"),
                include_str!("../../shaders/camera_compose.wgsl")
            ),
            &[
                storage_entry(0, true),
                storage_entry(1, true),
                storage_entry(2, false),
                storage_entry(3, true),
                uniform_entry(4),
                texture(5, wgpu::TextureSampleType::Float { filterable: false }),
                texture(6, wgpu::TextureSampleType::Depth),
                texture(7, wgpu::TextureSampleType::Depth),
                storage_entry(8, false),
                storage_entry(9, false),
            ],
        );
        let placeholder = |format| {
            device
                .create_texture(&wgpu::TextureDescriptor {
                    label: Some("gan_style camera placeholder"),
                    size: wgpu::Extent3d {
                        width: 1,
                        height: 1,
                        depth_or_array_layers: 1,
                    },
                    mip_level_count: 1,
                    sample_count: 1,
                    dimension: wgpu::TextureDimension::D2,
                    format,
                    usage: wgpu::TextureUsages::TEXTURE_BINDING,
                    view_formats: &[],
                })
                .create_view(&Default::default())
        };
        Self {
            prepare_layout,
            prepare,
            compose_layout,
            compose,
            no_motion: placeholder(wgpu::TextureFormat::Rg16Float),
            no_depth: placeholder(wgpu::TextureFormat::Depth32Float),
            no_probe: texel_buffer(device, "gan_style camera no probe", 16),
        }
    }
}

/// What one view keeps between frames. Buffers are re-created only when the
/// view's size or format changes.
pub(crate) struct ViewBuffers {
    pub size: UVec2,
    pub kind: TexelKind,
    pub row_bytes: u32,
    /// The rendered frame, copied raw from the view target.
    pub frame: wgpu::Buffer,
    /// The composed frame, copied back into the view target.
    pub output: wgpu::Buffer,
    /// Stylized colour of the previous and of the current frame.
    pub history: [wgpu::Buffer; 2],
    pub prepare_uniforms: wgpu::Buffer,
    pub compose_uniforms: wgpu::Buffer,
}

impl ViewBuffers {
    pub fn new(device: &wgpu::Device, size: UVec2, kind: TexelKind) -> Self {
        let row_bytes = kind.row_bytes(size.x);
        let frame_bytes = u64::from(row_bytes) * u64::from(size.y);
        let history_bytes = u64::from(size.x) * u64::from(size.y) * 4;
        let uniforms = |label| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size_of::<CameraParams>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        Self {
            size,
            kind,
            row_bytes,
            frame: texel_buffer(device, "gan_style camera frame", frame_bytes),
            output: texel_buffer(device, "gan_style camera output", frame_bytes),
            history: [
                texel_buffer(device, "gan_style camera history", history_bytes),
                texel_buffer(device, "gan_style camera history", history_bytes),
            ],
            prepare_uniforms: uniforms("gan_style camera prepare"),
            compose_uniforms: uniforms("gan_style camera compose"),
        }
    }
}

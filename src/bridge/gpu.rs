//! Bevy textures ↔ burn tensors on the GPU, with no CPU copy in between.
//!
//! # Ordering on the shared queue
//!
//! burn (cubecl) and Bevy submit to the same `wgpu::Queue`, and a queue runs
//! submissions in order. cubecl records kernels into its own command encoder
//! and submits it when it flushes, so "in order" only holds for work that
//! has actually been submitted. Both directions therefore flush burn first:
//!
//! * **texture → tensor**: burn allocates the tensor; we flush burn (so any
//!   earlier kernel that still reads the recycled memory is queued ahead of
//!   us) and submit our compute pass. Every burn kernel that reads the
//!   tensor is recorded later, hence submitted later, hence runs after the
//!   copy. The texture's own content must already be submitted.
//! * **tensor → texture**: we flush burn (so the kernels that produce the
//!   tensor are queued) and submit our draw. The tensor's memory is held
//!   until our submission is queued; any later reuse by burn is submitted,
//!   and so runs, after our read.

use std::borrow::Cow;

use burn::tensor::{Tensor, TensorPrimitive};
use burn_cubecl::tensor::CubeTensor;
use burn::backend::wgpu::{WgpuDevice, WgpuRuntime};
use thiserror::Error;
use wgpu::util::DeviceExt;

use crate::device::GpuBackend;

/// Why a texture and a tensor cannot be bridged.
#[derive(Debug, Error)]
pub enum BridgeError {
    /// The texture format is not one the bridge handles.
    #[error(
        "texture format {0:?} is not supported (use Rgba8UnormSrgb, Rgba8Unorm or Rgba16Float)"
    )]
    Format(wgpu::TextureFormat),
    /// The texture lacks a usage the bridge needs.
    #[error("the texture needs {0:?} usage")]
    Usage(wgpu::TextureUsages),
    /// Tensor and texture sizes differ.
    #[error("tensor of shape {tensor:?} does not match a {width}×{height} texture (expected [1, 3, {height}, {width}])")]
    Shape {
        /// Tensor shape.
        tensor: Vec<usize>,
        /// Texture width.
        width: u32,
        /// Texture height.
        height: u32,
    },
    /// burn's runtime reported an error.
    #[error("burn runtime error: {0}")]
    Runtime(String),
}

/// How a texture format stores colour, seen from a shader.
fn linear_in_shader(format: wgpu::TextureFormat) -> Result<bool, BridgeError> {
    match format {
        // sRGB formats are decoded on load / encoded on store by the hardware,
        // float targets hold linear values: the shader works in linear.
        wgpu::TextureFormat::Rgba8UnormSrgb | wgpu::TextureFormat::Rgba16Float => Ok(true),
        wgpu::TextureFormat::Rgba8Unorm => Ok(false),
        other => Err(BridgeError::Format(other)),
    }
}

/// Formats the bridge writes into (render-pipeline targets).
const TARGET_FORMATS: [wgpu::TextureFormat; 3] = [
    wgpu::TextureFormat::Rgba8UnormSrgb,
    wgpu::TextureFormat::Rgba8Unorm,
    wgpu::TextureFormat::Rgba16Float,
];

/// Uniforms shared by both shaders (see `shaders/*.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    width: u32,
    height: u32,
    srgb: u32,
    _pad: u32,
    scale: f32,
    bias: f32,
    _pad2: [u32; 2],
}

/// Compute and render pipelines that copy between textures and tensors on
/// Bevy's wgpu device. Created once by [`crate::GanStylePlugin`] and inserted
/// as a resource in the main and render worlds.
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy::render::renderer::{RenderDevice, RenderQueue};
/// use bevy_gan_style::prelude::*;
/// fn invert(bridge: Res<TensorBridge>, device: Res<RenderDevice>, queue: Res<RenderQueue>,
///           burn: Res<BurnDevice>, texture: &wgpu::Texture) {
///     let BurnDevice::Gpu(burn) = &*burn else { return };
///     let x = bridge.texture_to_tensor(device.wgpu_device(), &queue, texture, (0.0, 1.0), burn).unwrap();
///     bridge.tensor_to_texture(device.wgpu_device(), &queue, x.neg().add_scalar(1.0), (0.0, 1.0), texture).unwrap();
/// }
/// ```
#[derive(bevy::prelude::Resource, Clone)]
pub struct TensorBridge {
    read_layout: wgpu::BindGroupLayout,
    read_pipeline: wgpu::ComputePipeline,
    write_layout: wgpu::BindGroupLayout,
    write_pipelines: Vec<(wgpu::TextureFormat, wgpu::RenderPipeline)>,
}

impl TensorBridge {
    /// Builds the pipelines on `device`.
    pub fn new(device: &wgpu::Device) -> Self {
        let uniform = |binding, visibility| wgpu::BindGroupLayoutEntry {
            binding,
            visibility,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let storage = |binding, visibility, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };

        let read_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("gan_style texture_to_tensor"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                storage(1, wgpu::ShaderStages::COMPUTE, false),
                uniform(2, wgpu::ShaderStages::COMPUTE),
            ],
        });
        let read_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("gan_style texture_to_tensor"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(include_str!(
                "../../shaders/texture_to_tensor.wgsl"
            ))),
        });
        let read_pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("gan_style texture_to_tensor"),
            layout: Some(&device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("gan_style texture_to_tensor"),
                bind_group_layouts: &[Some(&read_layout)],
                immediate_size: 0,
            })),
            module: &read_module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });

        let write_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("gan_style tensor_to_texture"),
            entries: &[
                storage(0, wgpu::ShaderStages::FRAGMENT, true),
                uniform(1, wgpu::ShaderStages::FRAGMENT),
            ],
        });
        let write_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("gan_style tensor_to_texture"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(include_str!(
                "../../shaders/tensor_to_texture.wgsl"
            ))),
        });
        let write_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("gan_style tensor_to_texture"),
            bind_group_layouts: &[Some(&write_layout)],
            immediate_size: 0,
        });
        let write_pipelines = TARGET_FORMATS
            .iter()
            .map(|&format| {
                let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some("gan_style tensor_to_texture"),
                    layout: Some(&write_pipeline_layout),
                    vertex: wgpu::VertexState {
                        module: &write_module,
                        entry_point: Some("vertex"),
                        compilation_options: Default::default(),
                        buffers: &[],
                    },
                    primitive: wgpu::PrimitiveState::default(),
                    depth_stencil: None,
                    multisample: wgpu::MultisampleState::default(),
                    fragment: Some(wgpu::FragmentState {
                        module: &write_module,
                        entry_point: Some("fragment"),
                        compilation_options: Default::default(),
                        targets: &[Some(wgpu::ColorTargetState {
                            format,
                            blend: None,
                            write_mask: wgpu::ColorWrites::ALL,
                        })],
                    }),
                    multiview_mask: None,
                    cache: None,
                });
                (format, pipeline)
            })
            .collect();

        Self {
            read_layout,
            read_pipeline,
            write_layout,
            write_pipelines,
        }
    }

    /// Copies the RGB channels of `texture` into a new `[1, 3, H, W]` tensor
    /// on `burn_device`, mapping `[0, 1]` onto `range` (the network's input
    /// range). sRGB and float textures yield sRGB-encoded values, `Rgba8Unorm`
    /// its stored values. The texture needs `TEXTURE_BINDING` usage.
    pub fn texture_to_tensor(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        texture: &wgpu::Texture,
        range: (f32, f32),
        burn_device: &WgpuDevice,
    ) -> Result<Tensor<GpuBackend, 4>, BridgeError> {
        let srgb = linear_in_shader(texture.format())?;
        if !texture.usage().contains(wgpu::TextureUsages::TEXTURE_BINDING) {
            return Err(BridgeError::Usage(wgpu::TextureUsages::TEXTURE_BINDING));
        }
        let (width, height) = (texture.width(), texture.height());
        let tensor = Tensor::<GpuBackend, 4>::empty([1, 3, height as usize, width as usize], burn_device);
        let cube = tensor.into_primitive().tensor();
        let resource = cube
            .client
            .get_resource(cube.handle.clone())
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))?;
        let resource = resource.resource();

        let params = tensor_params(&cube, resource.offset, srgb, range.1 - range.0, range.0);
        let uniforms = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("gan_style texture_to_tensor"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("gan_style texture_to_tensor"),
            layout: &self.read_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: resource.buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: uniforms.as_entire_binding(),
                },
            ],
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gan_style texture_to_tensor"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("gan_style texture_to_tensor"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.read_pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(width.div_ceil(8), height.div_ceil(8), 1);
        }
        // See the module docs: earlier burn work first, then our copy.
        cube.client
            .flush()
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))?;
        queue.submit([encoder.finish()]);
        Ok(Tensor::from_primitive(TensorPrimitive::Float(cube)))
    }

    /// Draws `tensor` (`[1, 3, H, W]`, values in `range`, the network's output
    /// range) into `texture`, which must be `H × W` with `RENDER_ATTACHMENT`
    /// usage. sRGB and float textures receive the sRGB-decoded (linear)
    /// colours, so they display as the network's output. Returns the queue
    /// submission, for callers that want to wait for it.
    pub fn tensor_to_texture(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        tensor: Tensor<GpuBackend, 4>,
        range: (f32, f32),
        texture: &wgpu::Texture,
    ) -> Result<wgpu::SubmissionIndex, BridgeError> {
        let srgb = linear_in_shader(texture.format())?;
        if !texture.usage().contains(wgpu::TextureUsages::RENDER_ATTACHMENT) {
            return Err(BridgeError::Usage(wgpu::TextureUsages::RENDER_ATTACHMENT));
        }
        let (width, height) = (texture.width(), texture.height());
        let dims = tensor.dims();
        if dims != [1, 3, height as usize, width as usize] {
            return Err(BridgeError::Shape {
                tensor: dims.to_vec(),
                width,
                height,
            });
        }
        let pipeline = self
            .write_pipelines
            .iter()
            .find(|(format, _)| *format == texture.format())
            .map(|(_, pipeline)| pipeline)
            .ok_or(BridgeError::Format(texture.format()))?;

        let cube = tensor.into_primitive().tensor();
        let resource = cube
            .client
            .get_resource(cube.handle.clone())
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))?;
        let scale = 1.0 / (range.1 - range.0);
        let params = tensor_params(&cube, resource.resource().offset, srgb, scale, -range.0 * scale);
        let uniforms = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("gan_style tensor_to_texture"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("gan_style tensor_to_texture"),
            layout: &self.write_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: resource.resource().buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: uniforms.as_entire_binding(),
                },
            ],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gan_style tensor_to_texture"),
        });
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("gan_style tensor_to_texture"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.draw(0..3, 0..1);
        }
        // See the module docs: the producing kernels first, then our read.
        cube.client
            .flush()
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))?;
        let submission = queue.submit([encoder.finish()]);
        // `resource` (and with it the tensor's memory) is released only now.
        drop(resource);
        Ok(submission)
    }
}

/// Shader parameters addressing `tensor` at byte `offset` of its buffer.
fn tensor_params(tensor: &CubeTensor<WgpuRuntime>, offset: u64, srgb: bool, scale: f32, bias: f32) -> Params {
    let strides = tensor.meta.strides();
    let shape = tensor.meta.shape();
    Params {
        offset: (offset / 4) as u32,
        stride_c: strides[1] as u32,
        stride_h: strides[2] as u32,
        stride_w: strides[3] as u32,
        width: shape[3] as u32,
        height: shape[2] as u32,
        srgb: srgb as u32,
        _pad: 0,
        scale,
        bias,
        _pad2: [0; 2],
    }
}

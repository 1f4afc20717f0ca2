//! Bevy textures ↔ burn tensors on the GPU, with no CPU copy in between.
//!
//! Each direction is one command buffer: a raw copy between the texture and
//! a staging buffer, and a compute pass between the staging buffer and the
//! tensor's own storage in burn's memory pool. Raw copies keep 8-bit values
//! exact (no hardware sRGB conversion is involved).
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
//!   us) and submit our copy + compute pass. Every burn kernel that reads the
//!   tensor is recorded later, hence submitted later, hence runs after it.
//!   The texture's own content must already be submitted.
//! * **tensor → texture**: we flush burn (so the kernels that produce the
//!   tensor are queued) and submit our compute pass + copy. The tensor's
//!   memory is held until our submission is queued; any later reuse by burn
//!   is submitted, and so runs, after our read.
//!
//! The staging buffers are shared by all calls: wgpu orders and
//! synchronises submissions on one queue, and each submission both fills
//! and drains its staging buffer.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use burn::backend::wgpu::{WgpuDevice, WgpuRuntime};
use burn::tensor::{Tensor, TensorPrimitive};
use burn_cubecl::tensor::CubeTensor;
use thiserror::Error;
use wgpu::util::DeviceExt;

use crate::device::GpuBackend;

/// Why a texture and a tensor cannot be bridged.
#[derive(Debug, Error)]
pub enum BridgeError {
    /// The texture format is not one the bridge handles.
    #[error(
        "texture format {0:?} is not supported (use Rgba8UnormSrgb, Rgba8Unorm, Bgra8UnormSrgb, Bgra8Unorm or Rgba16Float)"
    )]
    Format(wgpu::TextureFormat),
    /// The texture lacks a usage the bridge needs.
    #[error("the texture needs {0:?} usage")]
    Usage(wgpu::TextureUsages),
    /// Tensor and texture sizes differ.
    #[error(
        "tensor of shape {tensor:?} does not match a {width}×{height} texture (expected [1, 3, {height}, {width}])"
    )]
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

/// How the shaders read and write a texture format's texels.
#[derive(Clone, Copy)]
enum TexelKind {
    /// 8-bit RGBA bytes; for sRGB formats these are the encoded values the
    /// networks expect, so no conversion happens.
    Rgba8 = 0,
    /// 8-bit BGRA bytes.
    Bgra8 = 1,
    /// Half floats holding linear light (HDR view targets after tonemapping).
    Rgba16Float = 2,
}

impl TexelKind {
    fn of(format: wgpu::TextureFormat) -> Result<Self, BridgeError> {
        use wgpu::TextureFormat as F;
        match format {
            F::Rgba8Unorm | F::Rgba8UnormSrgb => Ok(Self::Rgba8),
            F::Bgra8Unorm | F::Bgra8UnormSrgb => Ok(Self::Bgra8),
            F::Rgba16Float => Ok(Self::Rgba16Float),
            other => Err(BridgeError::Format(other)),
        }
    }

    /// The texture's texel kind, if its format and `usage` suit the bridge.
    fn checked(texture: &wgpu::Texture, usage: wgpu::TextureUsages) -> Result<Self, BridgeError> {
        let kind = Self::of(texture.format())?;
        if !texture.usage().contains(usage) {
            return Err(BridgeError::Usage(usage));
        }
        Ok(kind)
    }

    fn bytes(self) -> u32 {
        match self {
            Self::Rgba8 | Self::Bgra8 => 4,
            Self::Rgba16Float => 8,
        }
    }
}

/// Uniforms of both shaders (`shaders/bridge_params.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    width: u32,
    height: u32,
    row_words: u32,
    kind: u32,
    scale: f32,
    bias: f32,
    _pad: [u32; 2],
}

/// One direction: its pipeline and a staging buffer grown on demand.
#[derive(Clone)]
struct Pass {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
    staging: Arc<Mutex<Option<wgpu::Buffer>>>,
}

impl Pass {
    fn new(device: &wgpu::Device, name: &str, source: &'static str) -> Self {
        let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(name),
            entries: &[
                // Input read-only, output read-write, for both directions.
                storage(0, true),
                storage(1, false),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(source)),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: Some(
                &device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(name),
                    bind_group_layouts: &[Some(&layout)],
                    immediate_size: 0,
                }),
            ),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Self {
            layout,
            pipeline,
            staging: Arc::new(Mutex::new(None)),
        }
    }

    /// Records the compute pass from buffer `input` (binding 0) to `output`
    /// (binding 1).
    fn dispatch(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        params: &Params,
        input: &wgpu::Buffer,
        output: &wgpu::Buffer,
    ) {
        let uniforms = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("gan_style bridge params"),
            contents: bytemuck::bytes_of(params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        // Whole buffers are bound and the tensor is addressed by its element
        // offset, which avoids storage-offset alignment limits.
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("gan_style bridge"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: input.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: output.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: uniforms.as_entire_binding(),
                },
            ],
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("gan_style bridge"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(params.width.div_ceil(8), params.height.div_ceil(8), 1);
    }

    /// The staging buffer, re-created only when a larger one is needed.
    fn staging(&self, device: &wgpu::Device, size: u64) -> wgpu::Buffer {
        let mut slot = self
            .staging
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some(buffer) if buffer.size() >= size => buffer.clone(),
            _ => {
                let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("gan_style bridge staging"),
                    size,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                *slot = Some(buffer.clone());
                buffer
            }
        }
    }
}

/// Copies between Bevy textures and burn tensors on Bevy's wgpu device.
/// Created once by [`crate::GanStylePlugin`] and inserted as a resource in
/// the main and render worlds.
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy::render::renderer::{RenderDevice, RenderQueue};
/// use bevy_gan_style::prelude::*;
/// fn invert(bridge: &TensorBridge, device: &RenderDevice, queue: &RenderQueue,
///           burn: &BurnDevice, texture: &wgpu::Texture) {
///     let BurnDevice::Gpu(burn) = burn else { return };
///     let x = bridge.texture_to_tensor(device.wgpu_device(), queue, texture, (0.0, 1.0), burn).unwrap();
///     bridge.tensor_to_texture(device.wgpu_device(), queue, x.neg().add_scalar(1.0), (0.0, 1.0), texture).unwrap();
/// }
/// ```
#[derive(bevy::prelude::Resource, Clone)]
pub struct TensorBridge {
    read: Pass,
    write: Pass,
}

impl TensorBridge {
    /// Builds the pipelines on `device`.
    pub fn new(device: &wgpu::Device) -> Self {
        Self {
            read: Pass::new(
                device,
                "gan_style texture_to_tensor",
                concat!(
                    include_str!("../../shaders/texels.wgsl"),
                    include_str!("../../shaders/bridge_params.wgsl"),
                    include_str!("../../shaders/texture_to_tensor.wgsl")
                ),
            ),
            write: Pass::new(
                device,
                "gan_style tensor_to_texture",
                concat!(
                    include_str!("../../shaders/texels.wgsl"),
                    include_str!("../../shaders/bridge_params.wgsl"),
                    include_str!("../../shaders/tensor_to_texture.wgsl")
                ),
            ),
        }
    }

    /// Copies the RGB channels of `texture` into a new `[1, 3, H, W]` tensor
    /// on `burn_device`, mapping `[0, 1]` onto `range` (the network's input
    /// range). 8-bit textures yield their stored values `k / 255` (for sRGB
    /// formats: the sRGB-encoded values), `Rgba16Float` textures (linear)
    /// are encoded to sRGB. The texture needs `COPY_SRC` usage.
    pub fn texture_to_tensor(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        texture: &wgpu::Texture,
        range: (f32, f32),
        burn_device: &WgpuDevice,
    ) -> Result<Tensor<GpuBackend, 4>, BridgeError> {
        let kind = TexelKind::checked(texture, wgpu::TextureUsages::COPY_SRC)?;
        let (width, height) = (texture.width() as usize, texture.height() as usize);
        let tensor = Tensor::<GpuBackend, 4>::empty([1, 3, height, width], burn_device);
        let cube = tensor.into_primitive().tensor();
        let (scale, bias) = (range.1 - range.0, range.0);
        self.transfer(
            device,
            queue,
            texture,
            kind,
            &cube,
            Direction::ToTensor,
            scale,
            bias,
        )?;
        Ok(Tensor::from_primitive(TensorPrimitive::Float(cube)))
    }

    /// Writes `tensor` (`[1, 3, H, W]`, values in `range`, the network's output
    /// range) into `texture`, which must be `W × H` with `COPY_DST` usage.
    /// 8-bit textures receive the values as bytes (for sRGB formats: the
    /// network's sRGB output as encoded values), `Rgba16Float` textures the
    /// linear colours. Returns the queue submission, for callers that want to
    /// wait for it.
    pub fn tensor_to_texture(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        tensor: Tensor<GpuBackend, 4>,
        range: (f32, f32),
        texture: &wgpu::Texture,
    ) -> Result<wgpu::SubmissionIndex, BridgeError> {
        let kind = TexelKind::checked(texture, wgpu::TextureUsages::COPY_DST)?;
        let (width, height) = (texture.width(), texture.height());
        let dims = tensor.dims();
        if dims != [1, 3, height as usize, width as usize] {
            return Err(BridgeError::Shape {
                tensor: dims.to_vec(),
                width,
                height,
            });
        }
        let cube = tensor.into_primitive().tensor();
        let scale = 1.0 / (range.1 - range.0);
        self.transfer(
            device,
            queue,
            texture,
            kind,
            &cube,
            Direction::ToTexture,
            scale,
            -range.0 * scale,
        )
    }

    /// Records and submits one direction: texture ⇄ staging (raw copy),
    /// staging ⇄ tensor (compute), with values mapped by `v * scale + bias`.
    #[expect(
        clippy::too_many_arguments,
        reason = "private plumbing of the two public calls"
    )]
    fn transfer(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        texture: &wgpu::Texture,
        kind: TexelKind,
        tensor: &CubeTensor<WgpuRuntime>,
        direction: Direction,
        scale: f32,
        bias: f32,
    ) -> Result<wgpu::SubmissionIndex, BridgeError> {
        let runtime = |e| BridgeError::Runtime(format!("{e:?}"));
        // Holding `managed` keeps the tensor's memory out of burn's pool
        // until our submission is queued.
        let managed = tensor
            .client
            .get_resource(tensor.handle.clone())
            .map_err(runtime)?;
        let storage = &managed.resource().buffer;
        let (width, height) = (texture.width(), texture.height());
        let row_bytes = (width * kind.bytes()).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let pass = match direction {
            Direction::ToTensor => &self.read,
            Direction::ToTexture => &self.write,
        };
        let staging = pass.staging(device, u64::from(row_bytes * height));
        let params = tensor_params(
            tensor,
            managed.resource().offset,
            kind,
            row_bytes,
            scale,
            bias,
        );

        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gan_style bridge"),
        });
        let copy = (
            staging_copy(&staging, row_bytes, height),
            extent(width, height),
        );
        match direction {
            Direction::ToTensor => {
                encoder.copy_texture_to_buffer(texture.as_image_copy(), copy.0, copy.1);
                pass.dispatch(device, &mut encoder, &params, &staging, storage);
            }
            Direction::ToTexture => {
                pass.dispatch(device, &mut encoder, &params, storage, &staging);
                encoder.copy_buffer_to_texture(copy.0, texture.as_image_copy(), copy.1);
            }
        }
        // See the module docs: burn's recorded work first, then ours.
        tensor.client.flush().map_err(runtime)?;
        let submission = queue.submit([encoder.finish()]);
        drop(managed);
        Ok(submission)
    }
}

/// Which way a transfer goes.
#[derive(Clone, Copy)]
enum Direction {
    ToTensor,
    ToTexture,
}

fn extent(width: u32, height: u32) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    }
}

fn staging_copy(
    buffer: &wgpu::Buffer,
    row_bytes: u32,
    height: u32,
) -> wgpu::TexelCopyBufferInfo<'_> {
    wgpu::TexelCopyBufferInfo {
        buffer,
        layout: wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(row_bytes),
            rows_per_image: Some(height),
        },
    }
}

/// Shader parameters addressing `tensor` at byte `offset` of its buffer.
fn tensor_params(
    tensor: &CubeTensor<WgpuRuntime>,
    offset: u64,
    kind: TexelKind,
    row_bytes: u32,
    scale: f32,
    bias: f32,
) -> Params {
    let strides = tensor.meta.strides();
    let shape = tensor.meta.shape();
    Params {
        offset: (offset / 4) as u32,
        stride_c: strides[1] as u32,
        stride_h: strides[2] as u32,
        stride_w: strides[3] as u32,
        width: shape[3] as u32,
        height: shape[2] as u32,
        row_words: row_bytes / 4,
        kind: kind as u32,
        scale,
        bias,
        _pad: [0; 2],
    }
}

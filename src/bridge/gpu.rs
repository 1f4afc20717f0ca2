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

use std::sync::{Arc, Mutex};

use burn::backend::wgpu::{WgpuDevice, WgpuRuntime};
use burn::tensor::{Tensor, TensorPrimitive};
use burn_cubecl::tensor::CubeTensor;
use thiserror::Error;
use wgpu::util::DeviceExt;

use super::kernel::{
    TensorStorage, TexelKind, buffer_copy, compute_pipeline, cube_tensor, flush_burn,
    storage_entry, texel_buffer, texture_extent, uniform_entry,
};
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
        // Input read-only, output read-write, for both directions.
        let entries = [
            storage_entry(0, true),
            storage_entry(1, false),
            uniform_entry(2),
        ];
        let (layout, pipeline) = compute_pipeline(device, name, source, &entries);
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
                let buffer = texel_buffer(device, "gan_style bridge staging", size);
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
        let cube = cube_tensor(Tensor::empty([1, 3, height, width], burn_device));
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
        let cube = cube_tensor(tensor);
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
        let storage = TensorStorage::of(tensor)?;
        let row_bytes = kind.row_bytes(texture.width());
        let pass = match direction {
            Direction::ToTensor => &self.read,
            Direction::ToTexture => &self.write,
        };
        let staging = pass.staging(device, u64::from(row_bytes * texture.height()));
        let params = Params {
            offset: storage.offset,
            stride_c: storage.strides[1],
            stride_h: storage.strides[2],
            stride_w: storage.strides[3],
            width: texture.width(),
            height: texture.height(),
            row_words: row_bytes / 4,
            kind: kind as u32,
            scale,
            bias,
            _pad: [0; 2],
        };

        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gan_style bridge"),
        });
        let extent = texture_extent(texture);
        match direction {
            Direction::ToTensor => {
                encoder.copy_texture_to_buffer(
                    texture.as_image_copy(),
                    buffer_copy(&staging, row_bytes),
                    extent,
                );
                pass.dispatch(device, &mut encoder, &params, &staging, storage.buffer());
            }
            Direction::ToTexture => {
                pass.dispatch(device, &mut encoder, &params, storage.buffer(), &staging);
                encoder.copy_buffer_to_texture(
                    buffer_copy(&staging, row_bytes),
                    texture.as_image_copy(),
                    extent,
                );
            }
        }
        // See the module docs: burn's recorded work first, then ours.
        flush_burn(tensor)?;
        let submission = queue.submit([encoder.finish()]);
        drop(storage);
        Ok(submission)
    }
}

/// Which way a transfer goes.
#[derive(Clone, Copy)]
enum Direction {
    ToTensor,
    ToTexture,
}

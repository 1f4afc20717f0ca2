//! Pieces shared by the crate's compute passes that move images between
//! textures and tensors (the bridge and the camera filter): texel formats,
//! bind-group layouts, buffer copies, and locating a tensor in burn's memory.

use std::borrow::Cow;

use burn::backend::wgpu::{WgpuResource, WgpuRuntime};
use burn::tensor::Tensor;
use burn_cubecl::tensor::CubeTensor;
use cubecl_runtime::storage::ManagedResource;

use super::BridgeError;
use crate::device::GpuBackend;

/// How the shaders read and write a texture format's texels (the `KIND_*`
/// constants of `shaders/texels.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TexelKind {
    /// 8-bit RGBA bytes; for sRGB formats these are the encoded values the
    /// networks expect, so no conversion happens.
    Rgba8 = 0,
    /// 8-bit BGRA bytes.
    Bgra8 = 1,
    /// Half floats holding linear light (HDR view targets after tonemapping).
    Rgba16Float = 2,
}

impl TexelKind {
    pub fn of(format: wgpu::TextureFormat) -> Result<Self, BridgeError> {
        use wgpu::TextureFormat as F;
        match format {
            F::Rgba8Unorm | F::Rgba8UnormSrgb => Ok(Self::Rgba8),
            F::Bgra8Unorm | F::Bgra8UnormSrgb => Ok(Self::Bgra8),
            F::Rgba16Float => Ok(Self::Rgba16Float),
            other => Err(BridgeError::Format(other)),
        }
    }

    /// The texture's texel kind, if its format and `usage` suit the passes.
    pub fn checked(
        texture: &wgpu::Texture,
        usage: wgpu::TextureUsages,
    ) -> Result<Self, BridgeError> {
        let kind = Self::of(texture.format())?;
        if !texture.usage().contains(usage) {
            return Err(BridgeError::Usage(usage));
        }
        Ok(kind)
    }

    /// Bytes per row of a `width`-texel image in a buffer, padded as texture
    /// copies require.
    pub fn row_bytes(self, width: u32) -> u32 {
        let texel = match self {
            Self::Rgba8 | Self::Bgra8 => 4,
            Self::Rgba16Float => 8,
        };
        (width * texel).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
    }
}

/// Layout entry of a storage buffer visible to compute shaders.
pub(crate) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// Layout entry of a uniform buffer visible to compute shaders.
pub(crate) fn uniform_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// A compute pipeline with entry point `main` and one bind group.
pub(crate) fn compute_pipeline(
    device: &wgpu::Device,
    name: &str,
    source: &'static str,
    entries: &[wgpu::BindGroupLayoutEntry],
) -> (wgpu::BindGroupLayout, wgpu::ComputePipeline) {
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(name),
        entries,
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
    (layout, pipeline)
}

/// A buffer for `rows` texel rows of `row_bytes` each, usable as storage and
/// as copy source / destination.
pub(crate) fn texel_buffer(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// The whole of `texture` as a copy extent.
pub(crate) fn texture_extent(texture: &wgpu::Texture) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width: texture.width(),
        height: texture.height(),
        depth_or_array_layers: 1,
    }
}

/// `buffer` as the buffer side of a texture copy with rows of `row_bytes`.
pub(crate) fn buffer_copy(buffer: &wgpu::Buffer, row_bytes: u32) -> wgpu::TexelCopyBufferInfo<'_> {
    wgpu::TexelCopyBufferInfo {
        buffer,
        layout: wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(row_bytes),
            rows_per_image: None,
        },
    }
}

/// A float tensor's place in burn's memory pool. Holding it keeps the
/// memory from being reused; drop it only after the submission that uses it
/// is queued.
pub(crate) struct TensorStorage {
    managed: ManagedResource<WgpuResource>,
    /// Element offset of the tensor in [`Self::buffer`].
    pub offset: u32,
    /// Element strides `[n, c, h, w]`.
    pub strides: [u32; 4],
}

impl TensorStorage {
    /// Locates `tensor`, which stays usable.
    pub fn of(tensor: &CubeTensor<WgpuRuntime>) -> Result<Self, BridgeError> {
        let managed = tensor
            .client
            .get_resource(tensor.handle.clone())
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))?;
        let offset = (managed.resource().offset / 4) as u32;
        let s = tensor.meta.strides();
        Ok(Self {
            managed,
            offset,
            strides: [s[0] as u32, s[1] as u32, s[2] as u32, s[3] as u32],
        })
    }

    /// The pooled buffer holding the tensor (bound whole, so that no
    /// storage-offset alignment applies).
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.managed.resource().buffer
    }
}

/// The cubecl tensor behind a GPU float tensor.
pub(crate) fn cube_tensor(tensor: Tensor<GpuBackend, 4>) -> CubeTensor<WgpuRuntime> {
    tensor.into_primitive().tensor()
}

/// Submits burn's recorded work, so that work submitted next runs after it
/// (see the ordering notes in `bridge/gpu.rs`).
pub(crate) fn flush_burn(tensor: &CubeTensor<WgpuRuntime>) -> Result<(), BridgeError> {
    tensor
        .client
        .flush()
        .map_err(|e| BridgeError::Runtime(format!("{e:?}")))
}

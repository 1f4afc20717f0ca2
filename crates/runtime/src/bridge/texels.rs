//! Images as raw texels in a GPU buffer: what the crate's passes read and
//! write instead of textures, so that 8-bit values stay exact (no hardware
//! sRGB conversion is involved).

use bevy::math::UVec2;
use bevy::render::render_resource::{Buffer, BufferDescriptor, BufferUsages};
use bevy::render::renderer::RenderDevice;

use super::error::BridgeError;

/// How the shaders read and write a texture format's texels (the `KIND_*`
/// constants of `shaders/texels.wgsl`).
///
/// ```
/// use bevy_gan_style_runtime::bridge::TexelKind;
/// assert_eq!(TexelKind::of(wgpu::TextureFormat::Rgba8UnormSrgb).unwrap(), TexelKind::Rgba8);
/// assert!(TexelKind::of(wgpu::TextureFormat::R8Unorm).is_err());
/// // Rows are padded to wgpu's copy alignment.
/// assert_eq!(TexelKind::Rgba8.row_bytes(90), 512);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TexelKind {
    /// 8-bit RGBA bytes; for sRGB formats these are the encoded values the
    /// networks expect, so no conversion happens.
    Rgba8 = 0,
    /// 8-bit BGRA bytes.
    Bgra8 = 1,
    /// Half floats holding linear light (HDR view targets after tonemapping).
    Rgba16Float = 2,
}

impl TexelKind {
    /// The kind of `format`, if the passes handle it.
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

/// A `size` image of `kind` texels in a storage buffer, with rows padded for
/// texture copies: filled from a texture by [`Self::copy_from`], written back
/// by [`Self::copy_to`], and read or written by compute passes in between.
#[derive(Clone)]
pub struct TexelBuffer {
    buffer: Buffer,
    size: UVec2,
    kind: TexelKind,
}

impl TexelBuffer {
    /// A new buffer for a `size` image of `kind`.
    pub fn new(device: &RenderDevice, label: &str, size: UVec2, kind: TexelKind) -> Self {
        let buffer = device.create_buffer(&BufferDescriptor {
            label: Some(label),
            size: Self::bytes(size, kind),
            usage: BufferUsages::STORAGE | BufferUsages::COPY_SRC | BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Self { buffer, size, kind }
    }

    /// Bytes a `size` image of `kind` needs.
    pub fn bytes(size: UVec2, kind: TexelKind) -> u64 {
        u64::from(kind.row_bytes(size.x)) * u64::from(size.y)
    }

    /// Reuses `self`'s storage for a `size` image of `kind` if it is large
    /// enough, else makes a new buffer.
    pub(crate) fn reshaped(
        self,
        device: &RenderDevice,
        label: &str,
        size: UVec2,
        kind: TexelKind,
    ) -> Self {
        if self.buffer.size() >= Self::bytes(size, kind) {
            Self {
                buffer: self.buffer,
                size,
                kind,
            }
        } else {
            Self::new(device, label, size, kind)
        }
    }

    /// The storage buffer.
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// Image width and height.
    pub fn size(&self) -> UVec2 {
        self.size
    }

    /// How texels are stored.
    pub fn kind(&self) -> TexelKind {
        self.kind
    }

    /// Bytes per (padded) row.
    pub fn row_bytes(&self) -> u32 {
        self.kind.row_bytes(self.size.x)
    }

    /// Records a raw copy of the buffer's size from `texture` (`COPY_SRC`),
    /// starting at texel `origin`, into the buffer.
    pub fn copy_from(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        texture: &wgpu::Texture,
        origin: UVec2,
    ) {
        encoder.copy_texture_to_buffer(at(texture, origin), self.copy_layout(), self.extent());
    }

    /// Records a raw copy of the buffer into `texture` (`COPY_DST`), its
    /// top-left texel at `origin`.
    pub fn copy_to(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        texture: &wgpu::Texture,
        origin: UVec2,
    ) {
        encoder.copy_buffer_to_texture(self.copy_layout(), at(texture, origin), self.extent());
    }

    fn copy_layout(&self) -> wgpu::TexelCopyBufferInfo<'_> {
        wgpu::TexelCopyBufferInfo {
            buffer: &self.buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(self.row_bytes()),
                rows_per_image: None,
            },
        }
    }

    fn extent(&self) -> wgpu::Extent3d {
        wgpu::Extent3d {
            width: self.size.x,
            height: self.size.y,
            depth_or_array_layers: 1,
        }
    }
}

/// `texture`'s first mip level, from texel `origin`.
fn at(texture: &wgpu::Texture, origin: UVec2) -> wgpu::TexelCopyTextureInfo<'_> {
    wgpu::TexelCopyTextureInfo {
        origin: wgpu::Origin3d {
            x: origin.x,
            y: origin.y,
            z: 0,
        },
        ..texture.as_image_copy()
    }
}

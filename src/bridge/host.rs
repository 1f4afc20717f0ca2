//! Blocking uploads and readbacks of textures through host memory, for tools,
//! tests and PNG output. Apps keep images on the GPU and never need these.

use wgpu::util::DeviceExt;

use super::error::BridgeError;

/// Creates a `width × height` texture of `format` holding `texels` (tightly
/// packed rows), with `usage` plus `COPY_DST`.
pub fn upload_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texels: &[u8],
    width: u32,
    height: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture_with_data(
        queue,
        &wgpu::TextureDescriptor {
            label: Some("gan_style upload"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: usage | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        },
        wgpu::util::TextureDataOrder::LayerMajor,
        texels,
    )
}

/// Reads a 2-D texture (`COPY_SRC` usage) back to host memory as tightly
/// packed rows of its texels, waiting for the GPU.
pub fn read_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
) -> Result<Vec<u8>, BridgeError> {
    if !texture.usage().contains(wgpu::TextureUsages::COPY_SRC) {
        return Err(BridgeError::Usage(wgpu::TextureUsages::COPY_SRC));
    }
    let format = texture.format();
    let texel = format
        .block_copy_size(None)
        .ok_or(BridgeError::Format(format))?;
    let (width, height) = (texture.width(), texture.height());
    let row = width * texel;
    let padded_row = row.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("gan_style readback"),
        size: u64::from(padded_row * height),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("gan_style readback"),
    });
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    let submission = queue.submit([encoder.finish()]);
    let slice = buffer.slice(..);
    let (sender, receiver) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |result| {
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: None,
        })
        .map_err(|e| BridgeError::Runtime(e.to_string()))?;
    receiver
        .recv()
        .map_err(|e| BridgeError::Runtime(e.to_string()))?
        .map_err(|e| BridgeError::Runtime(e.to_string()))?;
    let mapped = slice.get_mapped_range();
    let mut texels = Vec::with_capacity((row * height) as usize);
    for y in 0..height {
        let start = (y * padded_row) as usize;
        texels.extend_from_slice(&mapped[start..start + row as usize]);
    }
    drop(mapped);
    buffer.unmap();
    Ok(texels)
}

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
    let mapped = copy_and_read(
        device,
        queue,
        u64::from(padded_row * height),
        |encoder, buffer| {
            encoder.copy_texture_to_buffer(
                texture.as_image_copy(),
                wgpu::TexelCopyBufferInfo {
                    buffer,
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
        },
    )?;
    let mut texels = Vec::with_capacity((row * height) as usize);
    for y in 0..height {
        let start = (y * padded_row) as usize;
        texels.extend_from_slice(&mapped[start..start + row as usize]);
    }
    Ok(texels)
}

/// Reads a buffer (`COPY_SRC` usage) back to host memory, waiting for the
/// GPU.
pub fn read_buffer(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    buffer: &wgpu::Buffer,
) -> Result<Vec<u8>, BridgeError> {
    if !buffer.usage().contains(wgpu::BufferUsages::COPY_SRC) {
        return Err(BridgeError::Runtime(
            "the buffer has no COPY_SRC usage".into(),
        ));
    }
    copy_and_read(device, queue, buffer.size(), |encoder, staging| {
        encoder.copy_buffer_to_buffer(buffer, 0, staging, 0, buffer.size());
    })
}

/// Records `copy` into a mappable buffer of `size` bytes, submits it and
/// returns the buffer's bytes once the GPU is done.
fn copy_and_read(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    size: u64,
    copy: impl FnOnce(&mut wgpu::CommandEncoder, &wgpu::Buffer),
) -> Result<Vec<u8>, BridgeError> {
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("gan_style readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("gan_style readback"),
    });
    copy(&mut encoder, &buffer);
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
    let bytes = slice.get_mapped_range().to_vec();
    buffer.unmap();
    Ok(bytes)
}

//! Render-world generation of [`NeuralTexture`](super::NeuralTexture)
//! images: the generator runs on Bevy's device and the bridge writes its
//! output straight into the image's texture, before the frame's passes are
//! submitted.

use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::diagnostic::{DiagnosticsRecorder, RecordDiagnostics};
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderDevice, RenderQueue};
use bevy::render::texture::GpuImage;

use super::component::ExtractedNeuralTexture;
use super::generate::{TextureParams, generate};
use crate::bridge::TensorBridge;
use crate::device::on_render_stream;
use crate::model::{CardModel, GpuNet, TextureModel};
use bevy_gan_style_nn::TEXTURE_RANGE;

/// Name of the render diagnostic span around each texture generation: with
/// Bevy's `RenderDiagnosticsPlugin`, `render/neural_texture/elapsed_gpu`
/// (and `elapsed_cpu`) in the `DiagnosticsStore`, milliseconds.
pub const NEURAL_TEXTURE_SPAN: &str = "neural_texture";

/// What each texture entity last generated, to skip unchanged frames.
#[derive(Resource, Default)]
pub(crate) struct GeneratedTextures(HashMap<Entity, Generated>);

#[derive(PartialEq)]
struct Generated {
    params: TextureParams,
    model: AssetId<TextureModel>,
    texture: bevy::render::render_resource::TextureId,
}

#[expect(clippy::too_many_arguments, reason = "a render system's resources")]
pub(crate) fn generate_textures(
    textures: Query<(Entity, &ExtractedNeuralTexture)>,
    nets: Res<RenderAssets<GpuNet<TextureModel>>>,
    images: Res<RenderAssets<GpuImage>>,
    bridge: TensorBridge,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    diagnostics: Option<Res<DiagnosticsRecorder>>,
    mut generated: ResMut<GeneratedTextures>,
) {
    on_render_stream(|| {
        if !bridge.is_ready() {
            return;
        }
        generated.0.retain(|entity, _| textures.contains(*entity));
        for (entity, texture) in &textures {
            let (Some(gpu_net), Some(image)) = (nets.get(texture.model), images.get(texture.image))
            else {
                continue;
            };
            // Not built, or still warming up off the frame.
            let Some(net) = gpu_net.net.as_deref().filter(|_| gpu_net.is_ready()) else {
                continue;
            };
            let now = Generated {
                params: texture.params,
                model: texture.model,
                texture: image.texture.id(),
            };
            if generated.0.get(&entity) == Some(&now) {
                continue;
            }
            let size = texture.params.size;
            if UVec2::new(image.texture.width(), image.texture.height()) != size {
                // The resized image reaches the GPU in a later frame.
                continue;
            }
            let max_binding = device.limits().max_storage_buffer_binding_size;
            if let Err(error) = gpu_net.model.latent_size(size.x, size.y).and_then(|_| {
                gpu_net
                    .model
                    .check_device_limit(size.x, size.y, max_binding)
            }) {
                warn_once!("bevy_gan_style: neural texture skipped: {error}");
                continue;
            }
            // The span's timestamps are submitted before and after the
            // generator's kernels and the bridge's copy, on the same queue.
            let encoder = || {
                device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("gan_style neural texture"),
                })
            };
            let mut begin = encoder();
            let span = diagnostics
                .as_deref()
                .map(|recorder| recorder.time_span(&mut begin, NEURAL_TEXTURE_SPAN));
            queue.submit([begin.finish()]);
            let output = generate(net, &gpu_net.model.card().generator, &texture.params);
            let result = bridge.tensor_to_texture(output, TEXTURE_RANGE, &image.texture);
            let mut end = encoder();
            if let Some(span) = span {
                span.end(&mut end);
            }
            queue.submit([end.finish()]);
            if let Err(error) = result {
                warn_once!("bevy_gan_style: neural texture skipped: {error}");
                continue;
            }
            generated.0.insert(entity, now);
        }
    })
}

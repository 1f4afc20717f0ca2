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
use super::generate::{TextureParams, generate, generate_upscaled};
use crate::bridge::TensorBridge;
use crate::device::{GpuBackend, on_render_stream};
use crate::model::{CardModel, GpuNet, ModelError, TextureModel, UpscaleModel};
use crate::upscale::tile_side;
use bevy_gan_style_nn::{TEXTURE_RANGE, Upscaler};

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
    upscale: Option<(AssetId<UpscaleModel>, u32)>,
    texture: bevy::render::render_resource::TextureId,
}

#[expect(clippy::too_many_arguments, reason = "a render system's resources")]
pub(crate) fn generate_textures(
    textures: Query<(Entity, &ExtractedNeuralTexture)>,
    nets: Res<RenderAssets<GpuNet<TextureModel>>>,
    upscalers: Option<Res<RenderAssets<GpuNet<UpscaleModel>>>>,
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
                upscale: texture.upscale,
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
            let upscaler = match texture.upscale {
                Some((model, passes)) => match ready_upscaler(upscalers.as_deref(), model) {
                    Some((net, model)) => Some((net, model, passes)),
                    None => continue,
                },
                None => None,
            };
            let plan = plan(&gpu_net.model, size, upscaler, max_binding);
            let run = match plan {
                Ok(run) => run,
                Err(error) => {
                    warn_once!("bevy_gan_style: neural texture skipped: {error}");
                    continue;
                }
            };
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
            let config = &gpu_net.model.card().generator;
            let output = match run {
                Some((upscaler, passes, tile)) => {
                    generate_upscaled(net, config, &texture.params, (upscaler, passes), Some(tile))
                }
                None => Ok(generate(net, config, &texture.params)),
            };
            let result = match output {
                Ok(output) => bridge
                    .tensor_to_texture(output, TEXTURE_RANGE, &image.texture)
                    .map_err(|error| error.to_string()),
                Err(error) => Err(error.to_string()),
            };
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

/// The upscaling model's warm network, or `None` (not loaded or warming
/// up; without `NeuralUpscalePlugin`, said once).
fn ready_upscaler(
    nets: Option<&RenderAssets<GpuNet<UpscaleModel>>>,
    model: AssetId<UpscaleModel>,
) -> Option<(&Upscaler<GpuBackend>, &UpscaleModel)> {
    let Some(nets) = nets else {
        warn_once!(
            "bevy_gan_style: NeuralTextureUpscale needs NeuralUpscalePlugin (part of GanStylePlugin)"
        );
        return None;
    };
    let upscaler = nets.get(model)?;
    let net = upscaler.net.as_deref().filter(|_| upscaler.is_ready())?;
    Some((net, &upscaler.model))
}

/// An upscaler, its passes and its tile side (input pixels).
type UpscaleRun<'a> = (&'a Upscaler<GpuBackend>, u32, usize);

/// How a texture of `size` is made on a device whose storage bindings hold
/// `max_binding` bytes: `None` by the generator alone, or the upscaler,
/// its passes and its tile side; an error when the size does not suit the
/// models or the generator's activations do not fit.
fn plan<'a>(
    model: &TextureModel,
    size: UVec2,
    upscaler: Option<(&'a Upscaler<GpuBackend>, &UpscaleModel, u32)>,
    max_binding: u64,
) -> Result<Option<UpscaleRun<'a>>, ModelError> {
    let Some((net, upscale_model, passes)) = upscaler else {
        model.latent_size(size.x, size.y)?;
        model.check_device_limit(size.x, size.y, max_binding)?;
        return Ok(None);
    };
    let factor = upscale_model.unguided()?.factor();
    let (w, h) = model.generated_size(size.x, size.y, factor, passes)?;
    model.check_device_limit(w, h, max_binding)?;
    let config = &upscale_model.card().network;
    let tile = tile_side(config, max_binding).ok_or_else(|| ModelError::ImageSize {
        width: size.x,
        height: size.y,
        reason: format!(
            "{}'s activations exceed the device's storage-binding limit even for one pixel",
            upscale_model.card().name
        ),
    })?;
    Ok(Some((net, passes, tile)))
}

//! [`NeuralUpscale`](super::NeuralUpscale)'s `Core3d` systems, after
//! tonemapping: the low-resolution corner of the view target → tensor →
//! network → the whole view target. Ordered on the shared queue as the
//! camera filter's (`style_transfer/record.rs`): the input is recorded,
//! an `ApplyDeferred` moves it to the pending work that [`run_network`]
//! submits before burn's kernels, and the output pass is recorded after
//! burn's work is flushed.

use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{FlushCommands, RenderContext, ViewQuery};
use bevy::render::view::ViewTarget;

use super::camera::{ExtractedNeuralUpscale, UpscaleMethod, UpscaleView};
use crate::bridge::{BoundTensor, BridgeError, TensorBridge};
use crate::device::{BurnDevice, on_render_stream};
use crate::model::{GpuNet, UpscaleModel};
use bevy_gan_style_nn::upsample_bilinear;

/// Copies the rendered corner out and records it into the network's input
/// (`NeuralUpscaleSystems::Input`).
pub(crate) fn record_input(
    view: ViewQuery<(&ViewTarget, &mut UpscaleView)>,
    bridge: TensorBridge,
    burn: Res<BurnDevice>,
    mut context: RenderContext,
) {
    let (target, mut view) = view.into_inner();
    let BurnDevice::Gpu(device) = &*burn else {
        return;
    };
    let encoder = context.command_encoder();
    // A buffer of the main pass's size takes exactly the top-left corner.
    view.frame
        .copy_from(encoder, target.main_texture(), UVec2::ZERO);
    let input = on_render_stream(|| -> Result<_, BridgeError> {
        let input = BoundTensor::empty(view.low, device)?;
        let view = &mut *view;
        bridge.encode_to_tensor(
            encoder,
            &view.frame,
            &input,
            (0.0, 1.0),
            &mut view.input_bindings,
        )?;
        input.flush_burn()?;
        Ok(input.into_tensor())
    });
    match input {
        Ok(input) => view.input = Some(input),
        Err(error) => fail(&mut view, error),
    }
}

/// Upscales the recorded input, after submitting everything recorded
/// before it (`NeuralUpscaleSystems::Network`).
pub(crate) fn run_network(
    view: ViewQuery<(&ExtractedNeuralUpscale, &mut UpscaleView)>,
    nets: Res<RenderAssets<GpuNet<UpscaleModel>>>,
    mut flush: FlushCommands,
) {
    let (settings, mut view) = view.into_inner();
    let (Some(net), Some(input)) = (
        nets.get(settings.model).and_then(|net| net.net.clone()),
        view.input.take(),
    ) else {
        return;
    };
    flush.flush();
    let factor = view.factor as usize;
    view.upscaled = Some(on_render_stream(|| match settings.method {
        UpscaleMethod::Network => net.forward(input),
        UpscaleMethod::Bilinear => upsample_bilinear(input, factor),
    }));
}

/// Records the upscaled frame into the whole view target
/// (`NeuralUpscaleSystems::Output`).
pub(crate) fn record_output(
    view: ViewQuery<(&ViewTarget, &mut UpscaleView)>,
    bridge: TensorBridge,
    mut context: RenderContext,
) {
    let (target, mut view) = view.into_inner();
    let Some(upscaled) = view.upscaled.take() else {
        return;
    };
    let encoder = context.command_encoder();
    let result = on_render_stream(|| -> Result<(), BridgeError> {
        let tensor = BoundTensor::new(upscaled)?;
        let view = &mut *view;
        bridge.encode_from_tensor(
            encoder,
            &tensor,
            &view.output,
            (0.0, 1.0),
            &mut view.output_bindings,
        )?;
        tensor.flush_burn()
    });
    match result {
        Ok(()) => view
            .output
            .copy_to(encoder, target.main_texture(), UVec2::ZERO),
        Err(error) => fail(&mut view, error),
    }
}

/// A pass failed: reported once per view (the frame shows the low
/// resolution corner).
fn fail(view: &mut UpscaleView, error: BridgeError) {
    if !view.warned {
        view.warned = true;
        error!("bevy_gan_style: camera upscaling failed: {error}");
    }
}

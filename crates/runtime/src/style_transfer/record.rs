//! The core filter's `Core3d` systems, after tonemapping: view target →
//! network → view target, as the view's [`FramePlan`] says, on the shared
//! device.
//!
//! Ordering on the shared queue: [`record_input`] records the frame's copy
//! and the network's input (features add their passes, e.g. a style map,
//! in the same set); an `ApplyDeferred` then moves everything recorded so
//! far (the scene up to tonemapping included) to the pending list, and
//! [`run_network`] submits it before burn's kernels; [`record_compose`]
//! flushes burn and records the compose pass and the copy back, submitted
//! with the rest of the frame. Nothing waits on the GPU.

use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::PipelineCache;
use bevy::render::renderer::{FlushCommands, RenderContext, RenderDevice, RenderQueue, ViewQuery};
use bevy::render::view::ViewTarget;

use super::compose::{ComposeBindings, ComposeFrame, ComposePipeline};
use super::extract::ExtractedStyleTransfer;
use super::view::{FramePlan, NetworkRun, Produced, RunStyle, Step, ViewFilter};
use crate::bridge::{BoundTensor, BridgeError, TensorBridge};
use crate::device::{BurnDevice, GpuBackend, on_render_stream};
use crate::model::{GpuNet, StyleModel, StyleNet, style_tensor_input};
use bevy_gan_style_nn::{LayerStyles, StyleTransformer};
use burn::tensor::Tensor;

/// What the record systems read of the current view.
type FilteredView = (
    &'static ExtractedStyleTransfer,
    &'static mut FramePlan,
    &'static mut ViewFilter,
);

/// Copies the rendered frame out and, when the network runs, records its
/// input: the frame box-filtered to the network's size, in its range
/// (`StyleTransferSystems::Input`).
pub(crate) fn record_input(
    view: ViewQuery<(&ViewTarget, FilteredView)>,
    nets: Res<RenderAssets<GpuNet<StyleModel>>>,
    bridge: TensorBridge,
    burn: Res<BurnDevice>,
    mut context: RenderContext,
) {
    let (target, (settings, mut plan, mut state)) = view.into_inner();
    let (BurnDevice::Gpu(device), Some(gpu_net)) = (&*burn, nets.get(settings.model)) else {
        return;
    };
    if plan.step == Step::Unfiltered {
        return;
    }
    let encoder = context.command_encoder();
    state
        .buffers
        .frame
        .copy_from(encoder, target.main_texture(), plan.origin);
    if !plan.runs() {
        return;
    }
    let range = gpu_net.model.card().input_range;
    let input = on_render_stream(|| -> Result<_, BridgeError> {
        let input = BoundTensor::empty(plan.net_size, device)?;
        let state = &mut *state;
        bridge.encode_to_tensor(
            encoder,
            &state.buffers.frame,
            &input,
            range,
            &mut state.input_bindings,
        )?;
        // burn's recorded work on the tensor's memory goes first.
        input.flush_burn()?;
        Ok(input.into_tensor())
    });
    match input {
        Ok(input) => plan.input = Some(input),
        Err(error) => fail(&mut plan, &mut state, error),
    }
}

/// Runs the network on the recorded input, after submitting everything
/// recorded before it (`StyleTransferSystems::Network`).
pub(crate) fn run_network(
    view: ViewQuery<FilteredView>,
    nets: Res<RenderAssets<GpuNet<StyleModel>>>,
    mut flush: FlushCommands,
) {
    let (settings, mut plan, mut state) = view.into_inner();
    let Some(gpu_net) = nets.get(settings.model) else {
        return;
    };
    let (Some(net), Some(input), Some(style)) =
        (gpu_net.net.as_deref(), plan.input.take(), plan.style.take())
    else {
        return;
    };
    flush.flush();
    on_render_stream(|| {
        let card = gpu_net.model.card();
        let styles = with_strength(net, &input, style);
        let output = net.forward_layered(input.clone(), &styles, settings.precision);
        let output = card.preserve_color(input.clone(), output, settings.preserve_color);
        let produced = Produced {
            model: settings.model,
            revision: gpu_net.revision,
            net_size: plan.net_size,
            output_range: card.output_range,
        };
        state.output = Some((output.clone(), produced));
        plan.ran = Some(NetworkRun {
            input,
            styles,
            output,
        });
    })
}

/// The run's conditions; for arbitrary-style models with a strength below
/// 1 (Magenta's), the frame's own style vector mixed into every style row.
fn with_strength(
    net: &StyleNet<GpuBackend>,
    input: &Tensor<GpuBackend, 4>,
    style: RunStyle,
) -> LayerStyles<GpuBackend> {
    match (style.strength, net) {
        (Some(strength), StyleNet::Arbitrary(arbitrary)) => {
            let own = arbitrary.predict(style_tensor_input(input.clone()));
            style.styles.map_styles(|rows| {
                rows.mul_scalar(strength) + own.clone().mul_scalar(1.0 - strength)
            })
        }
        _ => style.styles,
    }
}

/// Records the compose pass and the copy back into the view target
/// (`StyleTransferSystems::Compose`).
pub(crate) fn record_compose(
    view: ViewQuery<(&ViewTarget, &mut ComposeBindings, FilteredView)>,
    compose: Res<ComposePipeline>,
    (cache, device, queue): (Res<PipelineCache>, Res<RenderDevice>, Res<RenderQueue>),
    mut context: RenderContext,
) {
    let (target, mut bindings, (settings, mut plan, mut state)) = view.into_inner();
    let Some((output, produced)) = state.output.clone() else {
        return;
    };
    if plan.step == Step::Unfiltered {
        return;
    }
    let frame = ComposeFrame {
        strength: settings.strength,
        split: settings.split,
        plan: &plan,
        output_range: produced.output_range,
    };
    let encoder = context.command_encoder();
    let result = on_render_stream(|| {
        let output = BoundTensor::new(output)?;
        let texture: &wgpu::Texture = target.main_texture();
        let target = (encoder, texture);
        let view = (&mut *state, &mut *bindings);
        compose.encode((&cache, &device, &queue), frame, view, output, target)
    });
    match result {
        Ok(()) => {
            state.frames_since_run = if plan.runs() {
                0
            } else {
                state.frames_since_run + 1
            };
            state.requests = settings.requests;
        }
        Err(error) => fail(&mut plan, &mut state, error),
    }
}

/// A pass failed: the frame stays as rendered, reported once per view.
fn fail(plan: &mut FramePlan, state: &mut ViewFilter, error: BridgeError) {
    plan.step = Step::Unfiltered;
    if !state.warned {
        state.warned = true;
        error!("bevy_gan_style: camera filter failed: {error}");
    }
}

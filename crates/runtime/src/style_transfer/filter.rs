//! The camera filter's `Core3d` system: view target → network → view
//! target, recorded for the plan [`prepare`](super::prepare) made, on the
//! shared device, after tonemapping.
//!
//! Ordering: everything Bevy recorded for the frame so far (the scene up to
//! tonemapping: an `ApplyDeferred` before this system moves those command
//! buffers to the pending list) is submitted first ([`FlushCommands`]), then
//! our copy and the bridge's texels → tensor pass, then burn's kernels,
//! then our compose pass and the copy back; later Bevy passes (upscaling,
//! UI) are recorded and submitted after this system. Nothing waits on the
//! GPU.
//!
//! With Bevy's `RenderDiagnosticsPlugin` the whole filter is one diagnostic
//! span, [`STYLE_TRANSFER_SPAN`]: GPU time from timestamp queries where the
//! device supports them inside encoders, and CPU time.

use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::prelude::*;
use bevy::render::diagnostic::{DiagnosticsRecorder, RecordDiagnostics};
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::{BindGroupEntries, PipelineCache, TextureView};
use bevy::render::renderer::{FlushCommands, RenderDevice, RenderQueue, ViewQuery};
use bevy::render::storage::GpuShaderBuffer;
use bevy::render::texture::GpuImage;
use bevy::render::view::{ExtractedView, ViewTarget};

use std::time::Instant;

use super::component::StyleTemporal;
use super::cost::CostTag;
use super::extract::{ExtractedStyleTransfer, GpuMapSource};
use super::features::{FeatureMaps, StyleMapValues};
use super::map_pass::{MapInput, MapPipeline};
use super::pipeline::{ComposeParams, ComposePipeline};
use super::prepare::{FramePlan, Produced, ViewFilter};
use crate::bridge::{
    BoundTensor, BridgeError, TensorBridge, TensorView, dispatch_2d, tensor_to_image,
    uniform_buffer,
};
use crate::device::{BurnDevice, GpuBackend, on_render_stream};
use crate::model::{GpuNet, StyleModel, StyleNet, style_tensor_input};
use bevy_gan_style_nn::{
    LayerStyles, Precision, StyleCondition, StyleTransformer, channel_mean_var,
};
use burn::tensor::Tensor;

/// Name of the camera filter's render diagnostic span: with Bevy's
/// `RenderDiagnosticsPlugin`, its cost per frame is in the `DiagnosticsStore`
/// under `render/style_transfer/elapsed_gpu` and `.../elapsed_cpu` (ms).
///
/// ```
/// use bevy::diagnostic::DiagnosticPath;
/// use bevy_gan_style_runtime::style_transfer::STYLE_TRANSFER_SPAN;
/// let gpu = DiagnosticPath::from_components(["render", STYLE_TRANSFER_SPAN, "elapsed_gpu"]);
/// assert_eq!(gpu.as_str(), "render/style_transfer/elapsed_gpu");
/// ```
pub const STYLE_TRANSFER_SPAN: &str = "style_transfer";

/// The prepass textures of a stabilised camera.
struct TemporalInputs<'a> {
    settings: StyleTemporal,
    motion: &'a TextureView,
    depth: &'a TextureView,
    previous_depth: &'a TextureView,
}

/// What the filter reads of the current view.
type FilteredView = (
    &'static ViewTarget,
    &'static ExtractedStyleTransfer,
    &'static FramePlan,
    &'static mut ViewFilter,
    Option<&'static ViewPrepassTextures>,
    &'static ExtractedView,
);

/// Records and runs the filter for the current view.
#[expect(clippy::too_many_arguments, reason = "a render system's resources")]
pub(crate) fn style_transfer(
    view: ViewQuery<FilteredView>,
    (nets, gpu_images): (
        Res<RenderAssets<GpuNet<StyleModel>>>,
        Res<RenderAssets<GpuImage>>,
    ),
    probes: Res<RenderAssets<GpuShaderBuffer>>,
    (bridge, compose, map_pipeline, cache): (
        TensorBridge,
        Res<ComposePipeline>,
        Res<MapPipeline>,
        Res<PipelineCache>,
    ),
    burn: Res<BurnDevice>,
    (device, queue): (Res<RenderDevice>, Res<RenderQueue>),
    diagnostics: Option<Res<DiagnosticsRecorder>>,
    mut flush: FlushCommands,
) {
    on_render_stream(|| {
        let (target, settings, plan, mut state, prepass, extracted_view) = view.into_inner();
        let (BurnDevice::Gpu(burn_device), Some(gpu_net)) = (&*burn, nets.get(settings.model))
        else {
            return;
        };
        let Some(net) = gpu_net.net.as_ref() else {
            return;
        };
        let card = gpu_net.model.card();
        let temporal = settings
            .temporal
            .and_then(|temporal| temporal_inputs(temporal, prepass?));

        // The scene up to tonemapping must be on the queue before we copy it.
        flush.flush();
        let started = Instant::now();
        let cost = settings
            .cost
            .and_then(|id| probes.get(id))
            .map(|cost| &*cost.buffer);
        let timer = cost.and_then(|_| state.cost_queries(&device));
        let mut encoder =
            device
                .wgpu_device()
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("gan_style camera"),
                });
        let span = diagnostics
            .as_deref()
            .map(|recorder| recorder.time_span(&mut encoder, STYLE_TRANSFER_SPAN));
        if let Some(queries) = &timer {
            encoder.write_timestamp(queries, 0);
        }
        let texture: &wgpu::Texture = target.main_texture();
        state.buffers.frame.copy_from(&mut encoder, texture);

        let result = (|| -> Result<(), BridgeError> {
            if let Some(style) = &plan.run {
                // The frame into the network's input (box-filtered to its size),
                // submitted before burn's kernels read it.
                let input = BoundTensor::empty(plan.net_size, burn_device)?;
                bridge.encode_to_tensor(
                    &mut encoder,
                    &state.buffers.frame,
                    &input,
                    card.input_range,
                )?;
                if let Some(map) = &style.gpu_map {
                    let depth = prepass.and_then(ViewPrepassTextures::depth_view).ok_or(
                        BridgeError::Runtime(
                            "depth-band and region style maps need the camera's depth prepass"
                                .into(),
                        ),
                    )?;
                    let input = match &map.source {
                        GpuMapSource::DepthBand(band) => {
                            let (near, far) = band.ends();
                            MapInput::Depth { near, far }
                        }
                        GpuMapSource::Regions { image, tolerance } => MapInput::Regions {
                            pass: &gpu_images
                                .get(*image)
                                .ok_or(BridgeError::NotReady)?
                                .texture_view,
                            tolerance: *tolerance,
                        },
                    };
                    map_pipeline.encode(
                        (&cache, &device),
                        &mut encoder,
                        (depth, extracted_view.clip_from_view.inverse()),
                        input,
                        &BoundTensor::new(map.tensor.clone())?,
                    )?;
                }
                input.flush_burn()?;
                let next =
                    device
                        .wgpu_device()
                        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                            label: Some("gan_style camera compose"),
                        });
                queue.submit([std::mem::replace(&mut encoder, next).finish()]);
                let input = input.into_tensor();
                let styles = match (style.strength, net) {
                    // Magenta's strength: the frame's own style vector mixed
                    // into every style row.
                    (Some(strength), StyleNet::Arbitrary(arbitrary)) => {
                        let own = arbitrary.predict(style_tensor_input(input.clone()));
                        style.styles.clone().map_styles(|rows| {
                            rows.mul_scalar(strength) + own.clone().mul_scalar(1.0 - strength)
                        })
                    }
                    _ => style.styles.clone(),
                };
                let produced = Produced {
                    model: settings.model,
                    revision: gpu_net.revision,
                    net_size: plan.net_size,
                };
                let output = net.forward_layered(input.clone(), &styles, settings.precision);
                if let Some(probe) = &settings.features
                    && probe.requests != state.feature_requests
                {
                    state.feature_requests = probe.requests;
                    if let Some(maps) = read_feature_maps(
                        net,
                        (input.clone(), card.input_range),
                        &styles,
                        settings.precision,
                        probe.layer,
                    ) {
                        probe.deliver(maps);
                    }
                }
                let output = card.preserve_color(input.clone(), output, settings.preserve_color);
                // Amortized frames colour-match what the reprojection misses.
                state.colours = temporal
                    .as_ref()
                    .is_some_and(|temporal| temporal.settings.amortize)
                    .then(|| {
                        colour_statistics(
                            input,
                            card.input_range,
                            output.clone(),
                            card.output_range,
                        )
                    });
                state.output = Some((output, produced));
            }
            let Some((output, _)) = state.output.clone() else {
                return Ok(());
            };
            compose_frame(
                ComposeInputs {
                    compose: &compose,
                    cache: &cache,
                    device: &device,
                    settings,
                    plan,
                    temporal: temporal.as_ref(),
                    probe: settings
                        .probe
                        .and_then(|id| probes.get(id))
                        .map(|probe| &*probe.buffer),
                    mask: settings
                        .mask
                        .filter(|(_, size)| *size == state.buffers.frame.size())
                        .and_then(|(id, _)| probes.get(id))
                        .map(|mask| &*mask.buffer),
                    colours: match (&state.colours, plan.run.is_none()) {
                        (Some(colours), true) => Some(BoundTensor::new(colours.clone())?),
                        _ => None,
                    },
                    output_range: card.output_range,
                },
                &mut state,
                BoundTensor::new(output)?,
                &mut encoder,
                texture,
            )
        })();
        if let Some(span) = span {
            span.end(&mut encoder);
        }
        if let Some(cost) = cost {
            if let Some(queries) = &timer {
                encoder.write_timestamp(queries, 1);
                encoder.resolve_query_set(queries, 0..2, cost, 0);
            }
            let tag = CostTag {
                generation: settings.generation,
                ran: u32::from(plan.run.is_some()),
                cpu_us: started.elapsed().as_micros().max(1) as u32,
                timestamps: u32::from(timer.is_some()),
            };
            queue.write_buffer(cost, 16, bytemuck::bytes_of(&tag));
        }
        queue.submit([encoder.finish()]);
        match result {
            Ok(()) => {
                state.frames_since_run = if plan.run.is_some() {
                    0
                } else {
                    state.frames_since_run + 1
                };
                state.requests = settings.requests;
            }
            Err(error) if !state.warned => {
                state.warned = true;
                error!("bevy_gan_style: camera filter failed: {error}");
            }
            Err(_) => {}
        }
    })
}

/// The prepass textures stabilisation reads, when the camera has them
/// single-sampled.
fn temporal_inputs(
    settings: StyleTemporal,
    prepass: &ViewPrepassTextures,
) -> Option<TemporalInputs<'_>> {
    let motion = &prepass.motion_vectors.as_ref()?.texture.default_view;
    let depth = prepass.depth_view()?;
    let previous_depth = prepass.previous_depth_view()?;
    let single_sampled = prepass
        .depth
        .as_ref()
        .is_some_and(|depth| depth.texture.texture.sample_count() == 1);
    if !single_sampled {
        warn_once!("bevy_gan_style: StyleTemporal needs Msaa::Off; stabilisation skipped");
        return None;
    }
    Some(TemporalInputs {
        settings,
        motion,
        depth,
        previous_depth,
    })
}

/// What the compose pass reads besides the view's own state.
struct ComposeInputs<'a> {
    compose: &'a ComposePipeline,
    cache: &'a PipelineCache,
    device: &'a RenderDevice,
    settings: &'a ExtractedStyleTransfer,
    plan: &'a FramePlan,
    temporal: Option<&'a TemporalInputs<'a>>,
    /// Where to accumulate the warping error, if measured.
    probe: Option<&'a wgpu::Buffer>,
    /// Where to write the fill mask, if read back.
    mask: Option<&'a wgpu::Buffer>,
    /// The last run's colour statistics, on frames the network skips.
    colours: Option<BoundTensor>,
    output_range: (f32, f32),
}

/// Records the compose pass (upsample, stabilise, blend) and the copy back
/// into the view target; burn's pending kernels are flushed so that the
/// caller's submission of `encoder` runs after them.
fn compose_frame(
    f: ComposeInputs,
    state: &mut ViewFilter,
    output: BoundTensor,
    encoder: &mut wgpu::CommandEncoder,
    texture: &wgpu::Texture,
) -> Result<(), BridgeError> {
    let pipeline = f
        .cache
        .get_compute_pipeline(f.compose.id)
        .ok_or(BridgeError::NotReady)?;
    let buffers = &state.buffers;
    let view = TensorView::new(
        &output,
        &buffers.frame,
        TensorView::from_range(f.output_range),
    );
    let mut params = ComposeParams {
        strength: f.settings.strength,
        split: f.settings.split,
        history_valid: u32::from(f.plan.history_valid),
        ..default()
    };
    let (motion, depth, previous_depth) = match f.temporal {
        Some(temporal) => {
            params.temporal = 1;
            params.history_weight = temporal.settings.history_weight.clamp(0.0, 1.0);
            params.depth_tolerance = temporal.settings.depth_tolerance.max(0.0);
            (temporal.motion, temporal.depth, temporal.previous_depth)
        }
        None => (
            &f.compose.no_motion,
            &f.compose.no_depth,
            &f.compose.no_depth,
        ),
    };
    let probe = match f.probe {
        Some(probe) if params.temporal == 1 => {
            params.probe = 1;
            encoder.clear_buffer(probe, 0, None);
            probe
        }
        _ => &*f.compose.no_probe,
    };
    // A skipped frame of an amortizing camera reprojects the last one.
    let colours = match (&f.colours, f.temporal) {
        (Some(colours), Some(temporal)) if temporal.settings.amortize && f.plan.history_valid => {
            let [_, stride_c, _, stride_k] = colours.strides();
            params.reproject = 1;
            params.colours_offset = colours.offset();
            params.colours_stride_c = stride_c;
            params.colours_stride_k = stride_k;
            colours.buffer()
        }
        _ => &*f.compose.no_colours,
    };
    let mask = match f.mask {
        Some(mask) => {
            params.mask = 1;
            mask
        }
        None => &*f.compose.no_probe,
    };
    let view_uniform = view.uniform(f.device)?;
    let params_uniform = uniform_buffer(f.device, "gan_style camera compose", &params)?;
    let current = 1 - state.previous;
    let bind_group = f.device.create_bind_group(
        "gan_style camera compose",
        &f.cache.get_bind_group_layout(&f.compose.layout),
        &BindGroupEntries::sequential((
            output.buffer().as_entire_binding(),
            view_uniform.as_entire_binding(),
            params_uniform.as_entire_binding(),
            buffers.frame.buffer().as_entire_binding(),
            buffers.output.buffer().as_entire_binding(),
            buffers.history[state.previous].as_entire_binding(),
            buffers.history[current].as_entire_binding(),
            motion,
            depth,
            previous_depth,
            probe.as_entire_binding(),
            colours.as_entire_binding(),
            mask.as_entire_binding(),
        )),
    );
    dispatch_2d(
        encoder,
        "gan_style camera compose",
        pipeline,
        &bind_group,
        buffers.frame.size(),
    );
    buffers.output.copy_to(encoder, texture);
    // burn's pending kernels go first; the caller submits `encoder`.
    output.flush_burn()?;
    state.previous = current;
    Ok(())
}

/// Per channel, the mean and deviation of the network's input and of its
/// output, both mapped onto [0, 1]: `[1, 3, 1, 4]` (input mean, input
/// deviation, output mean, output deviation).
fn colour_statistics(
    input: Tensor<GpuBackend, 4>,
    input_range: (f32, f32),
    output: Tensor<GpuBackend, 4>,
    output_range: (f32, f32),
) -> Tensor<GpuBackend, 4> {
    let unit = |x: Tensor<GpuBackend, 4>, (lo, hi): (f32, f32)| {
        let (mean, var) = channel_mean_var(x);
        let [n, c, ..] = mean.dims();
        let mean = mean
            .sub_scalar(lo)
            .div_scalar(hi - lo)
            .reshape([n, c, 1, 1]);
        let deviation = var.sqrt().div_scalar(hi - lo).reshape([n, c, 1, 1]);
        [mean, deviation]
    };
    let [input_mean, input_deviation] = unit(input, input_range);
    let [output_mean, output_deviation] = unit(output, output_range);
    Tensor::cat(
        vec![input_mean, input_deviation, output_mean, output_deviation],
        3,
    )
}

/// Layer `layer`'s activations for `input` and the style map of `styles`,
/// read back (waits for the GPU: only on request).
fn read_feature_maps(
    net: &StyleNet<GpuBackend>,
    (input, input_range): (Tensor<GpuBackend, 4>, (f32, f32)),
    styles: &LayerStyles<GpuBackend>,
    precision: Precision,
    layer: usize,
) -> Option<FeatureMaps> {
    let activation = net.activation(input.clone(), styles, precision, layer)?;
    let [_, channels, height, width] = activation.dims();
    // Half-precision runs hand back f16 data.
    let values = activation
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .ok()?;
    let style_map = match &styles.decoder {
        StyleCondition::Map { map, .. } => {
            let [_, styles, height, width] = map.dims();
            let values = map
                .clone()
                .into_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .ok()?;
            Some(StyleMapValues {
                styles,
                height,
                width,
                values,
            })
        }
        StyleCondition::Global(_) => None,
    };
    let layer_names = net.layer_names();
    Some(FeatureMaps {
        layer,
        name: layer_names.get(layer).cloned().unwrap_or_default(),
        layer_names,
        channels,
        height,
        width,
        values,
        style_map,
        frame: tensor_to_image(input, input_range),
    })
}

//! The per-view render system: view target → network → view target, in
//! Bevy's `Core3d` post-processing, on the shared device, every frame.
//!
//! Ordering: everything Bevy recorded for the frame so far (the scene up to
//! tonemapping: an `ApplyDeferred` before this system moves those command
//! buffers to the pending list) is submitted first ([`FlushCommands`]), then
//! our copy and prepare pass, then burn's kernels, then our compose pass and
//! the copy back; later Bevy passes (upscaling, UI) are recorded and
//! submitted after this system. Nothing waits on the GPU.
//!
//! With Bevy's `RenderDiagnosticsPlugin` the whole filter is one diagnostic
//! span, [`STYLE_TRANSFER_SPAN`]: GPU time from timestamp queries where the
//! device supports them inside encoders, and CPU time.

use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::math::UVec2;
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::diagnostic::{DiagnosticsRecorder, RecordDiagnostics};
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{FlushCommands, RenderDevice, RenderQueue, ViewQuery};
use bevy::render::storage::GpuShaderBuffer;
use bevy::render::view::ViewTarget;
use burn::tensor::{Tensor, TensorPrimitive};

use super::component::{ExtractedStyleTransfer, StyleSchedule};
use super::net::GpuStyleNet;
use super::pipeline::{CameraParams, CameraPipelines, ViewBuffers};
use super::style_images::{PreparedStyleImages, StyleVectors};
use crate::bridge::BridgeError;
use crate::bridge::kernel::{
    TensorStorage, TexelKind, buffer_copy, cube_tensor, flush_burn, texture_extent,
};
use crate::device::{BurnDevice, GpuBackend};
use crate::model::{CardModel, StyleModel, StyleNet, StyleVector, style_tensor_input};
use crate::nn::ArbitraryStyleNet;

/// Name of the camera filter's render diagnostic span: with Bevy's
/// `RenderDiagnosticsPlugin`, its cost per frame is in the `DiagnosticsStore`
/// under `render/style_transfer/elapsed_gpu` and `.../elapsed_cpu` (ms).
///
/// ```
/// use bevy::diagnostic::DiagnosticPath;
/// use bevy_gan_style::render::STYLE_TRANSFER_SPAN;
/// let gpu = DiagnosticPath::from_components(["render", STYLE_TRANSFER_SPAN, "elapsed_gpu"]);
/// assert_eq!(gpu.as_str(), "render/style_transfer/elapsed_gpu");
/// ```
pub const STYLE_TRANSFER_SPAN: &str = "style_transfer";

/// Per-view state of the camera filter, keyed by render-world view entity.
#[derive(Resource, Default)]
pub(crate) struct CameraStates {
    /// Frames rendered so far (advanced in `RenderSystems::Cleanup`).
    frame: u64,
    views: HashMap<Entity, ViewState>,
}

pub(crate) struct ViewState {
    buffers: ViewBuffers,
    /// Which buffer of `buffers.history` holds the previous frame.
    previous: usize,
    /// Frame in which this view was last filtered.
    last_frame: u64,
    /// The last network output, reused by frames that skip the network.
    output: Option<Tensor<GpuBackend, 4>>,
    /// What produced `output`.
    model: AssetId<StyleModel>,
    net_size: UVec2,
    frames_since_run: u32,
    requests: u32,
    /// The style tensor and the weights it holds (uploaded when they change).
    style: Option<(Vec<f32>, Tensor<GpuBackend, 2>)>,
    /// Problems already reported for this view.
    warned: bool,
}

/// Advances the frame counter and forgets views that were not filtered and
/// style vectors not used for a while.
pub(crate) fn retire_views(mut states: ResMut<CameraStates>, mut vectors: ResMut<StyleVectors>) {
    let frame = states.frame;
    states.views.retain(|_, view| view.last_frame == frame);
    vectors.retire(frame);
    states.frame += 1;
}

/// The style input of one filtered frame.
enum FrameStyle<'a> {
    /// Dense style weights of a model with stored styles.
    Weights(Vec<f32>),
    /// Style images' vectors and their (validated) blend weights, with
    /// Magenta's strength; blended only when the network runs.
    Vector {
        images: Vec<StyleVector<GpuBackend>>,
        weights: Vec<f32>,
        strength: f32,
        net: &'a ArbitraryStyleNet<GpuBackend>,
    },
    /// Style images still being prepared: keep showing the last output.
    Waiting,
}

/// Network size for a view: `scale` of it, in multiples of 4, at least 8.
pub(crate) fn network_size(view: UVec2, scale: f32) -> UVec2 {
    let side = |v: u32| ((((v as f32 * scale) / 4.0).round() as u32) * 4).max(8);
    UVec2::new(side(view.x), side(view.y))
}

#[expect(clippy::too_many_arguments, reason = "a render system's resources")]
pub(crate) fn style_transfer(
    view: ViewQuery<(
        &ViewTarget,
        &ExtractedStyleTransfer,
        Option<&ViewPrepassTextures>,
    )>,
    nets: Res<RenderAssets<GpuStyleNet>>,
    probes: Res<RenderAssets<GpuShaderBuffer>>,
    pipelines: Option<Res<CameraPipelines>>,
    burn: Option<Res<BurnDevice>>,
    mut states: ResMut<CameraStates>,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    diagnostics: Option<Res<DiagnosticsRecorder>>,
    prepared: Option<Res<PreparedStyleImages>>,
    mut vectors: ResMut<StyleVectors>,
    mut flush: FlushCommands,
) {
    let view_entity = view.entity();
    let (target, settings, prepass) = view.into_inner();
    let (Some(pipelines), Some(burn)) = (pipelines, burn) else {
        return;
    };
    let BurnDevice::Gpu(burn_device) = &*burn else {
        return;
    };
    // Not loaded (or not buildable) yet: render unfiltered.
    let Some(gpu_net) = nets.get(settings.model) else {
        return;
    };
    let Some(net) = gpu_net.net.as_ref() else {
        return;
    };
    let texture: &wgpu::Texture = target.main_texture();
    let device = device.wgpu_device();
    let queue: &wgpu::Queue = &queue.0;
    let frame = states.frame;

    let kind = match TexelKind::checked(
        texture,
        wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::COPY_DST,
    ) {
        Ok(kind) => kind,
        Err(error) => {
            warn_once!("bevy_gan_style: camera filter skipped: {error}");
            return;
        }
    };
    let size = UVec2::new(texture.width(), texture.height());
    if size.x < 8 || size.y < 8 {
        return;
    }
    let card = gpu_net.model.card();
    let style = match net {
        StyleNet::Arbitrary(arbitrary) => {
            let ready: Option<Vec<_>> = settings
                .style_images
                .iter()
                .map(|id| prepared.as_ref()?.0.get(id).map(|source| (*id, source)))
                .collect();
            match ready {
                _ if settings.style_images.is_empty() => {
                    warn_once!(
                        "bevy_gan_style: camera filter skipped: `{}` takes its style from \
                         images; set StyleTransfer::style_images",
                        card.name
                    );
                    return;
                }
                None => FrameStyle::Waiting,
                Some(sources) => {
                    let images: Vec<_> = sources
                        .into_iter()
                        .map(|(id, source)| {
                            vectors.get((settings.model, id), source, arbitrary, burn_device, frame)
                        })
                        .collect();
                    match settings.style.to_dense(images.len()) {
                        Ok(weights) => FrameStyle::Vector {
                            images,
                            weights,
                            strength: settings.style_strength,
                            net: arbitrary,
                        },
                        Err(error) => {
                            warn_once!("bevy_gan_style: camera filter skipped: {error}");
                            return;
                        }
                    }
                }
            }
        }
        _ => match settings.style.to_dense(card.num_styles()) {
            Ok(style) => FrameStyle::Weights(style),
            Err(error) => {
                warn_once!("bevy_gan_style: camera filter skipped: {error}");
                return;
            }
        },
    };

    // (Re)create the view's buffers when its size or format changed; a view
    // not filtered in the previous frame has no usable history.
    let state = states
        .views
        .entry(view_entity)
        .or_insert_with(|| ViewState::new(device, size, kind));
    let history_valid =
        state.buffers.size == size && state.buffers.kind == kind && state.last_frame + 1 == frame;
    if state.buffers.size != size || state.buffers.kind != kind {
        *state = ViewState::new(device, size, kind);
    }
    state.last_frame = frame;

    let net_size = network_size(size, settings.resolution_scale);
    if let Err(error) = gpu_net.model.check_device_limit(
        net_size.x,
        net_size.y,
        device.limits().max_storage_buffer_binding_size,
    ) {
        // Render unfiltered rather than fail inside the GPU backend.
        warn_once!("bevy_gan_style: camera filter skipped: {error}");
        return;
    }
    let waiting = matches!(style, FrameStyle::Waiting);
    if waiting && (state.output.is_none() || state.net_size != net_size) {
        return;
    }
    let run = !waiting
        && (state.output.is_none()
            || state.net_size != net_size
            || state.model != settings.model
            || match settings.schedule {
                StyleSchedule::EveryFrame => true,
                StyleSchedule::EveryNFrames(n) => state.frames_since_run + 1 >= n.max(1),
                StyleSchedule::OnDemand => state.requests != settings.requests,
            });

    // The scene up to tonemapping must be on the queue before we copy it.
    flush.flush();
    let temporal = settings.temporal.and_then(|temporal| {
        let prepass = prepass?;
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
        Some((
            temporal,
            motion.clone(),
            depth.clone(),
            previous_depth.clone(),
        ))
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("gan_style camera prepare"),
    });
    let span = diagnostics
        .as_deref()
        .map(|recorder| recorder.time_span(&mut encoder, STYLE_TRANSFER_SPAN));
    let result = state.filter(
        FilterFrame {
            device,
            queue,
            pipelines: &pipelines,
            texture,
            net,
            burn_device,
            settings,
            style,
            net_size,
            run,
            history_valid,
            temporal: temporal.as_ref(),
            probe: settings
                .probe
                .and_then(|id| probes.get(id))
                .map(|probe| &*probe.buffer),
            ranges: (card.input_range, card.output_range),
        },
        &mut encoder,
    );
    if let Some(span) = span {
        span.end(&mut encoder);
    }
    queue.submit([encoder.finish()]);
    match result {
        Ok(()) => {
            state.frames_since_run = if run { 0 } else { state.frames_since_run + 1 };
            state.requests = settings.requests;
        }
        Err(error) if !state.warned => {
            state.warned = true;
            error!("bevy_gan_style: camera filter failed: {error}");
        }
        Err(_) => {}
    }
}

/// Everything one filtered frame needs.
struct FilterFrame<'a> {
    device: &'a wgpu::Device,
    queue: &'a wgpu::Queue,
    pipelines: &'a CameraPipelines,
    texture: &'a wgpu::Texture,
    net: &'a crate::model::StyleNet<GpuBackend>,
    burn_device: &'a burn::backend::wgpu::WgpuDevice,
    settings: &'a ExtractedStyleTransfer,
    style: FrameStyle<'a>,
    net_size: UVec2,
    run: bool,
    history_valid: bool,
    temporal: Option<&'a (
        super::component::StyleTemporal,
        bevy::render::render_resource::TextureView,
        bevy::render::render_resource::TextureView,
        bevy::render::render_resource::TextureView,
    )>,
    /// Where to accumulate the warping error, if measured.
    probe: Option<&'a wgpu::Buffer>,
    /// Network input and output ranges.
    ranges: ((f32, f32), (f32, f32)),
}

impl ViewState {
    fn new(device: &wgpu::Device, size: UVec2, kind: TexelKind) -> Self {
        Self {
            buffers: ViewBuffers::new(device, size, kind),
            previous: 0,
            last_frame: 0,
            output: None,
            model: AssetId::default(),
            net_size: UVec2::ZERO,
            frames_since_run: 0,
            requests: 0,
            style: None,
            warned: false,
        }
    }

    /// Records the filter into `encoder`. Work before the network is
    /// submitted here; what follows it is left in `encoder` (a fresh one when
    /// the network ran) for the caller to submit.
    fn filter(
        &mut self,
        f: FilterFrame,
        encoder: &mut wgpu::CommandEncoder,
    ) -> Result<(), BridgeError> {
        let buffers = &self.buffers;
        let extent = texture_extent(f.texture);
        let mut params = CameraParams {
            width: buffers.size.x,
            height: buffers.size.y,
            net_width: f.net_size.x,
            net_height: f.net_size.y,
            row_words: buffers.row_bytes / 4,
            kind: buffers.kind as u32,
            in_scale: f.ranges.0.1 - f.ranges.0.0,
            in_bias: f.ranges.0.0,
            out_scale: 1.0 / (f.ranges.1.1 - f.ranges.1.0),
            out_bias: -f.ranges.1.0 / (f.ranges.1.1 - f.ranges.1.0),
            strength: f.settings.strength,
            split: f.settings.split,
            ..Default::default()
        };

        // 1. The frame into our buffer; if the network runs, into its input.
        encoder.copy_texture_to_buffer(
            f.texture.as_image_copy(),
            buffer_copy(&buffers.frame, buffers.row_bytes),
            extent,
        );
        if f.run {
            let shape = [1, 3, f.net_size.y as usize, f.net_size.x as usize];
            let input = cube_tensor(Tensor::empty(shape, f.burn_device));
            let storage = TensorStorage::of(&input)?;
            address(&mut params, &storage);
            f.queue
                .write_buffer(&buffers.prepare_uniforms, 0, bytemuck::bytes_of(&params));
            let bind_group = f.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("gan_style camera prepare"),
                layout: &f.pipelines.prepare_layout,
                entries: &[
                    entry(0, buffers.frame.as_entire_binding()),
                    entry(1, storage.buffer().as_entire_binding()),
                    entry(2, buffers.prepare_uniforms.as_entire_binding()),
                ],
            });
            dispatch(encoder, &f.pipelines.prepare, &bind_group, f.net_size);
            flush_burn(&input)?;
            let compose = f
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("gan_style camera compose"),
                });
            f.queue
                .submit([std::mem::replace(encoder, compose).finish()]);
            drop(storage);

            // 2. The network, on burn's side of the queue.
            let input = Tensor::from_primitive(TensorPrimitive::Float(input));
            let style = match f.style {
                FrameStyle::Weights(weights) => match &self.style {
                    Some((cached, tensor)) if *cached == weights => tensor.clone(),
                    _ => {
                        let tensor =
                            Tensor::<GpuBackend, 1>::from_floats(weights.as_slice(), f.burn_device)
                                .reshape([1, weights.len()]);
                        self.style = Some((weights, tensor.clone()));
                        tensor
                    }
                },
                FrameStyle::Vector {
                    images,
                    weights,
                    strength,
                    net,
                } => {
                    let vector = StyleVector::weighted_sum(&images, &weights);
                    if strength == 1.0 {
                        vector.tensor()
                    } else {
                        // The frame's own style, for Magenta's strength.
                        let own = net.predict(style_tensor_input(input.clone()));
                        vector
                            .with_strength(&StyleVector::from_tensor(own), strength)
                            .tensor()
                    }
                }
                FrameStyle::Waiting => return Ok(()),
            };
            self.output = Some(f.net.forward(input, style));
            self.net_size = f.net_size;
            self.model = f.settings.model;
        }
        let Some(output) = self.output.clone() else {
            return Ok(());
        };

        // 3. Upsample, stabilise, blend, and copy back into the view target.
        let output = cube_tensor(output);
        let storage = TensorStorage::of(&output)?;
        address(&mut params, &storage);
        params.history_valid = u32::from(f.history_valid);
        let (motion, depth, previous_depth) = match f.temporal {
            Some((temporal, motion, depth, previous_depth)) => {
                params.temporal = 1;
                params.history_weight = temporal.history_weight.clamp(0.0, 1.0);
                params.depth_tolerance = temporal.depth_tolerance.max(0.0);
                (&**motion, &**depth, &**previous_depth)
            }
            None => (
                &f.pipelines.no_motion,
                &f.pipelines.no_depth,
                &f.pipelines.no_depth,
            ),
        };
        let probe = match f.probe {
            Some(probe) if params.temporal == 1 => {
                params.probe = 1;
                encoder.clear_buffer(probe, 0, None);
                probe
            }
            _ => &f.pipelines.no_probe,
        };
        f.queue
            .write_buffer(&buffers.compose_uniforms, 0, bytemuck::bytes_of(&params));
        let current = 1 - self.previous;
        let bind_group = f.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("gan_style camera compose"),
            layout: &f.pipelines.compose_layout,
            entries: &[
                entry(0, storage.buffer().as_entire_binding()),
                entry(1, buffers.frame.as_entire_binding()),
                entry(2, buffers.output.as_entire_binding()),
                entry(3, buffers.history[self.previous].as_entire_binding()),
                entry(4, buffers.compose_uniforms.as_entire_binding()),
                entry(5, wgpu::BindingResource::TextureView(motion)),
                entry(6, wgpu::BindingResource::TextureView(depth)),
                entry(7, wgpu::BindingResource::TextureView(previous_depth)),
                entry(8, buffers.history[current].as_entire_binding()),
                entry(9, probe.as_entire_binding()),
            ],
        });
        dispatch(encoder, &f.pipelines.compose, &bind_group, buffers.size);
        encoder.copy_buffer_to_texture(
            buffer_copy(&buffers.output, buffers.row_bytes),
            f.texture.as_image_copy(),
            extent,
        );
        // burn's pending kernels go first; the caller submits `encoder`.
        flush_burn(&output)?;
        drop(storage);
        self.previous = current;
        Ok(())
    }
}

/// Points `params` at a tensor.
fn address(params: &mut CameraParams, storage: &TensorStorage) {
    params.offset = storage.offset;
    params.stride_c = storage.strides[1];
    params.stride_h = storage.strides[2];
    params.stride_w = storage.strides[3];
}

fn entry(binding: u32, resource: wgpu::BindingResource<'_>) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource }
}

fn dispatch(
    encoder: &mut wgpu::CommandEncoder,
    pipeline: &wgpu::ComputePipeline,
    bind_group: &wgpu::BindGroup,
    size: UVec2,
) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some("gan_style camera"),
        timestamp_writes: None,
    });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind_group, &[]);
    pass.dispatch_workgroups(size.x.div_ceil(8), size.y.div_ceil(8), 1);
}

//! The core filter's prepare systems: each view's plan (buffers, network
//! size, whether the network is due), the style a run uses once the
//! features added their inputs, and the end of the frame.

use std::sync::atomic::Ordering;

use bevy::ecs::system::SystemParam;
use bevy::math::UVec2;
use bevy::prelude::*;
use bevy::render::camera::ExtractedCamera;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::PipelineCache;
use bevy::render::renderer::RenderDevice;
use bevy::render::view::ViewTarget;

use super::component::StyleSchedule;
use super::compose::{ComposeBindings, ComposePipeline};
use super::extract::ExtractedStyleTransfer;
use super::view::{FilterRate, FramePlan, Produced, RunStyle, Step, ViewFilter, network_size};
use crate::bridge::{TensorBridge, TexelKind};
use crate::device::{BurnDevice, on_render_stream};
use crate::model::{CardModel, GpuNet, MapStyles, StyleError, StyleModel, StyleNet, StyleVector};

/// Frames rendered so far (advanced in `RenderSystems::Cleanup`): tells
/// whether a view's history is from the previous frame.
#[derive(Resource, Default)]
pub(crate) struct FilterFrame(pub u64);

/// What a view's plan reads besides the view.
#[derive(SystemParam)]
pub(crate) struct PlanContext<'w> {
    nets: Res<'w, RenderAssets<GpuNet<StyleModel>>>,
    bridge: TensorBridge<'w>,
    compose: Option<Res<'w, ComposePipeline>>,
    cache: Res<'w, PipelineCache>,
    burn: Option<Res<'w, BurnDevice>>,
    device: Res<'w, RenderDevice>,
    frame: Res<'w, FilterFrame>,
}

impl PlanContext<'_> {
    /// Whether the filter's passes can run: networks on the GPU, and the
    /// bridge's and the compose pass's pipelines compiled (until then,
    /// cameras render unfiltered).
    fn passes_ready(&self) -> bool {
        matches!(self.burn.as_deref(), Some(BurnDevice::Gpu(_)))
            && self.bridge.is_ready()
            && self
                .compose
                .as_ref()
                .is_some_and(|compose| compose.is_ready(&self.cache))
    }
}

/// A filtered view as its plan sees it.
type PlannedView = (
    Entity,
    &'static ViewTarget,
    Option<&'static ExtractedCamera>,
    &'static ExtractedStyleTransfer,
    Option<&'static FilterRate>,
    Option<&'static mut ViewFilter>,
);

/// Plans every filtered view's frame (`StyleTransferSystems::Plan`).
pub(crate) fn plan_views(
    mut commands: Commands,
    mut views: Query<PlannedView>,
    context: PlanContext,
) {
    if !context.passes_ready() {
        return;
    }
    for (entity, target, camera, settings, rate, state) in &mut views {
        // Not loaded or not buildable: render unfiltered.
        let Some(gpu_net) = context.nets.get(settings.model) else {
            continue;
        };
        let texture: &wgpu::Texture = target.main_texture();
        let usages = wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::COPY_DST;
        let kind = match TexelKind::checked(texture, usages) {
            Ok(kind) => kind,
            Err(error) => {
                warn_once!("bevy_gan_style: camera filter skipped: {error}");
                continue;
            }
        };
        let full = UVec2::new(texture.width(), texture.height());
        let (origin, size) = view_region(camera, full);
        if size.x < 8 || size.y < 8 {
            continue;
        }
        let mut fresh = None;
        let state = match state {
            Some(state) => state.into_inner(),
            None => fresh.insert(ViewFilter::new(&context.device, size, kind)),
        };
        let view = (size, kind, context.frame.0);
        let plan = plan_frame(state, view, settings, rate, gpu_net, &context.device);
        // The main world takes the flag every frame (a view not planned
        // counts as not ready).
        let ready = plan.as_ref().is_some_and(|plan| plan.ready);
        settings.ready.0.store(ready, Ordering::Relaxed);
        let mut entity = commands.entity(entity);
        if let Some(fresh) = fresh {
            entity.insert((fresh, ComposeBindings::default()));
        }
        if let Some(plan) = plan {
            entity.insert(FramePlan { origin, ..plan });
        }
    }
}

/// The part of the target the camera renders to: its viewport (clipped to
/// the target), else the whole target. Cameras sharing a window share its
/// main texture, so the filter reads and writes only this region.
fn view_region(camera: Option<&ExtractedCamera>, target: UVec2) -> (UVec2, UVec2) {
    match camera.and_then(|camera| camera.viewport.as_ref()) {
        Some(viewport) => {
            let origin = viewport.physical_position.min(target);
            (origin, viewport.physical_size.min(target - origin))
        }
        None => (UVec2::ZERO, target),
    }
}

/// Updates `state` for this frame (its size `(size, kind, frame)`) and
/// decides what the filter does, or `None` to leave the frame unfiltered.
fn plan_frame(
    state: &mut ViewFilter,
    (size, kind, frame): (UVec2, TexelKind, u64),
    settings: &ExtractedStyleTransfer,
    rate: Option<&FilterRate>,
    gpu_net: &GpuNet<StyleModel>,
    device: &RenderDevice,
) -> Option<FramePlan> {
    // (Re)create the view's buffers when its size or format changed; a view
    // not filtered in the previous frame has no usable history.
    let same_buffers = state.buffers.frame.size() == size && state.buffers.frame.kind() == kind;
    let history_valid = same_buffers && state.last_frame + 1 == frame;
    if !same_buffers {
        *state = ViewFilter::new(device, size, kind);
    }
    state.last_frame = frame;

    let scale = rate.map_or(settings.max_scale, |rate| {
        rate.scale.clamp(0.05, settings.max_scale)
    });
    let net_size = network_size(size, scale);
    let max_binding = device.limits().max_storage_buffer_binding_size;
    if let Err(error) = gpu_net
        .model
        .check_device_limit(net_size.x, net_size.y, max_binding)
    {
        // Render unfiltered rather than fail inside the GPU backend.
        warn_once!("bevy_gan_style: camera filter skipped: {error}");
        return None;
    }
    let produced = Produced {
        model: settings.model,
        revision: gpu_net.revision,
        net_size,
        output_range: gpu_net.model.card().output_range,
    };
    let reusable = state
        .output
        .as_ref()
        .is_some_and(|(_, last)| *last == produced);
    if !gpu_net.ready_at(net_size) {
        // Its kernels still compile off the frame: keep showing the last
        // output (of another size, of the model's previous version, or of
        // another model; the compose pass scales it to the view), else the
        // frame as rendered.
        return state.output.is_some().then_some(FramePlan {
            step: Step::Reuse,
            ready: false,
            ..FramePlan::new(net_size, history_valid, true)
        });
    }
    let interval = rate.map_or(1, |rate| rate.interval.max(1));
    let due = !reusable
        || match settings.schedule {
            StyleSchedule::EveryFrame => state.frames_since_run + 1 >= interval,
            StyleSchedule::EveryNFrames(n) => state.frames_since_run + 1 >= n.max(interval),
            StyleSchedule::OnDemand => state.requests != settings.requests,
        };
    Some(FramePlan {
        step: if due { Step::Run } else { Step::Reuse },
        ..FramePlan::new(net_size, history_valid, reusable)
    })
}

/// Resolves the style of every view whose network runs this frame, from
/// the camera's selection and what the features added to the plan
/// (`StyleTransferSystems::Resolve`). A selection that does not fit the
/// model leaves the frame unfiltered, with a warning.
pub(crate) fn resolve_styles(
    mut views: Query<(&ExtractedStyleTransfer, &mut FramePlan, &mut ViewFilter)>,
    nets: Res<RenderAssets<GpuNet<StyleModel>>>,
    burn: Option<Res<BurnDevice>>,
) {
    let Some(BurnDevice::Gpu(device)) = burn.as_deref() else {
        return;
    };
    on_render_stream(|| {
        for (settings, mut plan, mut state) in &mut views {
            let Some(gpu_net) = nets.get(settings.model) else {
                continue;
            };
            if !plan.runs() || gpu_net.net.is_none() {
                continue;
            }
            match run_style(settings, &plan, &mut state, gpu_net, device) {
                Ok(style) => plan.style = Some(style),
                Err(error) => {
                    warn_once!("bevy_gan_style: camera filter skipped: {error}");
                    plan.step = Step::Unfiltered;
                }
            }
        }
    })
}

/// The style of a run: per part of the network, the camera's selection
/// (stored styles, or blended style vectors), with the style map's styles
/// mixed in where the plan has one.
fn run_style(
    settings: &ExtractedStyleTransfer,
    plan: &FramePlan,
    state: &mut ViewFilter,
    gpu_net: &GpuNet<StyleModel>,
    device: &burn::backend::wgpu::WgpuDevice,
) -> Result<RunStyle, StyleError> {
    let map = plan.map.as_ref().map(|map| MapStyles {
        styles: map.styles.iter().collect(),
        map: map.tensor.clone(),
    });
    let map_styles = plan.map.iter().flat_map(|map| &map.styles);
    let layers = &settings.layers;
    let selections = [
        layers.encoder_or(&settings.style),
        layers.residual_or(&settings.style),
        layers.decoder_or(&settings.style),
    ];
    if let Some(StyleNet::Arbitrary(_)) = gpu_net.net.as_deref() {
        // Without `StyleImages` on the camera (with them, the style images'
        // feature holds the plan until their vectors exist).
        let Some(vectors) = &plan.vectors else {
            return Err(StyleError::NeedsStyleImage);
        };
        let count = vectors.vectors.len();
        for weights in selections.into_iter().chain(map_styles) {
            weights.to_dense(count)?;
        }
        let styles = layers.layer_styles(&settings.style, map, |weights| {
            StyleVector::blend(&vectors.vectors, weights).map(|vector| vector.tensor())
        })?;
        let strength = (vectors.strength != 1.0).then_some(vectors.strength);
        return Ok(RunStyle { styles, strength });
    }
    let count = gpu_net.model.card().num_styles();
    for weights in selections.into_iter().chain(map_styles) {
        weights.to_dense(count)?;
    }
    let styles = layers.layer_styles(&settings.style, map, |weights| {
        Ok::<_, StyleError>(state.style_row(weights.to_dense(count)?, device))
    })?;
    Ok(RunStyle {
        styles,
        strength: None,
    })
}

/// The GPU buffers the camera filter keeps for its views (copies of the
/// frame and of the output, two history frames), as of the end of the last
/// frame: a render-world resource. The networks' tensors (weights, kept
/// outputs) are counted by
/// [`BurnDevice::memory_usage`](crate::device::BurnDevice::memory_usage).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::style_transfer::FilterBuffers;
/// fn report(buffers: Res<FilterBuffers>) {
///     info!("{} filtered views hold {} bytes", buffers.views, buffers.bytes);
/// }
/// // In the render app: app.sub_app_mut(RenderApp).add_systems(Render, report);
/// ```
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterBuffers {
    /// Views the filter ran on in the last frame.
    pub views: usize,
    /// Bytes of their buffers.
    pub bytes: u64,
}

/// Ends the frame: drops plans, forgets views that were not filtered, and
/// advances the frame counter.
pub(crate) fn retire_views(
    mut commands: Commands,
    views: Query<(Entity, &ViewFilter)>,
    plans: Query<Entity, With<FramePlan>>,
    mut frame: ResMut<FilterFrame>,
    mut held: ResMut<FilterBuffers>,
) {
    for entity in &plans {
        commands.entity(entity).remove::<FramePlan>();
    }
    *held = FilterBuffers::default();
    for (entity, view) in &views {
        if view.last_frame != frame.0 {
            commands
                .entity(entity)
                .remove::<(ViewFilter, ComposeBindings)>();
        } else {
            held.views += 1;
            held.bytes += view.buffers.bytes();
        }
    }
    frame.0 += 1;
}

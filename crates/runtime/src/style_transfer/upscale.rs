//! The style network's output brought to the view's size by an upscaling
//! network ([`StyleUpscale`]) rather than by the compose pass's bilinear
//! sampling alone.

use bevy::prelude::*;
use bevy::render::extract_component::{ExtractComponent, ExtractComponentPlugin};
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::{Render, RenderApp};
use burn::tensor::Tensor;

use super::sets::{AddViewSystems, StyleTransferSystems};
use super::view::{FramePlan, ViewFilter};
use crate::bridge::{BoundTensor, BridgeError, TensorBridge, TensorPassBindings};
use crate::device::{BurnDevice, GpuBackend, on_render_stream};
use crate::model::{GpuNet, StyleModel, StyleWeights, UpscaleModel};
use crate::upscale::{Edges, tile_side, upscale, upscale_guided};
use bevy_gan_style_nn::StyleTransformer;
use burn::backend::wgpu::WgpuDevice;

/// With [`StyleTransfer`](super::StyleTransfer): whenever the style network
/// runs at ¾ of the view or less (`resolution_scale`, or a
/// [`FrameBudget`](super::FrameBudget)'s scale), `model` upscales its
/// output once (×its factor) on the render device, and the compose pass
/// samples that to the view (1:1 at a scale of exactly 1 / factor) instead
/// of the small output. A style-aware upscaler (`train_upscaler --teacher
/// --guided`) is trained to draw the style's strokes at full size, guided
/// by the rendered frame at `factor` × the network's size (box-filtered
/// from the view like the network's input) or, when its card names a
/// `guide_style`, by that style model's output on it (loaded with the
/// upscaler: a real-time student); a photo upscaler sharpens.
/// Until the upscaler is warm at the network's size, and above ¾, the
/// compose pass upsamples bilinearly as without it.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// # fn setup(mut commands: Commands, assets: Res<AssetServer>) {
/// commands.spawn((
///     Camera3d::default(),
///     StyleTransfer {
///         model: assets.load("models/ml5_wave.style.ron"),
///         resolution_scale: 0.5,
///         ..default()
///     },
///     StyleUpscale {
///         model: assets.load("upscalers/ml5_wave_x2.upscale.ron"),
///         ..default()
///     },
/// ));
/// # }
/// ```
#[derive(Component, ExtractComponent, Reflect, Clone, Debug)]
#[reflect(Component, Default, Clone)]
pub struct StyleUpscale {
    /// The upscaling model (`*.upscale.ron`).
    pub model: Handle<UpscaleModel>,
    /// Off: bilinear, as without the component.
    pub enabled: bool,
}

impl Default for StyleUpscale {
    fn default() -> Self {
        Self {
            model: Handle::default(),
            enabled: true,
        }
    }
}

/// Adds [`StyleUpscale`]. Added by
/// [`StyleTransferPlugin`](super::StyleTransferPlugin); the upscaling
/// models' networks come from
/// [`NeuralUpscalePlugin`](crate::upscale::NeuralUpscalePlugin) (part of
/// `GanStylePlugin`).
#[derive(Default)]
pub struct StyleUpscalePlugin;

impl Plugin for StyleUpscalePlugin {
    fn build(&self, app: &mut App) {
        app.register_type::<StyleUpscale>()
            .add_plugins((
                ExtractComponentPlugin::<StyleUpscale>::default(),
                ExtractComponentPlugin::<GuideStyle>::default(),
            ))
            .add_systems(PostUpdate, load_guide_styles);
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .add_systems(
                Render,
                add_guide_state.in_set(StyleTransferSystems::Prepare),
            )
            .add_view_systems(|| {
                (
                    record_guide
                        .in_set(StyleTransferSystems::Input)
                        .after(super::record::record_input),
                    upscale_output
                        .in_set(StyleTransferSystems::Network)
                        .after(super::record::run_network),
                )
            });
    }
}

/// The style model whose output on the frame guides a camera's upscaler
/// (its card's `guide_style`), loaded by [`load_guide_styles`].
#[derive(Component, ExtractComponent, Clone)]
struct GuideStyle(Handle<StyleModel>);

/// Loads the guide style model each camera's upscaler names (relative to
/// its card), and forgets it when the upscaler changes to one without.
fn load_guide_styles(
    cameras: Query<(Entity, &StyleUpscale, Option<&GuideStyle>)>,
    models: Res<Assets<UpscaleModel>>,
    assets: Res<AssetServer>,
    mut commands: Commands,
) {
    for (entity, settings, loaded) in &cameras {
        let named = models
            .get(&settings.model)
            .and_then(|model| model.card().guide_style.as_deref());
        let path = named.and_then(|name| {
            let card = assets.get_path(&settings.model)?;
            card.resolve_embed_str(name)
                .inspect_err(|error| {
                    warn_once!("bevy_gan_style: bad guide_style `{name}` in {card}: {error}");
                })
                .ok()
        });
        match (path, loaded) {
            (Some(path), Some(GuideStyle(handle))) if handle.path() == Some(&path) => {}
            (Some(path), _) => {
                commands
                    .entity(entity)
                    .insert(GuideStyle(assets.load(path)));
            }
            (None, Some(_)) => {
                commands.entity(entity).remove::<GuideStyle>();
            }
            (None, None) => {}
        }
    }
}

/// A view's full-size frame for a guided upscaler: the bridge pass's
/// bindings, and this frame's frame once recorded (in the guide style
/// model's input range, when the card names one: that model runs on it
/// with the upscaler, after the commands that write it are submitted).
#[derive(Component, Default)]
struct GuideState {
    bindings: TensorPassBindings,
    frame: Option<Tensor<GpuBackend, 4>>,
}

/// Gives each view with [`StyleUpscale`] its [`GuideState`]
/// (`StyleTransferSystems::Prepare`).
fn add_guide_state(
    views: Query<Entity, (With<StyleUpscale>, Without<GuideState>)>,
    mut commands: Commands,
) {
    for entity in &views {
        commands.entity(entity).insert(GuideState::default());
    }
}

/// The upscaler this frame, when it runs: the network ran at ¾ of the
/// view or less, and the model is built.
fn due_upscaler<'a>(
    settings: &StyleUpscale,
    (net_size, view): (UVec2, UVec2),
    nets: Option<&'a RenderAssets<GpuNet<UpscaleModel>>>,
) -> Option<&'a GpuNet<UpscaleModel>> {
    let small = 4 * net_size.x <= 3 * view.x && 4 * net_size.y <= 3 * view.y;
    if !settings.enabled || !small {
        return None;
    }
    nets?.get(&settings.model)
}

/// What [`upscale_output`] reads of the current view.
type UpscaledView = (
    &'static StyleUpscale,
    Option<&'static GuideStyle>,
    &'static FramePlan,
    &'static mut ViewFilter,
    &'static mut GuideState,
);

/// What [`record_guide`] reads of the current view.
type GuidedView = (
    &'static StyleUpscale,
    Option<&'static GuideStyle>,
    &'static FramePlan,
    &'static ViewFilter,
    &'static mut GuideState,
);

/// Records the frame at `factor` × the network's size into a tensor for a
/// guided upscaler, when the network runs this frame (and the guide style
/// model, where the card names one, is warm at that size)
/// (`StyleTransferSystems::Input`, after the network's input).
fn record_guide(
    view: ViewQuery<GuidedView>,
    nets: Option<Res<RenderAssets<GpuNet<UpscaleModel>>>>,
    styles: Res<RenderAssets<GpuNet<StyleModel>>>,
    bridge: TensorBridge,
    burn: Res<BurnDevice>,
    mut context: RenderContext,
) {
    let (settings, guide_style, plan, state, mut guide) = view.into_inner();
    guide.frame = None;
    let BurnDevice::Gpu(device) = &*burn else {
        return;
    };
    let sizes = (plan.net_size, state.buffers.frame.size());
    let Some(gpu_net) = due_upscaler(settings, sizes, nets.as_deref())
        .filter(|net| net.model.guided() && plan.input.is_some())
    else {
        return;
    };
    let size = plan.net_size * gpu_net.model.factor();
    // A student-guided upscaler waits for its student, warm at this size.
    let student = match gpu_net.model.card().guide_style {
        None => None,
        Some(_) => {
            let Some(student) = guide_style
                .and_then(|GuideStyle(handle)| styles.get(handle))
                .filter(|student| student.ready_at(size))
            else {
                return;
            };
            Some(student)
        }
    };
    let range = student.map_or((0.0, 1.0), |student| student.model.card().input_range);
    let encoder = context.command_encoder();
    let recorded = on_render_stream(|| -> Result<_, BridgeError> {
        let tensor = BoundTensor::empty(size, device)?;
        let frame = &state.buffers.frame;
        bridge.encode_to_tensor(encoder, frame, &tensor, range, &mut guide.bindings)?;
        tensor.flush_burn()?;
        Ok(tensor.into_tensor())
    });
    match recorded {
        Ok(tensor) => guide.frame = Some(tensor),
        // Without its guide the output is upsampled bilinearly.
        Err(error) => warn_once!("bevy_gan_style: the upscaler's guide frame failed: {error}"),
    }
}

/// The guide style model's output on `frame` (in its input range), in
/// `[0, 1]`; `None` (logged once) when it cannot run.
fn stylize_guide(
    student: &GpuNet<StyleModel>,
    frame: Tensor<GpuBackend, 4>,
    device: &WgpuDevice,
) -> Option<Tensor<GpuBackend, 4>> {
    let net = student.net.as_deref()?;
    let style = student
        .model
        .style_tensor(&StyleWeights::single(0), device)
        .inspect_err(|error| warn_once!("bevy_gan_style: the upscaler's guide style: {error}"))
        .ok()?;
    let (low, high) = student.model.card().output_range;
    let output = net.forward(frame, style);
    Some(
        output
            .sub_scalar(low)
            .div_scalar(high - low)
            .clamp(0.0, 1.0),
    )
}

/// Upscales the output of a network that ran this frame at ¾ of the view
/// or less (`StyleTransferSystems::Network`, after the network).
fn upscale_output(
    view: ViewQuery<UpscaledView>,
    nets: Option<Res<RenderAssets<GpuNet<UpscaleModel>>>>,
    styles: Res<RenderAssets<GpuNet<StyleModel>>>,
    (device, burn): (Res<RenderDevice>, Res<BurnDevice>),
) {
    let (settings, guide_style, plan, mut state, mut guide) = view.into_inner();
    let sizes = (plan.net_size, state.buffers.frame.size());
    let Some(gpu_net) = due_upscaler(settings, sizes, nets.as_deref()) else {
        return;
    };
    let frame = guide.frame.take();
    if plan.ran.is_none() || gpu_net.model.guided() && frame.is_none() {
        return;
    }
    // The student-guided upscaler's guide: its style model on the frame.
    let guide = match (frame, &gpu_net.model.card().guide_style, &*burn) {
        (Some(frame), Some(_), BurnDevice::Gpu(burn)) => {
            let student = guide_style.and_then(|GuideStyle(handle)| styles.get(handle));
            let guide = student
                .and_then(|student| on_render_stream(|| stylize_guide(student, frame, burn)));
            if guide.is_none() {
                return;
            }
            guide
        }
        (frame, ..) => frame,
    };
    let max_binding = device.limits().max_storage_buffer_binding_size;
    let (Some(net), Some(tile)) = (
        gpu_net
            .net
            .as_deref()
            .filter(|_| gpu_net.ready_at(plan.net_size)),
        tile_side(&gpu_net.model.card().network, max_binding),
    ) else {
        return;
    };
    let Some((output, produced)) = state.output.take() else {
        return;
    };
    on_render_stream(|| {
        // The upscaler works on [0, 1] colours; the compose pass reads the
        // model's range.
        let (low, high) = produced.output_range;
        let unit = output.sub_scalar(low).div_scalar(high - low);
        let upscaled = match guide {
            Some(guide) => upscale_guided(net, unit, guide, Some(tile)),
            None => upscale(net, unit, 1, Edges::Mirror, Some(tile)),
        };
        state.output = Some((upscaled.mul_scalar(high - low).add_scalar(low), produced));
    })
}

//! The style network's output brought to the view's size by an upscaling
//! network ([`StyleUpscale`]) rather than by the compose pass's bilinear
//! sampling alone.

use bevy::core_pipeline::Core3d;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::extract_component::{ExtractComponent, ExtractComponentPlugin};
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderDevice, ViewQuery};

use super::sets::StyleTransferSystems;
use super::view::{FramePlan, ViewFilter};
use crate::device::on_render_stream;
use crate::model::{GpuNet, UpscaleModel};
use crate::upscale::{Edges, tile_side, upscale};

/// With [`StyleTransfer`](super::StyleTransfer): whenever the style network
/// runs at ¾ of the view or less (`resolution_scale`, or a
/// [`FrameBudget`](super::FrameBudget)'s scale), `model` upscales its
/// output once (×its factor) on the render device, and the compose pass
/// samples that to the view (1:1 at a scale of exactly 1 / factor) instead
/// of the small output. A style-aware upscaler (`train_upscaler --teacher`)
/// is trained to draw the style's strokes at full size; a photo upscaler
/// sharpens. Until the upscaler is warm at the network's size, and above
/// ¾, the compose pass upsamples bilinearly as without it.
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
///         model: assets.load("upscalers/photo_x2.upscale.ron"),
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
            .add_plugins(ExtractComponentPlugin::<StyleUpscale>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app.add_systems(
            Core3d,
            upscale_output
                .in_set(StyleTransferSystems::Network)
                .after(super::record::run_network),
        );
    }
}

/// Upscales the output of a network that ran this frame at ¾ of the view
/// or less (`StyleTransferSystems::Network`, after the network).
fn upscale_output(
    view: ViewQuery<(&StyleUpscale, &FramePlan, &mut ViewFilter)>,
    nets: Option<Res<RenderAssets<GpuNet<UpscaleModel>>>>,
    device: Res<RenderDevice>,
) {
    let (settings, plan, mut state) = view.into_inner();
    let view = state.buffers.frame.size();
    let small = 4 * plan.net_size.x <= 3 * view.x && 4 * plan.net_size.y <= 3 * view.y;
    if !settings.enabled || plan.ran.is_none() || !small {
        return;
    }
    let Some(gpu_net) = nets.as_deref().and_then(|nets| nets.get(&settings.model)) else {
        return;
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
        let upscaled = upscale(net, unit, 1, Edges::Mirror, Some(tile));
        state.output = Some((upscaled.mul_scalar(high - low).add_scalar(low), produced));
    })
}

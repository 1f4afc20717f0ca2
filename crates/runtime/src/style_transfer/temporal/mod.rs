//! Temporal stabilisation and amortized runs ([`StyleTemporal`]), and the
//! measurements that go with them ([`WarpingErrorProbe`], [`FillMask`]):
//! the previous stylized frame reprojected with the motion vectors and
//! blended in by the compose pass, and the colour statistics amortized
//! frames match the rendered frame to.

use bevy::core_pipeline::Core3d;
use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::ViewQuery;
use bevy::render::storage::GpuShaderBuffer;
use bevy::render::{Render, RenderApp};
use burn::tensor::Tensor;

mod component;
mod probe;

pub use component::StyleTemporal;
pub use probe::{FillMask, WarpingError, WarpingErrorProbe};

use super::extract::ExtractedStyleTransfer;
use super::record::run_network;
use super::sets::StyleTransferSystems;
use super::view::{ComposeHistory, FramePlan, ViewFilter};
use crate::device::{GpuBackend, on_render_stream};
use crate::model::{GpuNet, StyleModel};
use bevy_gan_style_nn::channel_mean_var;
use probe::{MaskBuffer, ProbeBuffer};

/// Stabilisation and amortized runs for [`StyleTransfer`](crate::style_transfer::StyleTransfer)
/// cameras with [`StyleTemporal`], and the [`WarpingErrorProbe`] and
/// [`FillMask`] measurements. Added by [`StyleTransferPlugin`](crate::style_transfer::StyleTransferPlugin).
#[derive(Default)]
pub struct StyleTemporalPlugin;

impl Plugin for StyleTemporalPlugin {
    fn build(&self, app: &mut App) {
        app.register_type::<StyleTemporal>()
            .add_observer(disable_msaa)
            .add_observer(probe::start_probe)
            .add_observer(probe::start_mask)
            .add_plugins((
                ExtractComponentPlugin::<StyleTemporal>::default(),
                ExtractComponentPlugin::<WarpingErrorProbe>::default(),
                ExtractComponentPlugin::<FillMask>::default(),
            ));
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .add_systems(Render, add_history.in_set(StyleTransferSystems::Prepare))
            .add_systems(
                Core3d,
                colour_statistics
                    .in_set(StyleTransferSystems::Network)
                    .after(run_network),
            );
    }
}

/// Temporal stabilisation reads the prepass textures per pixel: no MSAA
/// (also when the camera had its own `Msaa` before).
fn disable_msaa(add: On<Add, StyleTemporal>, mut commands: Commands) {
    commands.entity(add.entity).insert(Msaa::Off);
}

/// The last run's colour statistics of an amortizing view, kept for the
/// frames that reuse its output.
#[derive(Component)]
pub(crate) struct RunColours(Tensor<GpuBackend, 4>);

/// A view with stabilisation, as [`add_history`] sees it.
type StabilisedView = (
    &'static StyleTemporal,
    &'static mut FramePlan,
    &'static ViewFilter,
    Option<&'static ViewPrepassTextures>,
    Option<&'static ProbeBuffer>,
    Option<&'static MaskBuffer>,
    Option<&'static RunColours>,
);

/// Adds stabilisation to the plans of views with [`StyleTemporal`] and
/// single-sampled prepass textures (`StyleTransferSystems::Prepare`).
fn add_history(mut views: Query<StabilisedView>, buffers: Res<RenderAssets<GpuShaderBuffer>>) {
    for (settings, mut plan, state, prepass, probe, mask, colours) in &mut views {
        let textures = prepass.and_then(|prepass| {
            let single_sampled = prepass
                .depth
                .as_ref()
                .is_some_and(|depth| depth.texture.texture.sample_count() == 1);
            Some((
                single_sampled,
                prepass
                    .motion_vectors
                    .as_ref()?
                    .texture
                    .default_view
                    .clone(),
                prepass.depth_view()?.clone(),
                prepass.previous_depth_view()?.clone(),
            ))
        });
        let Some((single_sampled, motion, depth, previous_depth)) = textures else {
            continue;
        };
        if !single_sampled {
            warn_once!("bevy_gan_style: StyleTemporal needs Msaa::Off; stabilisation skipped");
            continue;
        }
        let buffer = |id| buffers.get(id).map(|buffer| buffer.buffer.clone());
        plan.history = Some(ComposeHistory {
            history_weight: settings.history_weight,
            depth_tolerance: settings.depth_tolerance,
            amortize: settings.amortize,
            motion,
            depth,
            previous_depth,
            probe: probe.and_then(|probe| buffer(probe.0)),
            // A mask made for another view size is not written.
            mask: mask
                .filter(|mask| mask.1 == state.buffers.frame.size())
                .and_then(|mask| buffer(mask.0)),
            colours: colours.map(|colours| colours.0.clone()),
        });
    }
}

/// After a run of an amortizing view, per channel the mean and deviation
/// of the network's input and of its output, both mapped onto [0, 1]:
/// `[1, 3, 1, 4]` (input mean, input deviation, output mean, output
/// deviation) (`StyleTransferSystems::Network`).
fn colour_statistics(
    view: ViewQuery<(Entity, &StyleTemporal, &ExtractedStyleTransfer, &FramePlan)>,
    nets: Res<RenderAssets<GpuNet<StyleModel>>>,
    mut commands: Commands,
) {
    let (entity, settings, filter, plan) = view.into_inner();
    let (Some(run), Some(gpu_net)) = (&plan.ran, nets.get(filter.model)) else {
        return;
    };
    if !settings.amortize {
        return;
    }
    let card = gpu_net.model.card();
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
    let colours = on_render_stream(|| {
        let [input_mean, input_deviation] = unit(run.input.clone(), card.input_range);
        let [output_mean, output_deviation] = unit(run.output.clone(), card.output_range);
        Tensor::cat(
            vec![input_mean, input_deviation, output_mean, output_deviation],
            3,
        )
    });
    commands.entity(entity).insert(RunColours(colours));
}

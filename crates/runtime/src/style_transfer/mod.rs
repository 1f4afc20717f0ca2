//! The stylized camera filter: [`StyleTransfer`] on a 3D or 2D camera runs
//! a style network on its view target after tonemapping, on Bevy's own
//! render device.
//!
//! The core filter is small: extraction ([`ExtractedStyleTransfer`]), a
//! plan per view in `RenderSystems::Prepare` (buffers, network size,
//! whether the network runs, the style of the run: `plan.rs`), and three
//! thin systems of the core pipelines (`Core3d`, `Core2d`) that record the
//! input, run the network and record the compose pass (`record.rs`). Each
//! feature is a plugin of its own with its own component, taking part
//! through the view's plan ([`StyleTransferSystems`] orders them):
//!
//! * [`StyleTemporalPlugin`] adds stabilisation and amortized runs
//!   ([`StyleTemporal`]), [`WarpingErrorProbe`] and [`FillMask`];
//! * [`FrameBudgetPlugin`] measures the filter's cost and holds
//!   [`FrameBudget`]s;
//! * [`StyleImagesPlugin`] adds [`StyleImages`] for arbitrary-style models;
//! * [`StyleMapPlugin`] adds [`StyleMap`] (masks, depth bands) and
//!   [`StyleRegions`] with [`StyleRegion`] entities;
//! * [`FeatureMapProbePlugin`] adds [`FeatureMapProbe`];
//! * [`StyleUpscalePlugin`] adds [`StyleUpscale`] (an upscaling network
//!   after a network run below the view's resolution);
//! * [`MissingModelPlugin`] reports cameras whose model is gone or broken.

mod budget;
mod component;
mod compose;
mod extract;
mod features;
mod missing;
mod plan;
mod record;
mod regional;
mod sets;
mod style_images;
mod temporal;
mod upscale;
mod view;

use bevy::asset::embedded_asset;
use bevy::core_pipeline::{Core2d, Core2dSystems, Core3d, Core3dSystems, tonemapping::tonemapping};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::{Render, RenderApp, RenderStartup, RenderSystems};

pub use budget::{FrameBudget, FrameBudgetPlugin, STYLE_TRANSFER_SPAN};
pub use component::{
    Restylize, RestylizeRequests, StyleSchedule, StyleTransfer, StyleTransferStatus,
};
pub use extract::ExtractedStyleTransfer;
pub use features::{FeatureMapProbe, FeatureMapProbePlugin, FeatureMaps, StyleMapValues};
pub use missing::MissingModelPlugin;
pub use plan::FilterBuffers;
pub use regional::{
    DepthBand, MAX_REGION_STYLES, MaskPixels, PreparedStyleMasks, REGION_LAYER, RegionPass,
    StyleMap, StyleMapPlugin, StyleMapSource, StyleRegion, StyleRegions,
};
pub use sets::StyleTransferSystems;
pub use style_images::{PreparedStyleImages, StyleImages, StyleImagesPlugin};
pub use temporal::{FillMask, StyleTemporal, StyleTemporalPlugin, WarpingError, WarpingErrorProbe};
pub use upscale::{StyleUpscale, StyleUpscalePlugin};
pub use view::FilterRate;

use crate::bridge::{TensorBridgePlugin, add_copy_usages};
use crate::model::{GpuNetPlugin, StyleModel, StyleModelLoader};
use sets::AddViewSystems;
use sets::StyleTransferSystems::{Compose, Input, Network, Plan, Prepare, Resolve, Update};

/// The stylized camera filter: the [`StyleModel`] asset and its loader,
/// [`StyleTransfer`], the core filter's systems and every feature's plugin
/// (each added unless the app has it). Part of
/// [`GanStylePlugin`](crate::GanStylePlugin); adds the device and bridge
/// plugins it needs when they are missing.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::style_transfer::{StyleTransfer, StyleTransferPlugin};
/// App::new()
///     .add_plugins((DefaultPlugins, StyleTransferPlugin))
///     .add_systems(Startup, |mut commands: Commands, assets: Res<AssetServer>| {
///         commands.spawn(StyleTransfer {
///             model: assets.load("models/multistyle26.style.ron"),
///             ..default()
///         });
///     })
///     .run();
/// ```
#[derive(Default)]
pub struct StyleTransferPlugin;

impl Plugin for StyleTransferPlugin {
    fn build(&self, app: &mut App) {
        TensorBridgePlugin::add_with_device(app);
        app.init_asset::<StyleModel>()
            .init_asset_loader::<StyleModelLoader>()
            .register_type::<StyleTransfer>()
            .register_type::<RestylizeRequests>()
            .register_type::<StyleTransferStatus>()
            .add_observer(add_copy_usages::<StyleTransfer>)
            .add_observer(component::default_camera)
            .add_observer(component::count_restylize)
            .add_systems(PostUpdate, component::update_status.in_set(Update))
            .add_plugins((
                ExtractComponentPlugin::<StyleTransfer>::default(),
                ExtractComponentPlugin::<FilterRate>::default(),
                GpuNetPlugin::<StyleModel>::default(),
            ));
        add_features(app);
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .init_resource::<plan::FilterFrame>()
            .init_resource::<FilterBuffers>()
            .configure_sets(Render, Plan.in_set(RenderSystems::PrepareResources))
            .configure_sets(
                Render,
                (Prepare, Resolve)
                    .chain()
                    .in_set(RenderSystems::PrepareBindGroups),
            )
            .configure_sets(
                Core3d,
                (Input, Network, Compose)
                    .chain()
                    .after(tonemapping)
                    .in_set(Core3dSystems::PostProcess),
            )
            .configure_sets(
                Core2d,
                (Input, Network, Compose)
                    .chain()
                    .after(tonemapping)
                    .in_set(Core2dSystems::PostProcess),
            )
            .add_systems(RenderStartup, compose::init_compose_pipeline)
            .add_systems(
                Render,
                (
                    plan::plan_views.in_set(Plan),
                    plan::resolve_styles.in_set(Resolve),
                    plan::retire_views.in_set(RenderSystems::Cleanup),
                ),
            )
            .add_view_systems(|| {
                (
                    record::record_input.in_set(Input),
                    // The core pipelines apply their systems' command
                    // buffers only at the end of the schedule; the network
                    // submits what was recorded so far (record.rs).
                    ApplyDeferred.after(Input).before(Network),
                    record::run_network.in_set(Network),
                    record::record_compose.in_set(Compose),
                )
            });
        embedded_asset!(app, "camera_compose.wgsl");
    }
}

/// Adds each feature's plugin the app does not have yet.
fn add_features(app: &mut App) {
    macro_rules! add {
        ($($plugin:ident),*) => {$(
            if !app.is_plugin_added::<$plugin>() {
                app.add_plugins($plugin);
            }
        )*};
    }
    add!(
        StyleTemporalPlugin,
        FrameBudgetPlugin,
        StyleImagesPlugin,
        StyleMapPlugin,
        FeatureMapProbePlugin,
        StyleUpscalePlugin,
        MissingModelPlugin
    );
}

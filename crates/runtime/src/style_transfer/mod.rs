//! The stylized camera filter: [`StyleTransfer`] on a 3D camera runs a style
//! network on its view target after tonemapping, on Bevy's own render
//! device, with optional temporal stabilisation ([`StyleTemporal`]).
//!
//! Per frame: extraction ([`ExtractedStyleTransfer`]), a plan per view in
//! `RenderSystems::Prepare` (buffers, resolved style, run or reuse), and a
//! thin `Core3d` system that records the passes and runs the network.

mod budget;
mod component;
mod cost;
mod extract;
mod features;
mod filter;
mod map_pass;
mod missing;
mod pipeline;
mod prepare;
mod probe;
mod regions;
mod style_images;
mod style_map;

use bevy::asset::embedded_asset;
use bevy::core_pipeline::{Core3d, Core3dSystems, tonemapping::tonemapping};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::extract_resource::ExtractResourcePlugin;
use bevy::render::render_asset::RenderAssetPlugin;
use bevy::render::renderer::RenderQueue;
use bevy::render::{Render, RenderApp, RenderStartup, RenderSystems};

pub use budget::{FrameBudget, StyleTransferStatus};
pub use component::{Restylize, RestylizeRequests, StyleSchedule, StyleTemporal, StyleTransfer};
pub use extract::{ExtractedMapSource, ExtractedStyleMap, ExtractedStyleTransfer, GpuMapSource};
pub use features::{ExtractedProbe, FeatureMapProbe, FeatureMaps, StyleMapValues};
pub use filter::STYLE_TRANSFER_SPAN;
pub use prepare::FilterBuffers;
pub use probe::{FillMask, WarpingError, WarpingErrorProbe};
pub use regions::{MAX_REGION_STYLES, REGION_LAYER, RegionPass, StyleRegion, StyleRegions};
pub use style_images::PreparedStyleImages;
pub use style_map::{DepthBand, MaskPixels, PreparedStyleMasks, StyleMap, StyleMapSource};

use crate::bridge::TensorBridgePlugin;
use crate::model::{GpuNet, StyleModel, StyleModelLoader};

/// The stylized camera filter: the [`StyleModel`] asset and its loader,
/// [`StyleTransfer`] and its companions, and the render-world systems that
/// run the network on each filtered view. Part of
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
    fn finish(&self, app: &mut App) {
        // Timestamps read back in the main world are in the queue's ticks.
        let period = app
            .get_sub_app(RenderApp)
            .and_then(|render| render.world().get_resource::<RenderQueue>())
            .map(|queue| queue.get_timestamp_period());
        if let Some(period) = period {
            app.insert_resource(cost::TimestampPeriod(period));
        }
    }

    fn build(&self, app: &mut App) {
        TensorBridgePlugin::add_with_device(app);
        app.init_asset::<StyleModel>()
            .init_asset_loader::<StyleModelLoader>()
            .register_type::<StyleTransfer>()
            .register_type::<StyleTemporal>()
            .register_type::<RestylizeRequests>()
            .register_type::<StyleTransferStatus>()
            .add_observer(cost::start_cost_readback)
            .add_systems(PostUpdate, cost::clamp_status)
            .add_systems(
                PostUpdate,
                missing::report_missing_models.run_if(resource_exists::<AssetServer>),
            )
            .add_observer(component::add_copy_usages)
            .add_observer(component::count_restylize)
            .add_observer(component::disable_msaa)
            .add_observer(probe::start_probe)
            .add_observer(probe::start_mask)
            .add_observer(style_map::add_depth_prepass)
            .add_observer(regions::prepare_region_camera)
            .add_observer(regions::remove_region_camera)
            .add_observer(regions::remove_region_copy)
            .register_type::<StyleRegion>()
            .register_type::<StyleRegions>()
            .init_resource::<regions::RegionStyles>()
            .add_plugins(MaterialPlugin::<regions::RegionMaterial>::default())
            .add_systems(
                PostUpdate,
                (regions::sync_region_copies, regions::sync_region_cameras)
                    .chain()
                    .run_if(resource_exists::<Assets<Image>>),
            )
            .register_type::<StyleMap>()
            .init_resource::<PreparedStyleImages>()
            .init_resource::<PreparedStyleMasks>()
            // Apps without images (e.g. a server using only the CPU) have no
            // style images or masks to prepare.
            .add_systems(
                PostUpdate,
                (
                    style_images::prepare_style_images,
                    style_map::prepare_style_masks,
                )
                    .run_if(resource_exists::<Assets<Image>>),
            )
            .add_plugins((
                ExtractComponentPlugin::<StyleTransfer>::default(),
                ExtractResourcePlugin::<PreparedStyleImages>::default(),
                ExtractResourcePlugin::<PreparedStyleMasks>::default(),
                RenderAssetPlugin::<GpuNet<StyleModel>>::default(),
            ));
        if app.get_sub_app(RenderApp).is_none() {
            return;
        }
        embedded_asset!(app, "camera_compose.wgsl");
        embedded_asset!(app, "style_map.wgsl");
        embedded_asset!(app, "style_region.wgsl");
        app.sub_app_mut(RenderApp)
            .init_resource::<prepare::FilterFrame>()
            .init_resource::<FilterBuffers>()
            .init_resource::<style_images::StyleVectors>()
            .add_systems(
                RenderStartup,
                (pipeline::init_compose_pipeline, map_pass::init_map_pipeline),
            )
            .add_systems(
                Render,
                (
                    prepare::prepare_style_transfer.in_set(RenderSystems::Prepare),
                    prepare::retire_views.in_set(RenderSystems::Cleanup),
                ),
            )
            .add_systems(
                Core3d,
                // Core3d applies its systems' command buffers only at the end
                // of the schedule; applying them here lets the filter submit
                // the scene rendered so far before its own work (filter.rs).
                (ApplyDeferred, filter::style_transfer)
                    .chain()
                    .after(tonemapping)
                    .in_set(Core3dSystems::PostProcess),
            );
    }
}

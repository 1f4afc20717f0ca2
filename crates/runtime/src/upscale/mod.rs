//! GAN super-resolution: [`UpscaleModel`]s (a compact network that
//! restores the detail interpolation loses) on the render device
//! or anywhere else; [`upscale`] runs one on an image or a tileable
//! texture, tile by tile where the whole would not fit the device, and
//! [`NeuralUpscale`] on a 3D camera renders its main pass at a fraction of
//! the resolution and upscales it ([`CameraUpscalePlugin`]).

mod camera;
mod record;
mod tiles;

use bevy::core_pipeline::{Core3d, Core3dSystems, tonemapping::tonemapping};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::view::prepare_view_targets;
use bevy::render::{Render, RenderApp, RenderSystems};

pub use camera::{ExtractedNeuralUpscale, NeuralUpscale, NeuralUpscaleStatus, UpscaleMethod};
pub use tiles::{Edges, tile_side, upscale, upscale_guided};

use crate::bridge::{TensorBridgePlugin, add_copy_usages};
use crate::model::{GpuNetPlugin, UpscaleModel, UpscaleModelLoader};

/// Upscaling: the [`UpscaleModel`] asset and its loader, its networks
/// built on the render device, and [`CameraUpscalePlugin`]. Part of
/// [`GanStylePlugin`](crate::GanStylePlugin); adds the device and bridge
/// plugins it needs when they are missing.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::model::UpscaleModel;
/// use bevy_gan_style_runtime::upscale::NeuralUpscalePlugin;
/// App::new()
///     .add_plugins((DefaultPlugins, NeuralUpscalePlugin))
///     .add_systems(Startup, |assets: Res<AssetServer>| {
///         let _model: Handle<UpscaleModel> = assets.load("upscalers/photo_x2.upscale.ron");
///     })
///     .run();
/// ```
#[derive(Default)]
pub struct NeuralUpscalePlugin;

impl Plugin for NeuralUpscalePlugin {
    fn build(&self, app: &mut App) {
        TensorBridgePlugin::add_with_device(app);
        app.init_asset::<UpscaleModel>()
            .init_asset_loader::<UpscaleModelLoader>()
            .add_plugins(GpuNetPlugin::<UpscaleModel>::default());
        if !app.is_plugin_added::<CameraUpscalePlugin>() {
            app.add_plugins(CameraUpscalePlugin);
        }
    }
}

/// The phases of [`NeuralUpscale`], for ordering a game's systems around
/// them: `Update` (main world, `PostUpdate`: the status), `Plan` (render
/// world, `RenderSystems::PrepareViews`: the main pass's size), and the
/// `Core3d` passes after tonemapping, `Input`, `Network`, `Output`.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::upscale::{NeuralUpscaleStatus, NeuralUpscaleSystems};
/// fn show(cameras: Query<&NeuralUpscaleStatus>) {
///     for status in &cameras {
///         info!("upscaled from {}: {}", status.render_size, status.active);
///     }
/// }
/// App::new().add_systems(PostUpdate, show.after(NeuralUpscaleSystems::Update));
/// ```
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeuralUpscaleSystems {
    /// Camera statuses (main world).
    Update,
    /// Each view's main-pass resolution and buffers (render world).
    Plan,
    /// The low-resolution frame into a tensor.
    Input,
    /// The network.
    Network,
    /// The upscaled frame into the view target.
    Output,
}

/// [`NeuralUpscale`] on 3D cameras (added by [`NeuralUpscalePlugin`]).
#[derive(Default)]
pub struct CameraUpscalePlugin;

impl Plugin for CameraUpscalePlugin {
    fn build(&self, app: &mut App) {
        use NeuralUpscaleSystems::{Input, Network, Output, Plan, Update};
        app.register_type::<NeuralUpscale>()
            .register_type::<NeuralUpscaleStatus>()
            .add_observer(add_copy_usages::<NeuralUpscale>)
            .add_plugins(ExtractComponentPlugin::<NeuralUpscale>::default())
            .add_systems(PostUpdate, camera::update_status.in_set(Update));
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .configure_sets(
                Render,
                Plan.in_set(RenderSystems::PrepareViews)
                    .after(prepare_view_targets),
            )
            .configure_sets(
                Core3d,
                (Input, Network, Output)
                    .chain()
                    .after(tonemapping)
                    .in_set(Core3dSystems::PostProcess),
            )
            .add_systems(Render, camera::plan_views.in_set(Plan))
            .add_systems(
                Core3d,
                (
                    record::record_input.in_set(Input),
                    ApplyDeferred.after(Input).before(Network),
                    record::run_network.in_set(Network),
                    record::record_output.in_set(Output),
                ),
            );
    }
}

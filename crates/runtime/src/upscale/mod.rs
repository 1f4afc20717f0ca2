//! GAN super-resolution: [`UpscaleModel`]s (a compact network that
//! restores the detail interpolation loses) on the render device
//! or anywhere else; [`upscale`] runs one on an image or a tileable
//! texture, tile by tile where the whole would not fit the device.

mod tiles;

use bevy::prelude::*;

pub use tiles::{Edges, tile_side, upscale};

use crate::bridge::TensorBridgePlugin;
use crate::model::{GpuNetPlugin, UpscaleModel, UpscaleModelLoader};

/// Upscaling: the [`UpscaleModel`] asset and its loader, and its networks
/// built on the render device. Part of
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
    }
}

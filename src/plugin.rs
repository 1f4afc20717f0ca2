//! [`GanStylePlugin`]: registers the model assets and puts burn on Bevy's
//! render device.

use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::renderer::{
    RenderAdapter, RenderAdapterInfo, RenderDevice, RenderInstance, RenderQueue,
};

use crate::bridge::TensorBridge;
use crate::device::{BurnDevice, share_render_device};
use crate::model::{StyleModel, StyleModelLoader};
use crate::render::CameraPipelines;

/// Runs the crate's networks on the wgpu device Bevy renders with.
///
/// Add it after `DefaultPlugins` (it needs the renderer's sub-app to register
/// the camera filter). When the app renders, burn is registered on
/// Bevy's `RenderDevice` / `RenderQueue` exactly once and [`BurnDevice::Gpu`]
/// plus a [`TensorBridge`] are inserted into the main and render worlds.
/// Without a renderer (no GPU adapter, e.g. a CLI on a server) networks run on
/// burn's CPU backend ([`BurnDevice::Cpu`]), and one log line says so.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style::prelude::*;
/// App::new()
///     .add_plugins((DefaultPlugins, GanStylePlugin))
///     .run();
/// ```
#[derive(Default)]
pub struct GanStylePlugin;

impl Plugin for GanStylePlugin {
    fn build(&self, app: &mut App) {
        app.init_asset::<StyleModel>()
            .init_asset_loader::<StyleModelLoader>();
        crate::texture::build(app);
        crate::render::build(app);
    }

    // `finish` runs after RenderPlugin::finish has created the render device
    // and before pipelined rendering moves the render app to its thread.
    fn finish(&self, app: &mut App) {
        if app.world().contains_resource::<BurnDevice>() {
            return;
        }
        let shared = app.get_sub_app(RenderApp).and_then(|render| {
            let world = render.world();
            Some((
                world.get_resource::<RenderDevice>()?.clone(),
                world.get_resource::<RenderQueue>()?.clone(),
                world.get_resource::<RenderAdapter>()?.clone(),
                world.get_resource::<RenderInstance>()?.clone(),
                world.get_resource::<RenderAdapterInfo>()?.clone(),
            ))
        });
        match shared {
            Some((device, queue, adapter, instance, info)) => {
                let burn =
                    BurnDevice::Gpu(share_render_device(&device, &queue, &adapter, &instance));
                let bridge = TensorBridge::new(device.wgpu_device());
                let camera = CameraPipelines::new(device.wgpu_device());
                info!(
                    "bevy_gan_style: networks run on Bevy's render device ({}, {:?})",
                    info.name, info.backend
                );
                app.insert_resource(burn.clone())
                    .insert_resource(bridge.clone());
                app.sub_app_mut(RenderApp)
                    .insert_resource(burn)
                    .insert_resource(bridge)
                    .insert_resource(camera);
            }
            None => {
                info!(
                    "bevy_gan_style: no GPU renderer in this app; networks run on burn's CPU backend"
                );
                app.insert_resource(BurnDevice::Cpu(Default::default()));
            }
        }
    }
}

//! The stylized camera filter: [`StyleTransfer`] on a 3D camera runs a style
//! network on its view target after tonemapping, on Bevy's own render
//! device, with optional temporal stabilisation ([`StyleTemporal`]).

mod component;
mod net;
mod node;
mod pipeline;
mod probe;
mod style_images;

use bevy::core_pipeline::{Core3d, Core3dSystems, tonemapping::tonemapping};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::extract_resource::ExtractResourcePlugin;
use bevy::render::render_asset::RenderAssetPlugin;
use bevy::render::{Render, RenderApp, RenderSystems};

pub use component::{
    ExtractedStyleTransfer, Restylize, RestylizeRequests, StyleSchedule, StyleTemporal,
    StyleTransfer,
};
pub use net::GpuNet;
pub use node::STYLE_TRANSFER_SPAN;
pub(crate) use pipeline::CameraPipelines;
pub use probe::{WarpingError, WarpingErrorProbe};
pub use style_images::PreparedStyleImages;

/// Registers the camera filter (called by [`crate::GanStylePlugin::build`]).
pub(crate) fn build(app: &mut App) {
    app.register_type::<StyleTransfer>()
        .register_type::<StyleTemporal>()
        .register_type::<RestylizeRequests>()
        .add_observer(component::add_copy_usages)
        .add_observer(component::count_restylize)
        .add_observer(component::disable_msaa)
        .add_observer(probe::start_probe)
        .init_resource::<PreparedStyleImages>()
        // Apps without images (e.g. a server using only the CPU) have no
        // style images to prepare.
        .add_systems(
            PostUpdate,
            style_images::prepare_style_images.run_if(resource_exists::<Assets<Image>>),
        )
        .add_plugins((
            ExtractComponentPlugin::<StyleTransfer>::default(),
            ExtractResourcePlugin::<PreparedStyleImages>::default(),
            RenderAssetPlugin::<net::GpuStyleNet>::default(),
        ));
    let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
        return;
    };
    render_app
        .init_resource::<node::CameraStates>()
        .init_resource::<style_images::StyleVectors>()
        .add_systems(
            Core3d,
            // Core3d applies its systems' command buffers only at the end of
            // the schedule; applying them here lets the filter submit the
            // scene rendered so far before its own work (see node.rs).
            (ApplyDeferred, node::style_transfer)
                .chain()
                .after(tonemapping)
                .in_set(Core3dSystems::PostProcess),
        )
        .add_systems(Render, node::retire_views.in_set(RenderSystems::Cleanup));
}

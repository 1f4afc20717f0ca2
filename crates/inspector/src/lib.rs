//! egui panels for the crate's capabilities (feature `egui`): a window per
//! [`StyleTransfer`](bevy_gan_style_runtime::style_transfer::StyleTransfer) camera (styles
//! with thumbnails, blend, strength, scale, schedule, stabilisation, split,
//! cost), one per camera to look inside its network (layer mix, colours,
//! the blend's conditional-norm code, feature maps and style map read back
//! on request), and one for [`NeuralTexture`](bevy_gan_style_runtime::texture::NeuralTexture)s
//! (seed, size, morph, tiling, animation, cost).

mod controls;
mod cost;
mod inside_panel;
mod settings;
mod style_panel;
mod texture_panel;
mod thumbnails;

use bevy::core_pipeline::Core2d;
use bevy::diagnostic::FrameTimeDiagnosticsPlugin;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};
use bevy_gan_style_runtime::style_transfer::StyleTransferSystems;

pub use controls::StyleControls;
pub use settings::GanStyleInspector;

/// Adds the inspector's panels (and `EguiPlugin`, Bevy's render and frame
/// time diagnostics when missing). Style thumbnails are the
/// [`preview`](Self::preview) picture stylized by each style; without one,
/// styles are listed by name. Hide the panels with [`GanStyleInspector`].
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_inspector::GanStyleInspectorPlugin;
/// use bevy_gan_style_runtime::prelude::*;
/// App::new()
///     .add_plugins((DefaultPlugins, GanStylePlugin))
///     .add_plugins(GanStyleInspectorPlugin {
///         preview: Some("images/chelsea_256x168.png".into()),
///     })
///     .run();
/// ```
#[derive(Default)]
pub struct GanStyleInspectorPlugin {
    /// Asset path of the picture the thumbnails stylize.
    pub preview: Option<String>,
}

impl Plugin for GanStyleInspectorPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<EguiPlugin>() {
            app.add_plugins(EguiPlugin::default());
        }
        if app.get_sub_app(RenderApp).is_some() && !app.is_plugin_added::<RenderDiagnosticsPlugin>()
        {
            app.add_plugins(RenderDiagnosticsPlugin);
        }
        if !app.is_plugin_added::<FrameTimeDiagnosticsPlugin>() {
            app.add_plugins(FrameTimeDiagnosticsPlugin::default());
        }
        app.init_resource::<GanStyleInspector>()
            .insert_resource(thumbnails::PreviewPicture {
                path: self.preview.clone(),
                handle: None,
            })
            .init_resource::<thumbnails::Thumbnails>()
            .add_observer(controls::add_controls)
            .add_systems(
                Update,
                (
                    controls::apply_controls,
                    thumbnails::update_thumbnails.run_if(resource_exists::<Assets<Image>>),
                ),
            )
            .add_systems(
                EguiPrimaryContextPass,
                (
                    style_panel::style_panel,
                    inside_panel::inside_panel,
                    texture_panel::texture_panel,
                ),
            );
        // bevy_egui draws on a 2D camera anywhere after its main pass: the
        // panels go after the filter, as on 3D cameras, so they stay crisp.
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app.configure_sets(
                Core2d,
                StyleTransferSystems::Compose.before(bevy_egui::render::egui_pass),
            );
        }
    }
}

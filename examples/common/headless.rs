//! Headless Bevy apps for examples and tests: Bevy's renderer without a
//! window when a GPU adapter exists (software ones like lavapipe included),
//! and no renderer at all otherwise.

use bevy::app::PluginsState;
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::PipelineCache;
use bevy::render::settings::{Backends, WgpuSettings};
use bevy::render::{RenderApp, RenderPlugin};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use bevy_gan_style::GanStylePlugin;
use bevy_gan_style::bridge::BridgePipelines;

/// Graphics APIs the headless apps try.
pub const BACKENDS: Backends = Backends::PRIMARY;

/// `DefaultPlugins` without a window plus [`GanStylePlugin`]; the renderer is
/// created only when `renderer` is true. Pipelined rendering is off so that
/// the render world stays reachable from `app`.
pub fn headless_app(renderer: bool) -> App {
    headless_app_with_assets(renderer, AssetPlugin::default())
}

/// [`headless_app`] reading assets as `assets` says (another folder, file
/// watching for hot reload).
pub fn headless_app_with_assets(renderer: bool, assets: AssetPlugin) -> App {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .build()
            .disable::<WinitPlugin>()
            .disable::<PipelinedRenderingPlugin>()
            .set(assets)
            .set(WindowPlugin {
                primary_window: None,
                exit_condition: ExitCondition::DontExit,
                close_when_requested: false,
                ..default()
            })
            .set(LogPlugin {
                // burn's autotuner logs every kernel it tunes.
                filter: format!("{},cubecl_runtime=warn", bevy::log::DEFAULT_FILTER),
                ..default()
            })
            .set(RenderPlugin {
                render_creation: WgpuSettings {
                    backends: renderer.then_some(BACKENDS),
                    ..default()
                }
                .into(),
                synchronous_pipeline_compilation: true,
                ..default()
            }),
    )
    .add_plugins(GanStylePlugin);
    app
}

/// Completes plugin set-up (what `App::run` does first) so that resources
/// such as the render device and the burn device can be used directly, and,
/// with a renderer, runs frames until the pipelines queued at start-up (the
/// crate's among them) are compiled.
pub fn finish_setup(app: &mut App) {
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    if app.get_sub_app(RenderApp).is_none() {
        return;
    }
    // Shaders load on the asset server's threads; a few frames suffice.
    for _ in 0..1000 {
        app.update();
        let render = app.sub_app(RenderApp).world();
        let ready = render.contains_resource::<BridgePipelines>()
            && render
                .resource::<PipelineCache>()
                .waiting_pipelines()
                .next()
                .is_none();
        if ready {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

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
use bevy_gan_style::device::BurnDevice;

/// Graphics APIs the headless apps try.
pub const BACKENDS: Backends = Backends::PRIMARY;

/// `DefaultPlugins` without a window plus [`GanStylePlugin`]; the renderer is
/// created only when `renderer` is true. Pipelined rendering is off so that
/// the render world stays reachable from `app`.
#[allow(dead_code, reason = "the tools use `tool_device` instead")]
pub fn headless_app(renderer: bool) -> App {
    headless_app_with_assets(renderer, AssetPlugin::default())
}

/// [`headless_app`] reading assets as `assets` says (another folder, file
/// watching for hot reload).
#[allow(dead_code, reason = "the tools use `tool_device` instead")]
pub fn headless_app_with_assets(renderer: bool, assets: AssetPlugin) -> App {
    // burn's autotuner logs every kernel it tunes.
    let filter = format!("{},cubecl_runtime=warn", bevy::log::DEFAULT_FILTER);
    app_with(renderer, assets, filter)
}

/// Which device a command-line tool runs its networks on (`--cpu`, `--gpu`,
/// or neither: the faster one).
#[allow(
    dead_code,
    reason = "used by the tools, not by every includer of this file"
)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeviceChoice {
    /// Bevy's render device on a hardware GPU; burn's CPU backend when the
    /// only adapter is a software rasteriser (slower than the CPU backend
    /// on the same cores) or there is none.
    Auto,
    /// burn's CPU backend.
    Cpu,
    /// Bevy's render device, software rasteriser or not.
    Gpu,
}

#[allow(
    dead_code,
    reason = "used by the tools, not by every includer of this file"
)]
impl DeviceChoice {
    /// The choice of a tool's `--cpu` and `--gpu` flags (clap keeps them
    /// apart).
    pub fn from_flags(cpu: bool, gpu: bool) -> Self {
        match (cpu, gpu) {
            (true, _) => Self::Cpu,
            (false, true) => Self::Gpu,
            (false, false) => Self::Auto,
        }
    }
}

/// What a command-line tool runs networks on, as `choice` says: Bevy's
/// render device (with the app that holds it), or burn's CPU backend with
/// no Bevy app at all, so that nothing of a renderer is set up (and warns)
/// for nothing; and the device line the tool prints. The app logs warnings
/// and errors only, and not Bevy's warning that the adapter is a software
/// one: the device line says it. Call [`quiet_display_probe`] first.
#[allow(
    dead_code,
    reason = "used by the tools, not by every includer of this file"
)]
pub fn tool_device(choice: DeviceChoice) -> Result<(Option<App>, BurnDevice, String), String> {
    let cpu = |why: String| {
        (
            None,
            BurnDevice::Cpu(Default::default()),
            format!("CPU: burn's CPU backend ({why})"),
        )
    };
    let adapter = bevy_gan_style::device::default_adapter(BACKENDS);
    let software = |info: &wgpu::AdapterInfo| info.device_type == wgpu::DeviceType::Cpu;
    match (choice, &adapter) {
        (DeviceChoice::Cpu, _) => return Ok(cpu("--cpu".into())),
        (DeviceChoice::Auto, None) => return Ok(cpu("no GPU adapter".into())),
        (DeviceChoice::Auto, Some(info)) if software(info) => {
            return Ok(cpu(format!(
                "the only GPU adapter, {}, is a software rasteriser, slower here; --gpu runs on it",
                info.name
            )));
        }
        (DeviceChoice::Gpu, None) => {
            return Err("--gpu: no GPU adapter found (software Vulkan will do: \
                        apt-get install mesa-vulkan-drivers libvulkan1)"
                .into());
        }
        _ => {}
    }
    let filter = "warn,bevy_render::renderer=error,cubecl_runtime=warn".to_string();
    let mut app = app_with(true, AssetPlugin::default(), filter);
    finish_setup(&mut app);
    let device = app.world().resource::<BurnDevice>().clone();
    let info = app
        .world()
        .resource::<bevy::render::renderer::RenderAdapterInfo>();
    let line = format!(
        "GPU: Bevy's render device ({}, {:?}{})",
        info.name,
        info.backend,
        if software(info) {
            ", a software rasteriser"
        } else {
            ""
        }
    );
    Ok((Some(app), device, line))
}

/// Mesa's Vulkan drivers look for a Wayland display when a device opens, and
/// on a machine without a session (no `XDG_RUNTIME_DIR`: servers, CI) each
/// look prints an `error:` line. A headless tool has no display to find;
/// with the variable pointing at the temporary folder the look fails
/// quietly. Call it first in `main`, before any thread exists.
#[allow(
    dead_code,
    reason = "used by the tools, not by every includer of this file"
)]
pub fn quiet_display_probe() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: called at the start of `main`, before the process has
        // other threads that could read the environment concurrently.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
}

/// The headless app with the log `filter`.
fn app_with(renderer: bool, assets: AssetPlugin, filter: String) -> App {
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
                filter,
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

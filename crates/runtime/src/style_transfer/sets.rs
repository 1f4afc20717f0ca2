//! The camera filter's system sets, public so that a game can order its own
//! systems against the filter.

use bevy::app::SubApp;
use bevy::core_pipeline::{Core2d, Core3d};
use bevy::ecs::schedule::IntoScheduleConfigs;
use bevy::ecs::system::ScheduleSystem;
use bevy::prelude::*;

/// System sets of the camera filter, in the order they run. A game orders
/// against them like against Bevy's own sets, e.g. a render-world pass
/// that reads the stylized view target goes
/// `.after(StyleTransferSystems::Compose)` in `Core3d` (or `Core2d` for 2D
/// cameras).
///
/// ```no_run
/// use bevy::core_pipeline::Core3d;
/// use bevy::prelude::*;
/// use bevy::render::RenderApp;
/// use bevy_gan_style_runtime::prelude::*;
/// fn my_overlay() {}
/// let mut app = App::new();
/// app.add_plugins((DefaultPlugins, GanStylePlugin));
/// app.sub_app_mut(RenderApp)
///     .add_systems(Core3d, my_overlay.after(StyleTransferSystems::Compose));
/// ```
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StyleTransferSystems {
    /// Main world, `PostUpdate`: camera settings turned into what the render
    /// world extracts (status, style images and masks read, region
    /// cameras, budgets).
    Update,
    /// Render world, `RenderSystems::PrepareResources`: each filtered view's
    /// plan (buffers, network size, whether the network is due).
    Plan,
    /// Render world, `RenderSystems::PrepareBindGroups`: features complete
    /// the plans (style vectors, style maps, stabilisation, forced runs).
    Prepare,
    /// Render world, after `Prepare`: the style of each run resolved.
    Resolve,
    /// `Core3d` and `Core2d`, after tonemapping: the frame copied out and
    /// the network's input (and a style map) recorded.
    Input,
    /// `Core3d` and `Core2d`: the network runs (and features read from the
    /// run).
    Network,
    /// `Core3d` and `Core2d`: the compose pass and the copy back into the
    /// view target.
    Compose,
}

/// Adds view systems to both core pipelines, `Core3d` and `Core2d`: the
/// filter and its features that need no 3D prepass run the same after
/// either's tonemapping.
pub(crate) trait AddViewSystems {
    /// `systems()` added to `Core3d` and to `Core2d`.
    fn add_view_systems<M, S: IntoScheduleConfigs<ScheduleSystem, M>>(
        &mut self,
        systems: impl Fn() -> S,
    ) -> &mut Self;
}

impl AddViewSystems for SubApp {
    fn add_view_systems<M, S: IntoScheduleConfigs<ScheduleSystem, M>>(
        &mut self,
        systems: impl Fn() -> S,
    ) -> &mut Self {
        self.add_systems(Core3d, systems())
            .add_systems(Core2d, systems())
    }
}

//! The settings of temporal stabilisation.

use bevy::core_pipeline::prepass::{DepthPrepass, DepthPrepassDoubleBuffer, MotionVectorPrepass};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;

/// Temporal stabilisation for a [`StyleTransfer`](crate::style_transfer::StyleTransfer)
/// camera: the previous stylized frame is reprojected with the motion
/// vectors and blended in, except where the depth says a surface was not
/// visible before. With `amortize`, frames in which the network does not
/// run (its schedule, or a [`FrameBudget`](crate::style_transfer::FrameBudget)'s interval)
/// show the previous stylized frame reprojected to the current view, and
/// the pixels it did not see show the rendered frame with the stylized
/// output's colours: a slow network gives a steady, fully covered picture
/// at the full frame rate. Adds the depth and motion-vector prepasses and
/// turns MSAA off (the prepass textures are read per pixel). 3D cameras
/// only: Bevy's 2D pipeline has no such prepasses, and a `Camera2d`'s
/// filter runs without it.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// # fn setup(mut commands: Commands) {
/// commands.spawn((Camera3d::default(), StyleTransfer::default(), StyleTemporal::default()));
/// # }
/// ```
#[derive(Component, ExtractComponent, Reflect, Clone, Copy, Debug, PartialEq)]
#[reflect(Component, Default, Clone)]
#[require(DepthPrepass, MotionVectorPrepass, DepthPrepassDoubleBuffer, Msaa = Msaa::Off)]
#[extract_component_filter(With<Camera3d>)]
pub struct StyleTemporal {
    /// Weight of the reprojected previous frame (0 = off, 0.9 = very stable).
    pub history_weight: f32,
    /// Relative depth difference beyond which a pixel counts as newly
    /// visible (disoccluded) and takes no history.
    pub depth_tolerance: f32,
    /// Reproject the last stylized frame in frames where the network does
    /// not run (else they show its last output as it was).
    pub amortize: bool,
}

impl Default for StyleTemporal {
    fn default() -> Self {
        Self {
            history_weight: 0.7,
            depth_tolerance: 0.05,
            amortize: true,
        }
    }
}

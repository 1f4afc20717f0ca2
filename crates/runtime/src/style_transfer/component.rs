//! The components a game puts on its camera, and their render-world copies.

use bevy::camera::CameraMainTextureUsages;
use bevy::core_pipeline::prepass::{DepthPrepass, DepthPrepassDoubleBuffer, MotionVectorPrepass};
use bevy::prelude::*;
use bevy::render::render_resource::TextureUsages;

use super::budget::{FrameBudget, StyleTransferStatus};
use crate::model::{LayerMix, StyleModel, StyleWeights};
use bevy_gan_style_nn::{ColorPreservation, Precision};

/// Renders a 3D camera in a painting's style: the style network runs on the
/// view target after tonemapping, on Bevy's render device, every frame (or
/// as [`StyleSchedule`] says). UI drawn after post-processing (e.g. egui)
/// stays crisp.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         Camera3d::default(),
///         StyleTransfer {
///             model: assets.load("models/multistyle26.style.ron"),
///             style: StyleWeights::blend([(3, 0.5), (7, 0.5)]),
///             resolution_scale: 0.5,
///             ..default()
///         },
///     ));
/// }
/// ```
///
/// An arbitrary-style model takes its style from any `Image` instead: a
/// painting, a texture, a screenshot. `style` then blends `style_images`
/// (indices into it), and each image's style vector is predicted once.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         Camera3d::default(),
///         StyleTransfer {
///             model: assets.load("models/magenta_arbitrary.style.ron"),
///             style_images: vec![assets.load("styles/starry_night.jpg"), assets.load("styles/the_scream.jpg")],
///             // Halfway through a transition from the first image to the second.
///             style: StyleWeights::single(0).lerp(&StyleWeights::single(1), 0.5),
///             style_strength: 0.8,
///             ..default()
///         },
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component, Default, Clone)]
#[require(Camera3d, RestylizeRequests, StyleTransferStatus)]
pub struct StyleTransfer {
    /// The style model (a `*.style.ron` card).
    pub model: Handle<StyleModel>,
    /// Which style, or blend of styles; interpolate it (see
    /// [`StyleWeights::lerp`]) for smooth transitions. For arbitrary-style
    /// models the indices are into `style_images`.
    pub style: StyleWeights,
    /// Style images, for arbitrary-style models (others ignore them): any
    /// `Image` with CPU-side pixels (loaded images have them by default).
    pub style_images: Vec<Handle<Image>>,
    /// Output blend: 0 shows the frame as rendered, 1 fully stylized.
    pub strength: f32,
    /// Magenta's strength, for arbitrary-style models: the style vector is
    /// `a·s_style + (1 − a)·s_frame`, `s_frame` predicted from the frame
    /// each time the network runs (when `a` < 1). 1 = full style.
    pub style_strength: f32,
    /// The network runs at this fraction of the view size (rounded to
    /// multiples of 4) and its output is upsampled bilinearly. Under a
    /// `budget`, the highest scale the budget may choose.
    pub resolution_scale: f32,
    /// Hold the filter to a GPU time per frame by lowering the internal
    /// scale and then the run interval ([`StyleTransferStatus`] shows the
    /// choice). `None`: the filter costs what the network costs.
    pub budget: Option<FrameBudget>,
    /// Precision of the network's GPU kernels; `F16` needs the adapter's
    /// `SHADER_F16` (f32 is used without it).
    pub precision: Precision,
    /// When the network runs.
    pub schedule: StyleSchedule,
    /// Off: the camera renders as if the component were absent.
    pub enabled: bool,
    /// Fraction of the view width, from the left, left unstylized, to
    /// compare before and after (0 = none).
    pub split: f32,
    /// Separate styles for the encoder, residual blocks and decoder (coarse
    /// structure from one style, brush texture from another); unset parts
    /// take `style`.
    pub layers: LayerMix,
    /// Keep the frame's own colours (luminance-only transfer, or colour
    /// statistics matched).
    pub preserve_color: ColorPreservation,
}

impl StyleTransfer {
    /// The internal resolution scale the camera allows (its
    /// `resolution_scale`, within 0.05 … 1).
    pub fn max_scale(&self) -> f32 {
        finite_or(self.resolution_scale, 1.0).clamp(0.05, 1.0)
    }
}

impl Default for StyleTransfer {
    fn default() -> Self {
        Self {
            model: Handle::default(),
            style: StyleWeights::default(),
            style_images: Vec::new(),
            strength: 1.0,
            style_strength: 1.0,
            resolution_scale: 1.0,
            budget: None,
            precision: Precision::F32,
            schedule: StyleSchedule::EveryFrame,
            enabled: true,
            split: 0.0,
            layers: LayerMix::default(),
            preserve_color: ColorPreservation::Off,
        }
    }
}

/// When a [`StyleTransfer`] camera runs its network. Frames in between reuse
/// the last stylized image (still blended by `strength`).
#[derive(Reflect, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StyleSchedule {
    /// Every rendered frame.
    #[default]
    EveryFrame,
    /// Every N-th frame.
    EveryNFrames(u32),
    /// Only when a [`Restylize`] event targets the camera (and once at
    /// start).
    OnDemand,
}

/// Asks a [`StyleSchedule::OnDemand`] camera to run its network again.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn snap(mut commands: Commands, camera: Single<Entity, With<StyleTransfer>>) {
///     commands.trigger(Restylize { entity: *camera });
/// }
/// ```
#[derive(EntityEvent, Clone, Copy, Debug)]
pub struct Restylize {
    /// The camera.
    pub entity: Entity,
}

/// How many [`Restylize`] events a camera has received; a
/// [`StyleSchedule::OnDemand`] camera runs its network when it changes.
/// Required by [`StyleTransfer`].
#[derive(Component, Reflect, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[reflect(Component, Default, Clone)]
pub struct RestylizeRequests(pub u32);

/// Temporal stabilisation for a [`StyleTransfer`] camera: the previous
/// stylized frame is reprojected with the motion vectors and blended in,
/// except where the depth says a surface was not visible before. With
/// `amortize`, frames in which the network does not run (its schedule, or
/// a [`FrameBudget`](super::FrameBudget)'s interval) show the previous
/// stylized frame reprojected to the current view, and the pixels it did
/// not see show the rendered frame with the stylized output's colours: a
/// slow network gives a steady, fully covered picture at the full frame
/// rate. Adds the depth and motion-vector prepasses and turns MSAA off
/// (the prepass textures are read per pixel).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// # fn setup(mut commands: Commands) {
/// commands.spawn((Camera3d::default(), StyleTransfer::default(), StyleTemporal::default()));
/// # }
/// ```
#[derive(Component, Reflect, Clone, Copy, Debug, PartialEq)]
#[reflect(Component, Default, Clone)]
#[require(DepthPrepass, MotionVectorPrepass, DepthPrepassDoubleBuffer, Msaa = Msaa::Off)]
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

/// The filter copies the view target out and back: make sure the camera's
/// main textures allow it, whatever usages the game asked for.
pub(crate) fn add_copy_usages(
    add: On<Add, StyleTransfer>,
    mut usages: Query<Option<&mut CameraMainTextureUsages>>,
    mut commands: Commands,
) {
    let needed = TextureUsages::COPY_SRC | TextureUsages::COPY_DST;
    match usages.get_mut(add.entity) {
        Ok(Some(mut usages)) => usages.0 |= needed,
        _ => {
            commands
                .entity(add.entity)
                .insert(CameraMainTextureUsages::default().with(needed));
        }
    }
}

/// Temporal stabilisation reads the prepass textures per pixel: no MSAA.
pub(crate) fn disable_msaa(add: On<Add, StyleTemporal>, mut commands: Commands) {
    commands.entity(add.entity).insert(Msaa::Off);
}

/// Counts [`Restylize`] requests on the camera.
pub(crate) fn count_restylize(
    restylize: On<Restylize>,
    mut cameras: Query<&mut RestylizeRequests>,
) {
    if let Ok(mut requests) = cameras.get_mut(restylize.entity) {
        requests.0 = requests.0.wrapping_add(1);
    }
}

/// `value`, or `default` when it is NaN or infinite: settings come from
/// game code and UIs, and one NaN must not reach a shader.
pub(crate) fn finite_or(value: f32, default: f32) -> f32 {
    if value.is_finite() { value } else { default }
}

//! The core filter's components: what a game puts on its camera, and what
//! the filter reports back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bevy::prelude::*;

use super::view::FilterRate;
use crate::model::{LayerMix, StyleModel, StyleWeights};
use bevy_gan_style_nn::{ColorPreservation, Precision};

/// Renders a 3D or 2D camera in a painting's style: the style network runs
/// on the view target after tonemapping, on Bevy's render device, every
/// frame (or as [`StyleSchedule`] says). UI drawn after post-processing
/// (e.g. egui) stays crisp. On an entity without a `Camera2d` it adds a
/// `Camera3d`. Companions add features: [`StyleTemporal`](super::StyleTemporal)
/// (stabilisation and amortized runs; 3D), [`FrameBudget`](super::FrameBudget),
/// [`StyleImages`](super::StyleImages) (arbitrary-style models),
/// [`StyleMap`](super::StyleMap) (masks; depth bands in 3D) /
/// [`StyleRegions`](super::StyleRegions) (styles per object; 3D),
/// [`StyleUpscale`](super::StyleUpscale), [`FeatureMapProbe`](super::FeatureMapProbe).
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
///     // A 2D game's camera: the same component.
///     commands.spawn((
///         Camera2d,
///         StyleTransfer {
///             model: assets.load("models/multistyle26.style.ron"),
///             ..default()
///         },
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component, Default, Clone)]
#[require(RestylizeRequests, StyleTransferStatus, ReadyFlag)]
pub struct StyleTransfer {
    /// The style model (a `*.style.ron` card).
    pub model: Handle<StyleModel>,
    /// Which style, or blend of styles; interpolate it (see
    /// [`StyleWeights::lerp`]) for smooth transitions. For arbitrary-style
    /// models the indices are into the camera's
    /// [`StyleImages`](super::StyleImages).
    pub style: StyleWeights,
    /// Output blend: 0 shows the frame as rendered, 1 fully stylized.
    pub strength: f32,
    /// The network runs at this fraction of the view size (rounded to
    /// multiples of 4) and its output is upsampled bilinearly. Under a
    /// [`FrameBudget`](super::FrameBudget), the highest scale the budget
    /// may choose.
    pub resolution_scale: f32,
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
            strength: 1.0,
            resolution_scale: 1.0,
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

/// 2D and 3D cameras.
type AnyCamera = Or<(With<Camera2d>, With<Camera3d>)>;

/// A [`StyleTransfer`] added to an entity that is not a 2D or 3D camera
/// makes it a 3D camera (a required `Camera3d` would clash with a
/// `Camera2d`).
pub(crate) fn default_camera(
    add: On<Add, StyleTransfer>,
    cameras: Query<(), AnyCamera>,
    mut commands: Commands,
) {
    if !cameras.contains(add.entity) {
        commands.entity(add.entity).insert(Camera3d::default());
    }
}

/// How many [`Restylize`] events a camera has received; a
/// [`StyleSchedule::OnDemand`] camera runs its network when it changes.
/// Required by [`StyleTransfer`].
#[derive(Component, Reflect, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[reflect(Component, Default, Clone)]
pub struct RestylizeRequests(pub u32);

/// What a [`StyleTransfer`] camera's filter is doing, written by the
/// filter and its features (required by [`StyleTransfer`]).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn report(cameras: Query<&StyleTransferStatus, Changed<StyleTransferStatus>>) {
///     for status in &cameras {
///         if status.ready {
///             info!("stylized at scale {:.2}, {:?} ms", status.scale, status.cost_ms);
///         }
///     }
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug, PartialEq)]
#[reflect(Component, Default, Clone)]
pub struct StyleTransferStatus {
    /// The camera's network is built on the device and warmed up at the
    /// camera's size (its kernels compiled off the frame, when the model
    /// loaded and when the size first came up): the camera's frames are
    /// stylized. Until then it renders unfiltered, or with the previous
    /// model's last output after a model swap or a hot reload.
    pub ready: bool,
    /// The internal resolution scale in use (the camera's own, or what its
    /// [`FrameBudget`](super::FrameBudget) chose).
    pub scale: f32,
    /// The network runs every `interval` frames (1 without a budget).
    pub interval: u32,
    /// The filter's cost in the last measured frame (ms; GPU time where the
    /// device has timestamps inside encoders, else CPU recording time).
    pub cost_ms: Option<f32>,
    /// Median cost of recent frames in which the network ran.
    pub run_cost_ms: Option<f32>,
    /// Median cost of recent frames that reused the last output.
    pub skip_cost_ms: Option<f32>,
    /// Whether the costs are GPU timestamps.
    pub gpu_timestamps: bool,
    /// The camera's style model is not available (removed from
    /// `Assets<StyleModel>`, or it failed to load): the camera renders
    /// unfiltered, with one warning.
    pub model_missing: bool,
    /// Why the model (or its latest edit) failed to load, while it does.
    pub model_load_error: Option<String>,
}

impl Default for StyleTransferStatus {
    fn default() -> Self {
        Self {
            ready: false,
            scale: 1.0,
            interval: 1,
            cost_ms: None,
            run_cost_ms: None,
            skip_cost_ms: None,
            gpu_timestamps: false,
            model_missing: false,
            model_load_error: None,
        }
    }
}

/// Whether the render world found a camera's network ready at the camera's
/// size in the last frame (shared with the render world).
#[derive(Component, Clone, Default, Debug)]
pub struct ReadyFlag(pub(crate) Arc<AtomicBool>);

/// Keeps each camera's status in step with its network and its rate
/// (`StyleTransferSystems::Update`).
pub(crate) fn update_status(
    mut cameras: Query<(
        &StyleTransfer,
        &ReadyFlag,
        Option<&FilterRate>,
        &mut StyleTransferStatus,
    )>,
) {
    for (settings, ready, rate, mut status) in &mut cameras {
        let max_scale = settings.max_scale();
        // Taken, not read: a frame that does not plan the view (e.g. its
        // new target not on the GPU yet) leaves it false.
        let ready = settings.enabled && ready.0.swap(false, Ordering::Relaxed);
        let scale = rate.map_or(max_scale, |rate| rate.scale.clamp(0.05, max_scale));
        let interval = rate.map_or(1, |rate| rate.interval.max(1));
        if (status.ready, status.scale, status.interval) != (ready, scale, interval) {
            let status = status.as_mut();
            (status.ready, status.scale, status.interval) = (ready, scale, interval);
        }
    }
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

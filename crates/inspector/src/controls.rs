//! [`StyleControls`]: the inspector's handle on a camera's style — two
//! styles, a blend between them, and smooth transitions.

use bevy::prelude::*;

use bevy_gan_style_runtime::model::{StyleModel, StyleWeights};
use bevy_gan_style_runtime::style_transfer::{StyleImages, StyleTransfer};

/// How the inspector (and an app's shortcuts) steer a [`StyleTransfer`]
/// camera's style: style A, style B and the blend between them, with a
/// smooth transition whenever A changes ([`Self::pick`]). Added to every
/// `StyleTransfer` camera by
/// [`GanStyleInspectorPlugin`](super::GanStyleInspectorPlugin) unless the
/// app inserts its own; it writes `StyleTransfer::style` each frame.
///
/// ```
/// use bevy_gan_style_inspector::StyleControls;
/// let mut controls = StyleControls::new(3, 7, 0.0);
/// controls.pick(5);
/// // The transition starts where the camera was: still style 3.
/// assert_eq!(controls.style().to_dense(8).unwrap()[3], 1.0);
/// controls.advance(controls.transition_seconds);
/// assert_eq!(controls.style().to_dense(8).unwrap()[5], 1.0);
/// ```
#[derive(Component, Clone, Debug)]
pub struct StyleControls {
    /// Style A (for arbitrary-style models: an index into `style_images`).
    pub style_a: usize,
    /// Style B.
    pub style_b: usize,
    /// 0 = style A, 1 = style B.
    pub blend: f32,
    /// Sweep the blend slowly back and forth.
    pub animate_blend: bool,
    /// Seconds a transition to a newly picked style A takes.
    pub transition_seconds: f32,
    /// The style shown when A last changed, and the transition's progress
    /// (1 = arrived).
    transition: (StyleWeights, f32),
    /// Seconds the blend has been animated.
    animation_time: f32,
}

impl StyleControls {
    /// Style `a` blended towards style `b` by `blend`.
    pub fn new(a: usize, b: usize, blend: f32) -> Self {
        Self {
            style_a: a,
            style_b: b,
            blend: blend.clamp(0.0, 1.0),
            animate_blend: false,
            transition_seconds: 1.0,
            transition: (StyleWeights::single(a), 1.0),
            animation_time: 0.0,
        }
    }

    /// The style to show now.
    pub fn style(&self) -> StyleWeights {
        let target = StyleWeights::single(self.style_a)
            .lerp(&StyleWeights::single(self.style_b), self.blend);
        let (from, progress) = &self.transition;
        // Smoothstep: the style eases out of the old one and into the new.
        let t = progress.clamp(0.0, 1.0);
        from.lerp(&target, t * t * (3.0 - 2.0 * t))
    }

    /// Makes `index` style A, moving there gradually from what is shown.
    pub fn pick(&mut self, index: usize) {
        self.transition = (self.style(), 0.0);
        self.style_a = index;
    }

    /// Advances the transition and the blend animation by `seconds`.
    pub fn advance(&mut self, seconds: f32) {
        let step = seconds / self.transition_seconds.max(1e-3);
        self.transition.1 = (self.transition.1 + step).min(1.0);
        if self.animate_blend {
            self.animation_time += seconds;
            self.blend = 0.5 - 0.5 * (self.animation_time * 0.6).cos();
        }
    }

    /// Whether a transition or the blend animation is under way.
    pub fn in_motion(&self) -> bool {
        self.transition.1 < 1.0 || self.animate_blend
    }

    /// Whether a style index is `styles` or beyond (a model with fewer
    /// styles than the indices name).
    pub fn out_of_range(&self, styles: usize) -> bool {
        self.style_a >= styles || self.style_b >= styles
    }

    /// Keeps both styles below `styles`, without a transition.
    pub fn clamp_to(&mut self, styles: usize) {
        let last = styles.max(1) - 1;
        self.style_a = self.style_a.min(last);
        self.style_b = self.style_b.min(last);
        self.transition = (StyleWeights::single(self.style_a), 1.0);
    }
}

impl Default for StyleControls {
    fn default() -> Self {
        Self::new(0, 1, 0.0)
    }
}

/// Gives a new [`StyleTransfer`] camera controls that start at its style's
/// two strongest entries.
pub(crate) fn add_controls(
    add: On<Add, StyleTransfer>,
    cameras: Query<(&StyleTransfer, Has<StyleControls>)>,
    mut commands: Commands,
) {
    let Ok((settings, has_controls)) = cameras.get(add.entity) else {
        return;
    };
    if has_controls {
        return;
    }
    let mut weights = settings.style.weights.clone();
    weights.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (a, wa) = weights.first().copied().unwrap_or((0, 1.0));
    let (b, wb) = weights.get(1).copied().unwrap_or((a, 0.0));
    let blend = if wa + wb > 0.0 { wb / (wa + wb) } else { 0.0 };
    commands
        .entity(add.entity)
        .insert(StyleControls::new(a, b, blend));
}

/// Keeps each camera's controls within its model's styles, advances them
/// and, when they moved or were changed, writes their style into the camera
/// (so a style the app sets itself stays until the controls are used).
pub(crate) fn apply_controls(
    time: Res<Time>,
    models: Res<Assets<StyleModel>>,
    mut cameras: Query<(&mut StyleControls, &mut StyleTransfer, Option<&StyleImages>)>,
) {
    for (mut controls, mut settings, images) in &mut cameras {
        let mut clamped = false;
        if let Some(model) = models.get(&settings.model) {
            let styles = if model.card().takes_style_image() {
                images.map_or(0, |images| images.images.len())
            } else {
                model.num_styles()
            };
            if controls.out_of_range(styles) {
                controls.clamp_to(styles);
                clamped = true;
            }
        }
        let changed = clamped || (controls.is_changed() && !controls.is_added());
        let moving = controls.in_motion();
        if moving {
            controls.advance(time.delta_secs());
        }
        let style = controls.style();
        if (changed || moving) && settings.style != style {
            settings.style = style;
        }
    }
}

//! The inspector's app-wide state.

use bevy::prelude::*;

/// The inspector's state: toggle `visible` to hide or show every panel.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_inspector::GanStyleInspector;
/// fn toggle(keys: Res<ButtonInput<KeyCode>>, mut inspector: ResMut<GanStyleInspector>) {
///     if keys.just_pressed(KeyCode::KeyH) {
///         inspector.visible = !inspector.visible;
///     }
/// }
/// ```
#[derive(Resource, Clone, Debug)]
pub struct GanStyleInspector {
    /// Whether the panels are drawn.
    pub visible: bool,
    /// Asks the texture panel's latent explorer to sweep this global-code
    /// dimension of the selected texture (as its "sweep" button does);
    /// cleared when the sweep starts.
    pub sweep_latent: Option<usize>,
}

impl Default for GanStyleInspector {
    fn default() -> Self {
        Self {
            visible: true,
            sweep_latent: None,
        }
    }
}

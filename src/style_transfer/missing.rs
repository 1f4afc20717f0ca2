//! Cameras whose style model is gone or broken: removed from
//! `Assets<StyleModel>`, failed to load before any version of it loaded, or
//! a later version (a hot-reloaded edit) that fails to load. Gone models
//! leave the camera unfiltered, with a warning once per loss; both show in
//! the camera's status until a version loads again.

use bevy::asset::LoadState;
use bevy::prelude::*;

use super::budget::StyleTransferStatus;
use super::component::StyleTransfer;
use crate::model::StyleModel;

/// Why `model` is not available, or `None` when it is (or is still
/// loading).
fn missing_reason(
    model: &Handle<StyleModel>,
    models: &Assets<StyleModel>,
    load_state: Option<&LoadState>,
) -> Option<String> {
    if models.contains(model) {
        return None;
    }
    match load_state {
        Some(LoadState::Loading | LoadState::NotLoaded) => None,
        Some(LoadState::Failed(error)) => Some(format!("it failed to load: {error}")),
        Some(LoadState::Loaded) => Some("it was removed from Assets<StyleModel>".to_string()),
        None => Some("it is not in Assets<StyleModel>".to_string()),
    }
}

/// Updates [`StyleTransferStatus::model_missing`] and
/// [`StyleTransferStatus::model_load_error`], and warns when a camera loses
/// its model.
pub(crate) fn report_missing_models(
    mut cameras: Query<(Entity, &StyleTransfer, &mut StyleTransferStatus)>,
    models: Res<Assets<StyleModel>>,
    server: Res<AssetServer>,
) {
    for (entity, settings, mut status) in &mut cameras {
        let load_state = server.get_load_state(&settings.model);
        let load_error = match &load_state {
            Some(LoadState::Failed(error)) => Some(error.to_string()),
            _ => None,
        };
        if status.model_load_error != load_error {
            status.model_load_error = load_error;
        }
        let reason = missing_reason(&settings.model, &models, load_state.as_ref());
        if status.model_missing == reason.is_some() {
            continue;
        }
        status.model_missing = reason.is_some();
        if let Some(reason) = reason {
            warn!(
                "bevy_gan_style: camera {entity} renders unfiltered: its style model is not \
                 available ({reason})"
            );
        }
    }
}

//! Cameras whose style model is gone or broken: removed from
//! `Assets<StyleModel>`, failed to load before any version of it loaded, or
//! a later version (a hot-reloaded edit) that fails to load. Gone models
//! leave the camera unfiltered, with a warning once per loss; both show in
//! the camera's status until a version loads again. Runs every frame, so
//! text is only made when something changes.

use std::sync::Arc;

use bevy::asset::{AssetLoadError, LoadState};
use bevy::prelude::*;

use super::component::{StyleTransfer, StyleTransferStatus};
use super::sets::StyleTransferSystems;
use crate::model::StyleModel;

/// Reports [`StyleTransfer`] cameras whose style model is missing or
/// broken (in [`StyleTransferStatus`], and one warning per loss), and
/// leaves them unfiltered. Added by
/// [`StyleTransferPlugin`](super::StyleTransferPlugin).
#[derive(Default)]
pub struct MissingModelPlugin;

impl Plugin for MissingModelPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            PostUpdate,
            report_missing_models
                .run_if(resource_exists::<AssetServer>)
                .in_set(StyleTransferSystems::Update),
        );
    }
}

/// The load error a camera's status was last written from, so that the
/// text is only made again when the error changes.
#[derive(Component, Default)]
pub(crate) struct ReportedLoadError(Option<Arc<AssetLoadError>>);

/// Whether a model that is not in `Assets<StyleModel>` counts as missing:
/// not while it is still loading.
fn is_missing(in_assets: bool, load_state: Option<&LoadState>) -> bool {
    !in_assets && !matches!(load_state, Some(LoadState::Loading | LoadState::NotLoaded))
}

/// Why a missing model is missing, for the warning.
fn missing_reason(load_state: Option<&LoadState>) -> String {
    match load_state {
        Some(LoadState::Failed(error)) => format!("it failed to load: {error}"),
        Some(LoadState::Loaded) => "it was removed from Assets<StyleModel>".to_string(),
        _ => "it is not in Assets<StyleModel>".to_string(),
    }
}

/// Updates [`StyleTransferStatus::model_missing`] and
/// [`StyleTransferStatus::model_load_error`], and warns when a camera loses
/// its model.
fn report_missing_models(
    mut cameras: Query<(
        Entity,
        &StyleTransfer,
        &mut StyleTransferStatus,
        Option<&mut ReportedLoadError>,
    )>,
    models: Res<Assets<StyleModel>>,
    server: Res<AssetServer>,
    mut commands: Commands,
) {
    for (entity, settings, mut status, reported) in &mut cameras {
        let load_state = server.get_load_state(&settings.model);
        let error = match &load_state {
            Some(LoadState::Failed(error)) => Some(error),
            _ => None,
        };
        let Some(mut reported) = reported else {
            commands.entity(entity).insert(ReportedLoadError::default());
            continue;
        };
        let same_error = match (error, &reported.0) {
            (Some(new), Some(old)) => Arc::ptr_eq(new, old),
            (None, None) => true,
            _ => false,
        };
        if !same_error {
            reported.0 = error.cloned();
            status.model_load_error = error.map(ToString::to_string);
        }
        let missing = is_missing(models.contains(&settings.model), load_state.as_ref());
        if status.model_missing == missing {
            continue;
        }
        status.model_missing = missing;
        if missing {
            warn!(
                "bevy_gan_style: camera {entity} renders unfiltered: its style model is not \
                 available ({})",
                missing_reason(load_state.as_ref())
            );
        }
    }
}

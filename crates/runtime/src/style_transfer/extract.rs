//! The render-world copy of a camera's [`StyleTransfer`]; each feature
//! extracts its own component beside it.

use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::sync_component::SyncComponent;

use super::component::{
    ReadyFlag, RestylizeRequests, StyleSchedule, StyleTransfer, StyleTransferStatus, finite_or,
};
use crate::model::{LayerMix, StyleModel, StyleWeights};
use bevy_gan_style_nn::{ColorPreservation, Precision};

/// Render-world copy of an enabled [`StyleTransfer`] (with strength > 0 and
/// its model available), on the camera's render entity.
#[derive(Component, Clone, Debug)]
pub struct ExtractedStyleTransfer {
    /// The style model.
    pub model: AssetId<StyleModel>,
    /// Style selection.
    pub style: StyleWeights,
    /// In `(0, 1]`.
    pub strength: f32,
    /// In `[0.05, 1]`: the highest internal scale.
    pub max_scale: f32,
    /// Precision of the network's kernels.
    pub precision: Precision,
    /// When the network runs.
    pub schedule: StyleSchedule,
    /// In `[0, 1]`.
    pub split: f32,
    /// [`Restylize`](super::Restylize) requests so far.
    pub requests: u32,
    /// Styles per part of the network.
    pub layers: LayerMix,
    /// Colour preservation.
    pub preserve_color: ColorPreservation,
    /// Where the plan says whether the network is ready at the view's size.
    pub(crate) ready: ReadyFlag,
}

impl SyncComponent for StyleTransfer {
    type Target = ExtractedStyleTransfer;
}

impl ExtractComponent for StyleTransfer {
    type QueryData = (
        &'static StyleTransfer,
        Option<&'static RestylizeRequests>,
        Option<&'static StyleTransferStatus>,
        Option<&'static ReadyFlag>,
    );
    type QueryFilter = ();
    type Out = ExtractedStyleTransfer;

    fn extract_component(
        (settings, requests, status, ready): (
            &StyleTransfer,
            Option<&RestylizeRequests>,
            Option<&StyleTransferStatus>,
            Option<&ReadyFlag>,
        ),
    ) -> Option<ExtractedStyleTransfer> {
        // Disabled, zero strength or a model gone from `Assets` (its network
        // stays in the render world while handles live): nothing runs, the
        // frame is untouched.
        let missing = status.is_some_and(|status| status.model_missing);
        (settings.enabled && settings.strength > 0.0 && !missing).then(|| ExtractedStyleTransfer {
            model: settings.model.id(),
            style: settings.style.clone(),
            strength: settings.strength.min(1.0),
            max_scale: settings.max_scale(),
            precision: settings.precision,
            schedule: settings.schedule,
            split: finite_or(settings.split, 0.0).clamp(0.0, 1.0),
            requests: requests.map_or(0, |r| r.0),
            layers: settings.layers.clone(),
            preserve_color: settings.preserve_color,
            ready: ready.cloned().unwrap_or_default(),
        })
    }
}

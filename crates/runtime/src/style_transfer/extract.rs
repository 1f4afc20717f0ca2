//! Render-world copies of the camera components.

use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::storage::ShaderBuffer;
use bevy::render::sync_component::SyncComponent;

use super::budget::StyleTransferStatus;
use super::component::{RestylizeRequests, StyleSchedule, StyleTemporal, StyleTransfer, finite_or};
use super::features::{ExtractedProbe, FeatureMapProbe};
use super::probe::{FillMask, WarpingErrorProbe};
use super::regions::{RegionPass, StyleRegions};
use super::style_map::{DepthBand, StyleMap, StyleMapSource};
use crate::model::{LayerMix, StyleModel, StyleWeights};
use bevy_gan_style_nn::{ColorPreservation, Precision};

/// Render-world copy of an enabled [`StyleTransfer`] (with strength > 0),
/// on the camera's render entity.
#[derive(Component, Clone, Debug)]
pub struct ExtractedStyleTransfer {
    /// The style model.
    pub model: AssetId<StyleModel>,
    /// Style selection.
    pub style: StyleWeights,
    /// Style images (arbitrary-style models).
    pub style_images: Vec<AssetId<Image>>,
    /// In `(0, 1]`.
    pub strength: f32,
    /// Magenta's strength (arbitrary-style models).
    pub style_strength: f32,
    /// In `[0.05, 1]`: the camera's own, or the one its budget chose.
    pub resolution_scale: f32,
    /// The budget's run interval (1 without a budget).
    pub interval: u32,
    /// Settings generation of the budget, written with each cost.
    pub generation: u32,
    /// Where the filter writes its cost.
    pub cost: Option<AssetId<ShaderBuffer>>,
    /// Precision of the network's kernels.
    pub precision: Precision,
    /// When the network runs.
    pub schedule: StyleSchedule,
    /// In `[0, 1]`.
    pub split: f32,
    /// [`Restylize`](super::Restylize) requests so far.
    pub requests: u32,
    /// Temporal stabilisation, when the camera has it.
    pub temporal: Option<StyleTemporal>,
    /// Buffer of the camera's [`WarpingErrorProbe`], if any.
    pub probe: Option<AssetId<ShaderBuffer>>,
    /// Buffer of the camera's [`FillMask`] and its view size, if any.
    pub mask: Option<(AssetId<ShaderBuffer>, UVec2)>,
    /// Styles per part of the network.
    pub layers: LayerMix,
    /// Colour preservation.
    pub preserve_color: ColorPreservation,
    /// The camera's style map ([`StyleMap`] or [`StyleRegions`]).
    pub region: Option<ExtractedStyleMap>,
    /// The camera's [`FeatureMapProbe`], if any.
    pub features: Option<ExtractedProbe>,
}

/// A camera's style map: the styles of its channels after the camera's own,
/// and where its weights come from.
#[derive(Clone, Debug)]
pub struct ExtractedStyleMap {
    /// The styles of channels 1...
    pub styles: Vec<StyleWeights>,
    /// Where the weights come from.
    pub source: ExtractedMapSource,
}

/// Where a camera's style map comes from, in the render world.
#[derive(Clone, Debug)]
pub enum ExtractedMapSource {
    /// A mask image, read into weights in the main world.
    Mask(AssetId<Image>),
    /// Made on the GPU each run.
    Gpu(GpuMapSource),
}

/// What a style map made on the GPU is made from.
#[derive(Clone, Debug)]
pub enum GpuMapSource {
    /// The depth prepass.
    DepthBand(DepthBand),
    /// The region pass's image and the depth prepass.
    Regions {
        /// The region pass's image.
        image: AssetId<Image>,
        /// [`StyleRegions::tolerance`].
        tolerance: f32,
    },
}

impl SyncComponent for StyleTransfer {
    type Target = ExtractedStyleTransfer;
}

impl ExtractComponent for StyleTransfer {
    type QueryData = (
        &'static StyleTransfer,
        Option<&'static StyleTemporal>,
        Option<&'static RestylizeRequests>,
        Option<&'static WarpingErrorProbe>,
        Option<&'static StyleTransferStatus>,
        Option<&'static FillMask>,
        Option<&'static StyleMap>,
        Option<(&'static StyleRegions, &'static RegionPass)>,
        Option<&'static FeatureMapProbe>,
    );
    type QueryFilter = ();
    type Out = ExtractedStyleTransfer;

    fn extract_component(
        (settings, temporal, requests, probe, status, mask, map, regions, features): (
            &StyleTransfer,
            Option<&StyleTemporal>,
            Option<&RestylizeRequests>,
            Option<&WarpingErrorProbe>,
            Option<&StyleTransferStatus>,
            Option<&FillMask>,
            Option<&StyleMap>,
            Option<(&StyleRegions, &RegionPass)>,
            Option<&FeatureMapProbe>,
        ),
    ) -> Option<ExtractedStyleTransfer> {
        // Disabled, zero strength or a model gone from `Assets` (its network
        // stays in the render world while handles live): nothing runs, the
        // frame is untouched.
        let missing = status.is_some_and(|status| status.model_missing);
        (settings.enabled && settings.strength > 0.0 && !missing).then(|| ExtractedStyleTransfer {
            model: settings.model.id(),
            style: settings.style.clone(),
            style_images: settings.style_images.iter().map(Handle::id).collect(),
            strength: settings.strength.min(1.0),
            style_strength: finite_or(settings.style_strength, 1.0),
            resolution_scale: match (settings.budget, status) {
                (Some(_), Some(status)) => status.scale.clamp(0.05, settings.max_scale()),
                _ => settings.max_scale(),
            },
            interval: match (settings.budget, status) {
                (Some(_), Some(status)) => status.interval.max(1),
                _ => 1,
            },
            generation: status.map_or(0, |status| status.generation),
            cost: status
                .and_then(|status| status.cost_buffer.as_ref())
                .map(Handle::id),
            precision: settings.precision,
            schedule: settings.schedule,
            split: finite_or(settings.split, 0.0).clamp(0.0, 1.0),
            requests: requests.map_or(0, |r| r.0),
            temporal: temporal.copied(),
            probe: probe.map(|probe| probe.buffer.id()),
            mask: mask.map(|mask| (mask.buffer.id(), mask.size)),
            layers: settings.layers.clone(),
            preserve_color: settings.preserve_color,
            region: style_map(map, regions),
            features: features.map(FeatureMapProbe::extract),
        })
    }
}

/// The camera's style map: its [`StyleRegions`] once a region style is in
/// use, else its [`StyleMap`].
fn style_map(
    map: Option<&StyleMap>,
    regions: Option<(&StyleRegions, &RegionPass)>,
) -> Option<ExtractedStyleMap> {
    if let Some((settings, pass)) = regions {
        return (!pass.styles.is_empty()).then(|| ExtractedStyleMap {
            styles: pass.styles.clone(),
            source: ExtractedMapSource::Gpu(GpuMapSource::Regions {
                image: pass.image.id(),
                tolerance: settings.tolerance.max(0.0),
            }),
        });
    }
    map.map(|map| ExtractedStyleMap {
        styles: vec![map.style.clone()],
        source: match &map.source {
            StyleMapSource::Mask(image) => ExtractedMapSource::Mask(image.id()),
            StyleMapSource::DepthBand(band) => {
                ExtractedMapSource::Gpu(GpuMapSource::DepthBand(*band))
            }
        },
    })
}

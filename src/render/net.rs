//! Style models instantiated on the render device, as render assets.

use bevy::ecs::system::{SystemParamItem, lifetimeless::SRes};
use bevy::prelude::*;
use bevy::render::render_asset::{PrepareAssetError, RenderAsset};

use crate::device::{BurnDevice, GpuBackend};
use crate::model::{StyleModel, StyleModelCard};
use crate::nn::MultiStyleNet;

/// A [`StyleModel`] built on the shared wgpu device, ready for the camera
/// filter. Rebuilt when the asset changes.
pub(crate) struct GpuStyleNet {
    /// `None` when the network could not be built (logged once).
    pub net: Option<MultiStyleNet<GpuBackend>>,
    pub model: StyleModel,
}

impl GpuStyleNet {
    pub fn card(&self) -> &StyleModelCard {
        self.model.card()
    }
}

impl RenderAsset for GpuStyleNet {
    type SourceAsset = StyleModel;
    type Param = SRes<BurnDevice>;

    fn prepare_asset(
        model: StyleModel,
        _id: AssetId<StyleModel>,
        burn: &mut SystemParamItem<Self::Param>,
        _previous: Option<&Self>,
    ) -> Result<Self, PrepareAssetError<StyleModel>> {
        let net = match &**burn {
            BurnDevice::Gpu(device) => model
                .instantiate::<GpuBackend>(device)
                .inspect_err(|e| {
                    error!(
                        "bevy_gan_style: cannot build `{}` on the GPU: {e}",
                        model.card().name
                    )
                })
                .ok(),
            BurnDevice::Cpu(_) => None,
        };
        Ok(Self { net, model })
    }
}

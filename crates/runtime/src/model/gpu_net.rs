//! Model assets built on the render device, as render assets: every kind of
//! [`CardModel`] (style models, texture models) the same way.

use std::sync::atomic::{AtomicU64, Ordering};

use bevy::ecs::system::{SystemParamItem, lifetimeless::SRes};
use bevy::prelude::*;
use bevy::render::render_asset::{PrepareAssetError, RenderAsset};

use super::loader::CardModel;
use crate::device::{BurnDevice, GpuBackend, on_render_stream};

/// A model's network built on the shared wgpu device: the render asset of
/// every [`CardModel`] (added by the plugin of the capability that uses it).
/// Rebuilt when the asset changes.
pub struct GpuNet<M: CardModel> {
    /// `None` when the network could not be built (logged once).
    pub net: Option<M::Net<GpuBackend>>,
    /// The model itself (card and weights).
    pub model: M,
    /// Which build this is: a new number each time a model is prepared, so
    /// a hot-reloaded model is told apart from the one it replaced.
    pub revision: u64,
}

/// Builds so far, for [`GpuNet::revision`].
static BUILDS: AtomicU64 = AtomicU64::new(0);

impl<M: CardModel + Clone> RenderAsset for GpuNet<M> {
    type SourceAsset = M;
    type Param = SRes<BurnDevice>;

    fn prepare_asset(
        model: M,
        _id: AssetId<M>,
        burn: &mut SystemParamItem<Self::Param>,
        _previous: Option<&Self>,
    ) -> Result<Self, PrepareAssetError<M>> {
        let net = match &**burn {
            BurnDevice::Gpu(device) => on_render_stream(|| {
                model
                    .build::<GpuBackend>(device)
                    .inspect_err(|e| {
                        error!(
                            "bevy_gan_style: cannot build `{}` on the GPU: {e}",
                            model.name()
                        )
                    })
                    .ok()
                    .inspect(|net| model.warm_up::<GpuBackend>(net, device))
            }),
            BurnDevice::Cpu(_) => None,
        };
        let revision = BUILDS.fetch_add(1, Ordering::Relaxed);
        Ok(Self {
            net,
            model,
            revision,
        })
    }
}

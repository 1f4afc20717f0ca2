//! Model assets built on the render device, as render assets: every kind of
//! [`CardModel`] (style models, texture models) the same way. A network is
//! warmed up (its kernels compiled and autotuned) on a background task when
//! its model loads, and again at each new input size a view asks for
//! ([`GpuNet::ready_at`]), so that no frame waits for it.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bevy::ecs::system::{SystemParamItem, lifetimeless::SRes};
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::render_asset::{PrepareAssetError, RenderAsset, RenderAssetPlugin};
use bevy::tasks::AsyncComputeTaskPool;
use burn::backend::wgpu::WgpuDevice;

use super::loader::CardModel;
use crate::device::{BurnDevice, GpuBackend, on_render_stream, on_warm_up_stream};

/// A model's network built on the shared wgpu device: the render asset of
/// every [`CardModel`] (added by the plugin of the capability that uses it,
/// through [`GpuNetPlugin`]). Rebuilt when the asset changes.
pub struct GpuNet<M: CardModel> {
    /// `None` when the network could not be built (logged once).
    pub net: Option<Arc<M::Net<GpuBackend>>>,
    /// The model itself (card and weights).
    pub model: M,
    /// Which build this is: a new number each time a model is prepared, so
    /// a hot-reloaded model is told apart from the one it replaced.
    pub revision: u64,
    warm: Arc<AtomicBool>,
    /// Warm-ups at input sizes, started or done.
    sizes: Mutex<HashMap<UVec2, Arc<AtomicBool>>>,
    device: Option<WgpuDevice>,
}

impl<M: CardModel + Clone> GpuNet<M> {
    /// Whether the network is warmed up: its first run on the device (shader
    /// compilation, autotuning) is done, off the frame.
    pub fn is_ready(&self) -> bool {
        self.warm.load(Ordering::Acquire)
    }

    /// Whether the network is warmed up at input `size` too (some kernels
    /// are specialised by size); the first call for a size starts its
    /// warm-up on a background task, once the model's own one is done.
    pub fn ready_at(&self, size: UVec2) -> bool {
        let (Some(net), Some(device)) = (&self.net, &self.device) else {
            return false;
        };
        if !self.is_ready() {
            return false;
        }
        let mut sizes = self
            .sizes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match sizes.get(&size) {
            Some(warm) => warm.load(Ordering::Acquire),
            None => {
                let warm = Arc::new(AtomicBool::new(false));
                sizes.insert(size, warm.clone());
                warm_up(&self.model, net, device, Some(size), &warm);
                false
            }
        }
    }
}

/// Which models' networks are warmed up on the render device, by asset;
/// one resource shared by the main and the render world (the main world
/// reads it for [`StyleTransferStatus::ready`](crate::style_transfer::StyleTransferStatus::ready)).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::model::WarmNets;
/// use bevy_gan_style_runtime::prelude::*;
/// fn report(warm: Res<WarmNets<StyleModel>>, cameras: Query<&StyleTransfer>) {
///     for camera in &cameras {
///         info!("model ready: {}", warm.is_warm(camera.model.id()));
///     }
/// }
/// ```
#[derive(Resource)]
pub struct WarmNets<M: CardModel>(Arc<Mutex<HashMap<AssetId<M>, Arc<AtomicBool>>>>);

impl<M: CardModel> Clone for WarmNets<M> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<M: CardModel> Default for WarmNets<M> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<M: CardModel> WarmNets<M> {
    /// Whether the network of `model`'s latest version is warmed up.
    pub fn is_warm(&self, model: AssetId<M>) -> bool {
        self.lock()
            .get(&model)
            .is_some_and(|warm| warm.load(Ordering::Acquire))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AssetId<M>, Arc<AtomicBool>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Builds a kind of model on the render device ([`GpuNet`]) and shares
/// which are warmed up ([`WarmNets`]). Added by the capability plugins.
pub struct GpuNetPlugin<M>(std::marker::PhantomData<M>);

impl<M> Default for GpuNetPlugin<M> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<M: CardModel + Clone> Plugin for GpuNetPlugin<M> {
    fn build(&self, app: &mut App) {
        let warm = WarmNets::<M>::default();
        app.insert_resource(warm.clone())
            .add_plugins(RenderAssetPlugin::<GpuNet<M>>::default());
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app.insert_resource(warm);
        }
    }
}

/// Builds so far, for [`GpuNet::revision`].
static BUILDS: AtomicU64 = AtomicU64::new(0);

impl<M: CardModel + Clone> RenderAsset for GpuNet<M> {
    type SourceAsset = M;
    type Param = (SRes<BurnDevice>, SRes<WarmNets<M>>);

    fn prepare_asset(
        model: M,
        id: AssetId<M>,
        (burn, warm_nets): &mut SystemParamItem<Self::Param>,
        _previous: Option<&Self>,
    ) -> Result<Self, PrepareAssetError<M>> {
        let warm = Arc::new(AtomicBool::new(false));
        warm_nets.lock().insert(id, warm.clone());
        let device = match &**burn {
            BurnDevice::Gpu(device) => Some(device.clone()),
            BurnDevice::Cpu(_) => None,
        };
        let net = match &device {
            Some(device) => on_render_stream(|| {
                model
                    .build::<GpuBackend>(device)
                    .inspect_err(|e| {
                        error!(
                            "bevy_gan_style: cannot build `{}` on the GPU: {e}",
                            model.name()
                        )
                    })
                    .ok()
                    .map(Arc::new)
                    .inspect(|net| warm_up(&model, net, device, None, &warm))
            }),
            None => None,
        };
        let revision = BUILDS.fetch_add(1, Ordering::Relaxed);
        Ok(Self {
            net,
            model,
            revision,
            warm,
            sizes: Mutex::default(),
            device,
        })
    }
}

/// Runs `net` once (at input `size`, or a small one) on a background task
/// (its own burn stream), then sets `warm`. A failure is logged and the
/// network counted as warm: its errors then show where it is used.
fn warm_up<M: CardModel + Clone>(
    model: &M,
    net: &Arc<M::Net<GpuBackend>>,
    device: &WgpuDevice,
    size: Option<UVec2>,
    warm: &Arc<AtomicBool>,
) {
    let (model, net, device, warm) = (model.clone(), net.clone(), device.clone(), warm.clone());
    AsyncComputeTaskPool::get()
        .spawn(async move {
            let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                on_warm_up_stream(|| model.warm_up(&net, &device, size));
            }));
            if run.is_err() {
                error!("bevy_gan_style: warming up `{}` failed", model.name());
            }
            warm.store(true, Ordering::Release);
        })
        .detach();
}

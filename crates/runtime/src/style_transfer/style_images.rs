//! Style images for arbitrary-style cameras: each `Image` a camera names is
//! prepared once for the predictor (Magenta's 256×256 crop, on a background
//! task), and its style vector is predicted once on the render device and
//! kept, so changing or blending style images costs no frame.

use std::sync::Arc;

use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::extract_resource::ExtractResource;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use image::RgbaImage;

use super::component::StyleTransfer;
use crate::bridge::image_to_tensor;
use crate::device::GpuBackend;
use crate::model::{StyleModel, StyleVector, style_image_input};
use bevy_gan_style_nn::ArbitraryStyleNet;

/// The style images of every [`StyleTransfer`] camera, prepared for the
/// predictor (see [`style_image_input`]), by image asset. Filled as images
/// load; an image that changes is prepared again.
#[derive(Resource, Clone, Default, ExtractResource)]
pub struct PreparedStyleImages(pub HashMap<AssetId<Image>, Arc<RgbaImage>>);

/// Preparations under way.
#[derive(Default)]
pub(crate) struct PendingStyleImages(HashMap<AssetId<Image>, Task<Result<RgbaImage, String>>>);

/// Starts preparing the style images cameras name once they are loaded,
/// collects finished ones, and forgets images that changed or went away.
pub(crate) fn prepare_style_images(
    cameras: Query<&StyleTransfer>,
    images: Res<Assets<Image>>,
    mut events: MessageReader<AssetEvent<Image>>,
    mut prepared: ResMut<PreparedStyleImages>,
    mut pending: Local<PendingStyleImages>,
) {
    for event in events.read() {
        if let AssetEvent::Modified { id } | AssetEvent::Removed { id } = event
            && (prepared.bypass_change_detection().0.contains_key(id) || pending.0.contains_key(id))
        {
            prepared.0.remove(id);
            pending.0.remove(id);
        }
    }
    for handle in cameras.iter().flat_map(|camera| &camera.style_images) {
        let id = handle.id();
        if prepared.bypass_change_detection().0.contains_key(&id) || pending.0.contains_key(&id) {
            continue;
        }
        let Some(image) = images.get(id) else {
            continue;
        };
        if image.data.is_none() {
            warn_once!(
                "bevy_gan_style: a style image has no CPU-side pixels (its asset usage is \
                 RENDER_WORLD only); load it with RenderAssetUsages::MAIN_WORLD to use it as a style"
            );
            continue;
        }
        let image = image.clone();
        let task = AsyncComputeTaskPool::get().spawn(async move {
            let picture = image.try_into_dynamic().map_err(|e| e.to_string())?;
            Ok(style_image_input(&picture))
        });
        pending.0.insert(id, task);
    }
    let mut finished = Vec::new();
    for (id, task) in &mut pending.0 {
        if let Some(result) = check_ready(task) {
            finished.push((*id, result));
        }
    }
    for (id, result) in finished {
        pending.0.remove(&id);
        match result {
            Ok(input) => {
                prepared.0.insert(id, Arc::new(input));
            }
            Err(error) => warn!("bevy_gan_style: cannot use a style image: {error}"),
        }
    }
}

/// Render-world cache of predicted style vectors, by model and image.
#[derive(Resource, Default)]
pub(crate) struct StyleVectors {
    entries: HashMap<(AssetId<StyleModel>, AssetId<Image>), CachedVector>,
}

struct CachedVector {
    /// The prepared image it was predicted from (a changed image is a new
    /// allocation).
    source: Arc<RgbaImage>,
    vector: StyleVector<GpuBackend>,
    last_frame: u64,
}

/// Frames a vector stays cached after its last use.
const KEEP_FRAMES: u64 = 600;

impl StyleVectors {
    /// The style vector of `image` under `model`: cached, or predicted now
    /// (the predictor's kernels are queued, nothing waits for them).
    pub(crate) fn get(
        &mut self,
        (model, image): (AssetId<StyleModel>, AssetId<Image>),
        source: &Arc<RgbaImage>,
        net: &ArbitraryStyleNet<GpuBackend>,
        device: &burn::backend::wgpu::WgpuDevice,
        frame: u64,
    ) -> StyleVector<GpuBackend> {
        let entry = self.entries.entry((model, image));
        let cached = entry
            .and_modify(|cached| {
                if !Arc::ptr_eq(&cached.source, source) {
                    cached.source = source.clone();
                    cached.vector = predict(net, source, device);
                }
            })
            .or_insert_with(|| CachedVector {
                source: source.clone(),
                vector: predict(net, source, device),
                last_frame: frame,
            });
        cached.last_frame = frame;
        cached.vector.clone()
    }

    /// Forgets vectors not used for a while.
    pub(crate) fn retire(&mut self, frame: u64) {
        self.entries
            .retain(|_, cached| cached.last_frame + KEEP_FRAMES >= frame);
    }
}

fn predict(
    net: &ArbitraryStyleNet<GpuBackend>,
    source: &RgbaImage,
    device: &burn::backend::wgpu::WgpuDevice,
) -> StyleVector<GpuBackend> {
    let input = image_to_tensor::<GpuBackend>(source, (0.0, 1.0), device);
    StyleVector::from_tensor(net.predict(input))
}

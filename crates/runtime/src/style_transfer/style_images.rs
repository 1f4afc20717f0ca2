//! Style images for arbitrary-style cameras ([`StyleImages`]): each `Image`
//! a camera names is prepared once for the predictor (Magenta's 256×256
//! crop, on a background task), and its style vector is predicted once on
//! the render device and kept, so changing or blending style images costs
//! no frame.

use std::sync::Arc;

use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::extract_component::{ExtractComponent, ExtractComponentPlugin};
use bevy::render::extract_resource::{ExtractResource, ExtractResourcePlugin};
use bevy::render::render_asset::RenderAssets;
use bevy::render::sync_component::SyncComponent;
use bevy::render::{Render, RenderApp, RenderSystems};
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use image::RgbaImage;

use super::component::finite_or;
use super::extract::ExtractedStyleTransfer;
use super::plan::FilterFrame;
use super::sets::StyleTransferSystems;
use super::view::{FramePlan, PlanVectors};
use crate::bridge::image_to_tensor;
use crate::device::{BurnDevice, GpuBackend, on_render_stream};
use crate::model::{GpuNet, StyleModel, StyleNet, StyleVector, style_image_input};
use bevy_gan_style_nn::ArbitraryStyleNet;

/// The style of an arbitrary-style camera, taken from any `Image`: a
/// painting, a texture, a screenshot. The camera's
/// [`StyleTransfer::style`](super::StyleTransfer::style) blends these
/// images (its indices are into `images`), and each image's style vector
/// is predicted once. Models that hold their own styles ignore it.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         StyleTransfer {
///             model: assets.load("models/magenta_arbitrary.style.ron"),
///             // Halfway through a transition from the first image to the second.
///             style: StyleWeights::single(0).lerp(&StyleWeights::single(1), 0.5),
///             ..default()
///         },
///         StyleImages {
///             images: vec![assets.load("styles/starry_night.jpg"), assets.load("styles/the_scream.jpg")],
///             strength: 0.8,
///         },
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component, Default, Clone)]
pub struct StyleImages {
    /// Any `Image` with CPU-side pixels (loaded images have them by
    /// default).
    pub images: Vec<Handle<Image>>,
    /// Magenta's strength: the style vector is `a·s_style + (1 − a)·s_frame`,
    /// `s_frame` predicted from the frame each time the network runs (when
    /// `a` < 1). 1 = full style, 0 the frame's own; values outside 0 to 1
    /// (which extrapolate to saturated colours) are clamped.
    pub strength: f32,
}

impl Default for StyleImages {
    fn default() -> Self {
        Self {
            images: Vec::new(),
            strength: 1.0,
        }
    }
}

/// Style images for arbitrary-style models. Added by
/// [`StyleTransferPlugin`](super::StyleTransferPlugin).
#[derive(Default)]
pub struct StyleImagesPlugin;

impl Plugin for StyleImagesPlugin {
    fn build(&self, app: &mut App) {
        app.register_type::<StyleImages>()
            .init_resource::<PreparedStyleImages>()
            // Apps without images (e.g. a server using only the CPU) have
            // no style images to prepare.
            .add_systems(
                PostUpdate,
                prepare_style_images
                    .run_if(resource_exists::<Assets<Image>>)
                    .in_set(StyleTransferSystems::Update),
            )
            .add_plugins((
                ExtractComponentPlugin::<StyleImages>::default(),
                ExtractResourcePlugin::<PreparedStyleImages>::default(),
            ));
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app.init_resource::<StyleVectors>().add_systems(
            Render,
            (
                add_vectors.in_set(StyleTransferSystems::Prepare),
                retire_vectors.in_set(RenderSystems::Cleanup),
            ),
        );
    }
}

/// Render-world copy of a camera's [`StyleImages`].
#[derive(Component, Clone, Debug)]
pub struct ExtractedStyleImages {
    images: Vec<AssetId<Image>>,
    strength: f32,
}

impl SyncComponent for StyleImages {
    type Target = ExtractedStyleImages;
}

impl ExtractComponent for StyleImages {
    type QueryData = &'static StyleImages;
    type QueryFilter = ();
    type Out = ExtractedStyleImages;

    fn extract_component(images: &StyleImages) -> Option<ExtractedStyleImages> {
        Some(ExtractedStyleImages {
            images: images.images.iter().map(Handle::id).collect(),
            strength: finite_or(images.strength, 1.0).clamp(0.0, 1.0),
        })
    }
}

/// Adds the style vectors of the camera's images to the plans of
/// arbitrary-style views that run this frame, or holds them while an image
/// is being prepared (`StyleTransferSystems::Prepare`).
fn add_vectors(
    mut views: Query<(
        &ExtractedStyleTransfer,
        &ExtractedStyleImages,
        &mut FramePlan,
    )>,
    nets: Res<RenderAssets<GpuNet<StyleModel>>>,
    prepared: Res<PreparedStyleImages>,
    mut vectors: ResMut<StyleVectors>,
    burn: Option<Res<BurnDevice>>,
    frame: Res<FilterFrame>,
) {
    let Some(BurnDevice::Gpu(device)) = burn.as_deref() else {
        return;
    };
    for (settings, images, mut plan) in &mut views {
        let Some(StyleNet::Arbitrary(net)) =
            nets.get(settings.model).and_then(|n| n.net.as_deref())
        else {
            continue;
        };
        if !plan.runs() || images.images.is_empty() {
            continue;
        }
        let sources: Option<Vec<_>> = images
            .images
            .iter()
            .map(|id| prepared.0.get(id).map(|source| (*id, source)))
            .collect();
        let Some(sources) = sources else {
            plan.hold();
            continue;
        };
        let predicted = on_render_stream(|| {
            sources
                .into_iter()
                .map(|(id, source)| vectors.get((settings.model, id), source, net, device, frame.0))
                .collect()
        });
        plan.vectors = Some(PlanVectors {
            vectors: predicted,
            strength: images.strength,
        });
    }
}

/// Forgets style vectors not used for a while.
fn retire_vectors(mut vectors: ResMut<StyleVectors>, frame: Res<FilterFrame>) {
    vectors.retire(frame.0);
}

/// The style images of every camera's [`StyleImages`], prepared for the
/// predictor (see [`style_image_input`]), by image asset. Filled as images
/// load; an image that changes is prepared again.
#[derive(Resource, Clone, Default, ExtractResource)]
pub struct PreparedStyleImages(pub HashMap<AssetId<Image>, Arc<RgbaImage>>);

/// Preparations under way.
#[derive(Default)]
struct PendingStyleImages(HashMap<AssetId<Image>, Task<Result<RgbaImage, String>>>);

/// Starts preparing the style images cameras name once they are loaded,
/// collects finished ones, and forgets images that changed or went away.
fn prepare_style_images(
    cameras: Query<&StyleImages>,
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
    for handle in cameras.iter().flat_map(|camera| &camera.images) {
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

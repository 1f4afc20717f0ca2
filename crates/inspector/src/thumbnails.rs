//! Thumbnails of a model's styles for the style panel: a preview picture
//! stylized by every stored style, on a background task and the CPU
//! backend (so that the GPU's frame is not touched).

use bevy::asset::RenderAssetUsages;
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use bevy_egui::{EguiTextureHandle, EguiUserTextures, egui};
use image::DynamicImage;
use image::imageops::FilterType;

use bevy_gan_style_nn::StyleTransformer;
use bevy_gan_style_runtime::bridge::{image_to_tensor, tensor_to_image};
use bevy_gan_style_runtime::device::CpuBackend;
use bevy_gan_style_runtime::model::{CardModel, StyleModel, StyleWeights};
use bevy_gan_style_runtime::style_transfer::StyleTransfer;

/// Thumbnail size in pixels.
pub(crate) const THUMBNAIL: UVec2 = UVec2::new(96, 64);

/// The picture stylized for thumbnails (an asset path), if any.
#[derive(Resource, Default)]
pub(crate) struct PreviewPicture {
    pub path: Option<String>,
    pub handle: Option<Handle<Image>>,
}

/// One model's thumbnails.
pub(crate) enum ThumbnailSet {
    Stylizing(Task<Result<Vec<DynamicImage>, String>>),
    Ready(Vec<egui::TextureId>),
    Failed,
}

/// Thumbnails by style model.
#[derive(Resource, Default)]
pub(crate) struct Thumbnails(pub HashMap<AssetId<StyleModel>, ThumbnailSet>);

impl Thumbnails {
    /// The ready thumbnails of `model` (empty while they are made).
    pub fn of(&self, model: AssetId<StyleModel>) -> &[egui::TextureId] {
        match self.0.get(&model) {
            Some(ThumbnailSet::Ready(ids)) => ids,
            _ => &[],
        }
    }

    /// Whether thumbnails of `model` are being made.
    pub fn pending(&self, model: AssetId<StyleModel>) -> bool {
        matches!(self.0.get(&model), Some(ThumbnailSet::Stylizing(_)))
    }
}

/// Starts stylizing the preview picture for each camera's model once both
/// are loaded, and collects finished thumbnails.
pub(crate) fn update_thumbnails(
    mut preview: ResMut<PreviewPicture>,
    assets: Res<AssetServer>,
    cameras: Query<&StyleTransfer>,
    models: Res<Assets<StyleModel>>,
    mut images: ResMut<Assets<Image>>,
    mut textures: ResMut<EguiUserTextures>,
    mut thumbnails: ResMut<Thumbnails>,
) {
    if preview.handle.is_none()
        && let Some(path) = preview.path.clone()
    {
        preview.handle = Some(assets.load(path));
    }
    let picture = preview
        .handle
        .as_ref()
        .and_then(|handle| images.get(handle))
        .and_then(|image| image.clone().try_into_dynamic().ok());
    for camera in &cameras {
        let id = camera.model.id();
        let Some(model) = models.get(id) else {
            continue;
        };
        if thumbnails.0.contains_key(&id) || model.card().takes_style_image() {
            continue;
        }
        let Some(picture) = picture.clone() else {
            continue;
        };
        let model = model.clone();
        let task = AsyncComputeTaskPool::get().spawn(async move { stylize_all(&model, &picture) });
        thumbnails.0.insert(id, ThumbnailSet::Stylizing(task));
    }
    for set in thumbnails.0.values_mut() {
        let ThumbnailSet::Stylizing(task) = set else {
            continue;
        };
        let Some(result) = check_ready(task) else {
            continue;
        };
        *set = match result {
            Ok(pictures) => ThumbnailSet::Ready(
                pictures
                    .into_iter()
                    .map(|picture| {
                        let image = Image::from_dynamic(
                            picture,
                            true,
                            RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
                        );
                        textures.add_image(EguiTextureHandle::Strong(images.add(image)))
                    })
                    .collect(),
            ),
            Err(error) => {
                warn!("bevy_gan_style inspector: no thumbnails: {error}");
                ThumbnailSet::Failed
            }
        };
    }
}

/// `picture` stylized by each of `model`'s styles, at thumbnail size.
fn stylize_all(model: &StyleModel, picture: &DynamicImage) -> Result<Vec<DynamicImage>, String> {
    let device = Default::default();
    let net = model
        .build::<CpuBackend>(&device)
        .map_err(|e| e.to_string())?;
    let small = picture
        .resize_exact(THUMBNAIL.x, THUMBNAIL.y, FilterType::Triangle)
        .to_rgba8();
    let card = model.card();
    let input = image_to_tensor::<CpuBackend>(&small, card.input_range, &device);
    (0..model.num_styles())
        .map(|style| {
            let weights = model
                .style_tensor(&StyleWeights::single(style), &device)
                .map_err(|e| e.to_string())?;
            let output = net.forward(input.clone(), weights);
            Ok(DynamicImage::from(tensor_to_image(
                output,
                card.output_range,
            )))
        })
        .collect()
}

//! `NeuralTexture`: a Bevy `Image` filled by a texture model on the GPU.

use bevy::asset::RenderAssetUsages;
use bevy::image::{ImageAddressMode, ImageSampler, ImageSamplerDescriptor};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::sync_component::SyncComponent;

use super::generate::TextureParams;
use crate::model::{MAX_TEXTURE_SIDE, TextureModel, UpscaleModel};

/// Generates [`Self::image`] with a texture model on the render device when
/// the component is added or changed (seed, morph, size, …); with `animate`,
/// every frame, the periodic waves drifting at `speed`. Generation is queued
/// on the GPU before the frame that uses the image; nothing waits for it.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::texture::NeuralTexture;
/// fn setup(
///     mut commands: Commands,
///     assets: Res<AssetServer>,
///     mut images: ResMut<Assets<Image>>,
///     mut materials: ResMut<Assets<StandardMaterial>>,
/// ) {
///     let texture = NeuralTexture::new(
///         assets.load("textures/water_caustics.texture.ron"),
///         UVec2::splat(256),
///         &mut images,
///     );
///     let material = materials.add(StandardMaterial {
///         base_color_texture: Some(texture.image.clone()),
///         ..default()
///     });
///     commands.spawn(texture);
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component)]
pub struct NeuralTexture {
    /// The texture model (`*.texture.ron`).
    pub model: Handle<TextureModel>,
    /// Where the texture is written (see [`neural_texture_image`]); resized
    /// when `params.size` changes.
    pub image: Handle<Image>,
    /// Size, seed, morph and tiling.
    pub params: TextureParams,
    /// Regenerate every frame, advancing `params.phase_shift`.
    pub animate: bool,
    /// Phase drift when animating, radians per second.
    pub speed: f32,
}

impl NeuralTexture {
    /// A texture of `size` pixels from `model`, with a new image in `images`.
    pub fn new(model: Handle<TextureModel>, size: UVec2, images: &mut Assets<Image>) -> Self {
        Self {
            model,
            image: images.add(neural_texture_image(size)),
            params: TextureParams { size, ..default() },
            animate: false,
            speed: 0.6,
        }
    }
}

/// With a [`NeuralTexture`]: its generator runs at `1 / factor^passes` of
/// the texture's size and `passes` passes of an upscaling model (×`factor`
/// each) bring it to full size on the render device, in tiles where a
/// whole pass would exceed the device's storage-binding limit, wrapping
/// around the borders so that a tileable texture stays exactly tileable.
/// Textures larger than the generator fits on the device (e.g. 2048² on a
/// software rasteriser), or cheaper ones. Needs
/// [`NeuralUpscalePlugin`](crate::upscale::NeuralUpscalePlugin) (part of
/// `GanStylePlugin`).
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::texture::{NeuralTexture, NeuralTextureUpscale};
/// fn setup(mut commands: Commands, assets: Res<AssetServer>, mut images: ResMut<Assets<Image>>) {
///     // gravel generated at 512² and upscaled ×4 to 2048²
///     commands.spawn((
///         NeuralTexture::new(
///             assets.load("textures/gravel.texture.ron"),
///             UVec2::splat(2048),
///             &mut images,
///         ),
///         NeuralTextureUpscale {
///             model: assets.load("upscalers/photo_x2.upscale.ron"),
///             passes: 2,
///         },
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component)]
pub struct NeuralTextureUpscale {
    /// The upscaling model (`*.upscale.ron`).
    pub model: Handle<UpscaleModel>,
    /// How many times it runs (0: the generator makes the full size).
    pub passes: u32,
}

/// An image a [`NeuralTexture`] can write into: `Rgba8UnormSrgb`, sampled
/// with repeat addressing (so tiling shows), GPU-only; each side is kept
/// within 1 and [`MAX_TEXTURE_SIDE`].
pub fn neural_texture_image(size: UVec2) -> Image {
    let size = size.clamp(UVec2::ONE, UVec2::splat(MAX_TEXTURE_SIDE));
    let mut image = Image::new_fill(
        Extent3d {
            width: size.x,
            height: size.y,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[128, 128, 128, 255],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= TextureUsages::COPY_DST | TextureUsages::COPY_SRC;
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        ..ImageSamplerDescriptor::linear()
    });
    image
}

/// Render-world copy of a [`NeuralTexture`].
#[derive(Component, Clone, Debug)]
pub struct ExtractedNeuralTexture {
    /// The model.
    pub model: AssetId<TextureModel>,
    /// The target image.
    pub image: AssetId<Image>,
    /// What to generate.
    pub params: TextureParams,
    /// The upscaling model and passes of a [`NeuralTextureUpscale`].
    pub upscale: Option<(AssetId<UpscaleModel>, u32)>,
}

impl SyncComponent for NeuralTexture {
    type Target = ExtractedNeuralTexture;
}

impl ExtractComponent for NeuralTexture {
    type QueryData = (
        &'static NeuralTexture,
        Option<&'static NeuralTextureUpscale>,
    );
    type QueryFilter = ();
    type Out = ExtractedNeuralTexture;

    fn extract_component(
        (texture, upscale): (&NeuralTexture, Option<&NeuralTextureUpscale>),
    ) -> Option<ExtractedNeuralTexture> {
        Some(ExtractedNeuralTexture {
            model: texture.model.id(),
            image: texture.image.id(),
            params: texture.params,
            upscale: upscale
                .filter(|upscale| upscale.passes > 0)
                .map(|upscale| (upscale.model.id(), upscale.passes)),
        })
    }
}

/// Keeps each image the size its texture asks for, and advances animated
/// textures.
pub(crate) fn update_textures(
    time: Res<Time>,
    mut textures: Query<&mut NeuralTexture>,
    images: Option<ResMut<Assets<Image>>>,
) {
    // Apps without images (e.g. only loading models) have nothing to do.
    let Some(mut images) = images else {
        return;
    };
    for mut texture in &mut textures {
        if texture.animate {
            let step = texture.speed * time.delta_secs();
            texture.params.phase_shift =
                (texture.params.phase_shift + step) % std::f32::consts::TAU;
        }
        let size = texture.params.size;
        let resize = images
            .get(&texture.image)
            .is_none_or(|image| image.size() != size);
        if !resize || size.x == 0 || size.y == 0 {
            continue;
        }
        if size.max_element() > MAX_TEXTURE_SIDE {
            // The image would take gigabytes before any check could refuse it.
            warn_once!(
                "bevy_gan_style: neural texture of {}×{} skipped: at most {MAX_TEXTURE_SIDE} \
                 pixels on a side",
                size.x,
                size.y
            );
            continue;
        }
        let _ = images.insert(texture.image.id(), neural_texture_image(size));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_texture_size_over_the_limit_keeps_the_image_as_it_was() {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default()));
        app.init_asset::<Image>();
        app.add_systems(Update, update_textures);
        let mut images = app.world_mut().resource_mut::<Assets<Image>>();
        let texture = NeuralTexture::new(Handle::default(), UVec2::splat(64), &mut images);
        let image = texture.image.clone();
        let entity = app.world_mut().spawn(texture).id();
        app.update();
        for size in [
            UVec2::new(100_000, 64),
            UVec2::ZERO,
            UVec2::new(64, u32::MAX),
        ] {
            let mut texture = app
                .world_mut()
                .get_mut::<NeuralTexture>(entity)
                .expect("spawned");
            texture.params.size = size;
            app.update();
            let images = app.world().resource::<Assets<Image>>();
            let kept = images.get(&image).expect("image").size();
            assert_eq!(kept, UVec2::splat(64), "{size}");
        }
        assert_eq!(
            neural_texture_image(UVec2::new(0, 99_999)).size(),
            UVec2::new(1, 8192)
        );
    }
}

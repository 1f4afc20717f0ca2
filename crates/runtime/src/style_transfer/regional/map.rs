//! Regional styles on a camera: [`StyleMap`] paints a second style where a
//! map says, in the same network pass (the conditional norms' scale and
//! shift mixed per pixel). Mask images are read into per-pixel weights once
//! per change, in the main world, and uploaded once per change in the
//! render world.

use std::sync::Arc;

use bevy::core_pipeline::prepass::DepthPrepass;
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::extract_resource::ExtractResource;

use crate::model::StyleWeights;

/// Paints `style` where the map is 1 and the camera's
/// [`StyleTransfer::style`](crate::style_transfer::StyleTransfer::style) where it is 0,
/// blending in between, in one network pass. Goes on a
/// [`StyleTransfer`](crate::style_transfer::StyleTransfer) camera; works with every
/// style-conditioned model (for arbitrary-style models `style` indexes the
/// camera's `style_images`).
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         StyleTransfer {
///             model: assets.load("models/multistyle26.style.ron"),
///             style: StyleWeights::single(5),
///             ..default()
///         },
///         // Style 18 where the mask is white.
///         StyleMap {
///             style: StyleWeights::single(18),
///             source: StyleMapSource::Mask(assets.load("images/cat_face_mask.png")),
///         },
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component, Clone)]
pub struct StyleMap {
    /// The style painted where the map is 1.
    pub style: StyleWeights,
    /// Where the map comes from.
    pub source: StyleMapSource,
}

/// Where a [`StyleMap`]'s per-pixel weights come from.
#[derive(Reflect, Clone, Debug)]
pub enum StyleMapSource {
    /// A screen-space mask stretched over the view: its luminance, 0 (black)
    /// to 1 (white). Any image format with CPU-side pixels (loaded images
    /// have them); editing the image updates the map.
    Mask(Handle<Image>),
    /// By distance from the camera: the map's style beyond the band, the
    /// camera's own nearer (made each run from the depth prepass, which the
    /// camera gets).
    DepthBand(DepthBand),
}

impl StyleMapSource {
    /// `true` for sources made from the camera's depth prepass.
    pub fn needs_depth(&self) -> bool {
        matches!(self, Self::DepthBand(_))
    }
}

/// A soft edge between near and far, in world units of distance from the
/// camera: weight 0 nearer than `distance − softness / 2`, 1 beyond
/// `distance + softness / 2`, a smooth step between. The sky (nothing
/// rendered) is beyond every band.
///
/// ```
/// use bevy_gan_style_runtime::prelude::*;
/// // Style 18 from 20 m on, fading in over 10 m.
/// let map = StyleMap {
///     style: StyleWeights::single(18),
///     source: StyleMapSource::DepthBand(DepthBand { distance: 20.0, softness: 10.0 }),
/// };
/// assert!(map.source.needs_depth());
/// ```
#[derive(Reflect, Clone, Copy, Debug, PartialEq)]
pub struct DepthBand {
    /// Where the two styles are mixed half and half.
    pub distance: f32,
    /// Width of the transition (0: a hard edge).
    pub softness: f32,
}

impl DepthBand {
    /// The band's near and far ends.
    pub fn ends(&self) -> (f32, f32) {
        let half = self.softness.max(0.0) / 2.0;
        (self.distance - half, self.distance + half)
    }
}

/// Gives cameras whose style map is made from depth a depth prepass.
pub(crate) fn add_depth_prepass(
    add: On<Insert, StyleMap>,
    maps: Query<&StyleMap>,
    mut commands: Commands,
) {
    if maps
        .get(add.entity)
        .is_ok_and(|map| map.source.needs_depth())
    {
        commands
            .entity(add.entity)
            .insert((DepthPrepass, Msaa::Off));
    }
}

/// A mask's weights, row-major, in `[0, 1]`.
#[derive(Debug)]
pub struct MaskPixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height` weights.
    pub values: Vec<f32>,
}

/// The mask images of every [`StyleMap`], read into weights, by image
/// asset; an image that changes is read again.
#[derive(Resource, Clone, Default, ExtractResource)]
pub struct PreparedStyleMasks(pub HashMap<AssetId<Image>, Arc<MaskPixels>>);

/// Reads the masks that cameras name once they are loaded, and forgets
/// masks that changed or went away.
pub(crate) fn prepare_style_masks(
    maps: Query<&StyleMap>,
    images: Res<Assets<Image>>,
    mut events: MessageReader<AssetEvent<Image>>,
    mut prepared: ResMut<PreparedStyleMasks>,
) {
    for event in events.read() {
        if let AssetEvent::Modified { id } | AssetEvent::Removed { id } = event
            && prepared.bypass_change_detection().0.contains_key(id)
        {
            prepared.0.remove(id);
        }
    }
    for map in &maps {
        let StyleMapSource::Mask(handle) = &map.source else {
            continue;
        };
        let id = handle.id();
        if prepared.bypass_change_detection().0.contains_key(&id) {
            continue;
        }
        let Some(image) = images.get(id) else {
            continue;
        };
        match mask_pixels(image) {
            Ok(pixels) => {
                prepared.0.insert(id, Arc::new(pixels));
            }
            Err(error) => warn_once!("bevy_gan_style: cannot use a style mask: {error}"),
        }
    }
}

/// The luminance of `image` as weights in `[0, 1]`.
fn mask_pixels(image: &Image) -> Result<MaskPixels, String> {
    if image.data.is_none() {
        return Err(
            "the image has no CPU-side pixels (its asset usage is RENDER_WORLD only)".into(),
        );
    }
    let luma = image
        .clone()
        .try_into_dynamic()
        .map_err(|error| error.to_string())?
        .to_luma32f();
    Ok(MaskPixels {
        width: luma.width(),
        height: luma.height(),
        values: luma.into_raw(),
    })
}

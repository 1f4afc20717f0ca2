//! Texture models as Bevy assets, and generating images with them.

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use burn::prelude::*;
use image::{Rgb, RgbImage};

use super::TextureModelCard;
use crate::model::{CardModel, ModelError};
use crate::nn::{PsganGenerator, PsganLatent, load_safetensors};

/// A texture model: its card and validated generator weights. Load it with
/// the asset server (`textures/<name>.texture.ron`) or with
/// [`CardModel::load_file`].
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style::texture::TextureModel;
/// fn setup(assets: Res<AssetServer>) {
///     let model: Handle<TextureModel> = assets.load("textures/water_caustics.texture.ron");
/// }
/// ```
#[derive(Asset, TypePath, Debug, Clone)]
pub struct TextureModel {
    card: TextureModelCard,
    weights: Arc<Vec<u8>>,
}

impl CardModel for TextureModel {
    type Card = TextureModelCard;
    const EXTENSION: &'static str = "texture.ron";
    type Net<B: Backend> = PsganGenerator<B>;

    fn weights_file(card: &TextureModelCard) -> &str {
        &card.weights
    }

    fn from_parts(
        card: TextureModelCard,
        weights: Vec<u8>,
        card_path: &Path,
    ) -> Result<Self, ModelError> {
        let config = &card.generator;
        if config.channels.is_empty() || config.channels.len() > 8 {
            return Err(ModelError::Invalid {
                path: card_path.to_path_buf(),
                message: "`generator.channels` must list 1 to 8 stages".into(),
            });
        }
        let weights_file = card.weights.clone();
        Self {
            card,
            weights: Arc::new(weights),
        }
        .validated(card_path, &weights_file)
    }

    fn build<B: Backend>(&self, device: &B::Device) -> Result<PsganGenerator<B>, ModelError> {
        load_safetensors(
            self.card.generator.init::<B>(device),
            self.weights.as_ref().clone(),
        )
        .map_err(|source| ModelError::Weights {
            path: self.card.weights.clone().into(),
            source,
        })
    }

    fn name(&self) -> &str {
        &self.card.name
    }

    fn largest_activation(&self, width: u32, height: u32) -> usize {
        self.card
            .generator
            .largest_activation(width as usize, height as usize)
    }
}

impl TextureModel {
    /// The model's card.
    pub fn card(&self) -> &TextureModelCard {
        &self.card
    }

    /// Latent cells for a `width × height` image, or why that size cannot be
    /// generated (both sides must be positive multiples of the generator's
    /// cell).
    pub fn latent_size(&self, width: u32, height: u32) -> Result<(usize, usize), ModelError> {
        let config = &self.card.generator;
        match (
            config.latent_size(width as usize),
            config.latent_size(height as usize),
        ) {
            (Some(w), Some(h)) => Ok((w, h)),
            _ => Err(ModelError::ImageSize {
                width,
                height,
                reason: format!("both sides must be multiples of {}", config.scale()),
            }),
        }
    }
}

/// What to generate: size, seed, morph and tiling.
#[derive(Debug, Clone, Copy, PartialEq, Reflect)]
pub struct TextureParams {
    /// Width and height in pixels (multiples of the model's cell).
    pub size: UVec2,
    /// Seed of the latent field: same seed, same texture.
    pub seed: u64,
    /// Second seed whose global code the texture morphs towards.
    pub morph_seed: u64,
    /// 0 = the texture of `seed`, 1 = the character of `morph_seed` (with
    /// `seed`'s layout).
    pub morph: f32,
    /// Exactly periodic output that tiles without a seam: the periodic
    /// waves' frequencies are rounded to whole periods over the image. Off,
    /// they keep their learned values (the texture's natural scale) and the
    /// image repeats only approximately at its borders.
    pub tileable: bool,
    /// Animation phase (radians): added to the periodic waves' phases, and
    /// swaying the global code a little towards `morph_seed` and back over
    /// each turn, so that textures without waves (clouds) move too.
    pub phase_shift: f32,
}

impl Default for TextureParams {
    fn default() -> Self {
        Self {
            size: UVec2::splat(256),
            seed: 0,
            morph_seed: 1,
            morph: 0.0,
            tileable: true,
            phase_shift: 0.0,
        }
    }
}

/// Runs `generator` of `model` for `params`: `[1, 3, H, W]` in `[-1, 1]`.
///
/// ```
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::nn::PsganConfig;
/// use bevy_gan_style::texture::{TextureParams, generate};
/// let config = PsganConfig::new(vec![8, 8]);
/// let generator = config.init::<CpuBackend>(&Default::default());
/// let params = TextureParams { size: bevy::math::UVec2::new(12, 8), ..Default::default() };
/// assert_eq!(generate(&generator, &config, &params).dims(), [1, 3, 8, 12]);
/// ```
pub fn generate<B: Backend>(
    generator: &PsganGenerator<B>,
    config: &crate::nn::PsganConfig,
    params: &TextureParams,
) -> Tensor<B, 4> {
    let device = generator.to_rgb.w.device();
    let (w, h) = (
        params.size.x as usize / config.scale(),
        params.size.y as usize / config.scale(),
    );
    let sway = 0.15 * (1.0 - params.phase_shift.cos());
    let mut latent = PsganLatent::<B>::morph(
        config,
        &[params.seed],
        &[params.morph_seed],
        (params.morph + sway).clamp(0.0, 1.0),
        h.max(1),
        w.max(1),
        &device,
    );
    if params.phase_shift != 0.0 {
        latent.phase = latent.phase.add_scalar(params.phase_shift);
    }
    generator.forward(&latent, params.tileable)
}

/// A generated `[1, 3, H, W]` tensor (values in `[-1, 1]`) as an 8-bit
/// image; reads the tensor back to the host.
pub fn to_rgb_image<B: Backend>(x: Tensor<B, 4>) -> RgbImage {
    let [_, _, h, w] = x.dims();
    let values: Vec<f32> = x.into_data().convert::<f32>().to_vec().unwrap_or_default();
    let plane = h * w;
    RgbImage::from_fn(w as u32, h as u32, |x, y| {
        let i = y as usize * w + x as usize;
        let v = |c: usize| {
            let v = values.get(c * plane + i).copied().unwrap_or(0.0);
            ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8
        };
        Rgb([v(0), v(1), v(2)])
    })
}

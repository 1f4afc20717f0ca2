//! Texture models as Bevy assets: a RON card and the weights of a
//! [`PsganGenerator`].

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use burn::prelude::*;

use super::error::ModelError;
use super::loader::{CardModel, CardModelLoader};
use super::texture_card::TextureModelCard;
use crate::device::GpuBackend;
use bevy_gan_style_nn::{PsganGenerator, PsganLatent, load_safetensors};
use burn::backend::wgpu::WgpuDevice;

/// The largest side of a generated texture (wgpu's default limit on a 2D
/// texture's side).
pub const MAX_TEXTURE_SIDE: u32 = 8192;

/// The asset loader of texture models (`*.texture.ron`).
pub type TextureModelLoader = CardModelLoader<TextureModel>;

/// A texture model: its card and validated generator weights. Load it with
/// the asset server (`textures/<name>.texture.ron`) or with
/// [`CardModel::load_file`].
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::model::TextureModel;
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

    /// One small tileable texture (a 2 × 2 latent field; textures are made
    /// on demand, so no size is warmed up on its own).
    fn warm_up(&self, net: &PsganGenerator<GpuBackend>, device: &WgpuDevice, _: Option<UVec2>) {
        let latent = PsganLatent::sample(&self.card.generator, &[0], 2, 2, device);
        // Reading the result back waits for the GPU.
        drop(net.forward(&latent, true).into_data());
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
        if width.max(height) > MAX_TEXTURE_SIDE {
            return Err(ModelError::ImageSize {
                width,
                height,
                reason: format!("textures are at most {MAX_TEXTURE_SIDE} pixels on a side"),
            });
        }
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

    /// The size the generator runs at for a `width × height` texture that
    /// `passes` upscaling passes of ×`factor` bring to full size, or why
    /// that cannot be (the sides must be multiples of `factor^passes` times
    /// the generator's cell).
    ///
    /// ```
    /// # use bevy_gan_style_runtime::model::{CardModel, TextureModel};
    /// # let root = env!("CARGO_MANIFEST_DIR");
    /// let model = TextureModel::load_file(format!("{root}/../../assets/textures/gravel.texture.ron"))?;
    /// assert_eq!(model.generated_size(2048, 1024, 2, 2)?, (512, 256));
    /// assert!(model.generated_size(2040, 1024, 2, 2).is_err());
    /// # Ok::<(), bevy_gan_style_runtime::model::ModelError>(())
    /// ```
    pub fn generated_size(
        &self,
        width: u32,
        height: u32,
        factor: u32,
        passes: u32,
    ) -> Result<(u32, u32), ModelError> {
        if width.max(height) > MAX_TEXTURE_SIDE {
            return Err(ModelError::ImageSize {
                width,
                height,
                reason: format!("textures are at most {MAX_TEXTURE_SIDE} pixels on a side"),
            });
        }
        let cell = self.card.generator.scale() as u32;
        let fits = |scale: &u32| {
            scale.checked_mul(cell).is_some_and(|step| {
                step > 0
                    && width > 0
                    && height > 0
                    && width.is_multiple_of(step)
                    && height.is_multiple_of(step)
            })
        };
        let Some(scale) = factor.checked_pow(passes).filter(fits) else {
            return Err(ModelError::ImageSize {
                width,
                height,
                reason: format!(
                    "{passes} upscaling passes of ×{factor}: both sides must be positive \
                     multiples of {factor}^{passes} × {cell}"
                ),
            });
        };
        let (w, h) = (width / scale, height / scale);
        Ok((w, h))
    }
}

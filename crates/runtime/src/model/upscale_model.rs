//! Upscaling models as Bevy assets: a RON card and the weights of an
//! [`Upscaler`].

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use burn::prelude::*;

use super::error::ModelError;
use super::loader::{CardModel, CardModelLoader};
use super::upscale_card::UpscaleModelCard;
use crate::device::GpuBackend;
use bevy_gan_style_nn::{UpscaleBase, Upscaler, load_safetensors};
use burn::backend::wgpu::WgpuDevice;

/// The asset loader of upscaling models (`*.upscale.ron`).
pub type UpscaleModelLoader = CardModelLoader<UpscaleModel>;

/// An upscaling model: its card and validated network weights. Load it
/// with the asset server (`upscalers/<name>.upscale.ron`) or with
/// [`CardModel::load_file`].
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::model::UpscaleModel;
/// fn setup(assets: Res<AssetServer>) {
///     let model: Handle<UpscaleModel> = assets.load("upscalers/photo_x2.upscale.ron");
/// }
/// ```
#[derive(Asset, TypePath, Debug, Clone)]
pub struct UpscaleModel {
    card: UpscaleModelCard,
    weights: Arc<Vec<u8>>,
}

impl CardModel for UpscaleModel {
    type Card = UpscaleModelCard;
    const EXTENSION: &'static str = "upscale.ron";
    type Net<B: Backend> = Upscaler<B>;

    fn weights_file(card: &UpscaleModelCard) -> &str {
        &card.weights
    }

    fn from_parts(
        card: UpscaleModelCard,
        weights: Vec<u8>,
        card_path: &Path,
    ) -> Result<Self, ModelError> {
        let network = &card.network;
        let invalid = |message: &str| ModelError::Invalid {
            path: card_path.to_path_buf(),
            message: message.into(),
        };
        if !matches!(network.factor, 2 | 4) {
            return Err(invalid("`network.factor` must be 2 or 4"));
        }
        if !(1..=256).contains(&network.channels) || network.blocks > 32 {
            return Err(invalid(
                "`network.channels` must be 1 to 256 and `network.blocks` at most 32",
            ));
        }
        if !matches!(network.guide, None | Some(3)) {
            return Err(invalid(
                "`network.guide` must be 3 (the RGB frame) or left out",
            ));
        }
        if network.base == Some(UpscaleBase::Guide) && network.guide != Some(3) {
            return Err(invalid(
                "`network.base: Some(Guide)` adds the detail to a guide picture: set `network.guide: Some(3)`",
            ));
        }
        if card.guide_style.is_some() && network.guide.is_none() {
            return Err(invalid(
                "`guide_style` names the guide of a guided network: set `network.guide: Some(3)`",
            ));
        }
        let weights_file = card.weights.clone();
        Self {
            card,
            weights: Arc::new(weights),
        }
        .validated(card_path, &weights_file)
    }

    fn build<B: Backend>(&self, device: &B::Device) -> Result<Upscaler<B>, ModelError> {
        load_safetensors(
            self.card.network.init::<B>(device),
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

    /// One upscaling of a blank image, small or of `size`.
    fn warm_up(&self, net: &Upscaler<GpuBackend>, device: &WgpuDevice, size: Option<UVec2>) {
        let size = size.unwrap_or(UVec2::splat(32));
        let image = Tensor::zeros([1, 3, size.y as usize, size.x as usize], device);
        // Reading the result back waits for the GPU.
        drop(net.forward(image).into_data());
    }

    fn largest_activation(&self, width: u32, height: u32) -> usize {
        self.card
            .network
            .largest_activation(width as usize, height as usize)
    }
}

impl UpscaleModel {
    /// The model's card.
    pub fn card(&self) -> &UpscaleModelCard {
        &self.card
    }

    /// Whether the network reads the full-size frame beside its input
    /// ([`UpscalerConfig::guide`](bevy_gan_style_nn::UpscalerConfig::guide)):
    /// a style-aware upscaler for [`StyleUpscale`](crate::style_transfer::StyleUpscale),
    /// where that frame exists. Elsewhere (a camera's low-resolution main
    /// pass, a texture) there is none, and such a model is refused.
    ///
    /// ```
    /// # use bevy_gan_style_runtime::model::{CardModel, UpscaleModel};
    /// # let root = env!("CARGO_MANIFEST_DIR");
    /// let model = UpscaleModel::load_file(format!("{root}/../../assets/upscalers/photo_x2.upscale.ron"))?;
    /// assert!(!model.guided());
    /// # Ok::<(), bevy_gan_style_runtime::model::ModelError>(())
    /// ```
    pub fn guided(&self) -> bool {
        self.card.network.guide.is_some()
    }

    /// The model, when it needs no guide; [`ModelError::NeedsGuide`]
    /// otherwise (for uses without a full-size frame).
    pub fn unguided(&self) -> Result<&Self, ModelError> {
        match self.guided() {
            true => Err(ModelError::NeedsGuide {
                name: self.card.name.clone(),
            }),
            false => Ok(self),
        }
    }

    /// How many times larger one pass makes an image on each side.
    pub fn factor(&self) -> u32 {
        self.card.network.factor as u32
    }

    /// How many passes make an image `scale` times larger on each side: 1
    /// for the model's factor, 2 for its square, `None` otherwise.
    ///
    /// ```
    /// # use bevy_gan_style_runtime::model::{CardModel, UpscaleModel};
    /// # let root = env!("CARGO_MANIFEST_DIR");
    /// let model = UpscaleModel::load_file(format!("{root}/../../assets/upscalers/photo_x2.upscale.ron"))?;
    /// assert_eq!((model.passes_for(2), model.passes_for(4), model.passes_for(3)), (Some(1), Some(2), None));
    /// # Ok::<(), bevy_gan_style_runtime::model::ModelError>(())
    /// ```
    pub fn passes_for(&self, scale: u32) -> Option<u32> {
        let factor = self.factor();
        match scale {
            s if s == factor => Some(1),
            s if Some(s) == factor.checked_mul(factor) => Some(2),
            _ => None,
        }
    }
}

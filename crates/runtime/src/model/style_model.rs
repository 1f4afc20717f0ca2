//! Style models as Bevy assets: a RON card and the weights of one of the
//! style architectures.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bevy::prelude::*;
use burn::prelude::*;

use super::error::ModelError;
use super::loader::{CardModel, CardModelLoader};
use super::net::StyleNet;
use super::style_card::{StyleArchitecture, StyleModelCard};
use super::style_codes::StyleCodes;
use super::style_image::STYLE_IMAGE_SIZE;
use super::style_weights::{StyleError, StyleWeights};
use crate::device::GpuBackend;
use bevy_gan_style_nn::{
    StyleTransformer, import_arbitrary_weights, import_ml5_weights, load_safetensors,
};
use burn::backend::wgpu::WgpuDevice;

/// The asset loader of style models (`*.style.ron`).
pub type StyleModelLoader = CardModelLoader<StyleModel>;

/// A style model: its card and validated weights. Load it with the asset
/// server (`*.style.ron`) or, in tools, with [`StyleModel::load_file`], then
/// [`build`](CardModel::build) its network on a burn device.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(assets: Res<AssetServer>) {
///     let model: Handle<StyleModel> = assets.load("models/multistyle26.style.ron");
/// }
/// ```
#[derive(Asset, TypePath, Debug, Clone)]
pub struct StyleModel {
    card: StyleModelCard,
    weights: Arc<Vec<u8>>,
}

impl CardModel for StyleModel {
    type Card = StyleModelCard;
    const EXTENSION: &'static str = "style.ron";

    type Net<B: Backend> = StyleNet<B>;

    fn weights_file(card: &StyleModelCard) -> &str {
        &card.weights
    }

    fn build<B: Backend>(&self, device: &B::Device) -> Result<StyleNet<B>, ModelError> {
        let bad = |source| ModelError::Weights {
            path: PathBuf::from(&self.card.weights),
            source,
        };
        let weights = self.weights.as_ref().clone();
        Ok(match &self.card.architecture {
            StyleArchitecture::MultiStyle(config) => StyleNet::MultiStyle(
                load_safetensors(config.init::<B>(device), weights).map_err(bad)?,
            ),
            StyleArchitecture::Johnson(config) => {
                let weights = import_ml5_weights(weights).map_err(bad)?;
                StyleNet::Johnson(Box::new(
                    load_safetensors(config.init::<B>(device), weights).map_err(bad)?,
                ))
            }
            StyleArchitecture::Arbitrary(config) => {
                let weights = import_arbitrary_weights(&weights).map_err(bad)?;
                StyleNet::Arbitrary(Box::new(
                    load_safetensors(config.init::<B>(device), weights).map_err(bad)?,
                ))
            }
        })
    }

    fn name(&self) -> &str {
        &self.card.name
    }

    /// One stylization of a blank image in f32, small or of `size`;
    /// arbitrary-style models also predict once from a blank style image,
    /// so that the first real style image (picked mid-game) does not wait
    /// for the predictor's shaders.
    fn warm_up(&self, net: &StyleNet<GpuBackend>, device: &WgpuDevice, size: Option<UVec2>) {
        let multiple = self.card.size_multiple();
        let small = self
            .card
            .min_input_size()
            .max(32)
            .next_multiple_of(multiple) as u32;
        let size = size.unwrap_or(UVec2::splat(small));
        let style = match net {
            StyleNet::Arbitrary(net) => {
                let size = STYLE_IMAGE_SIZE as usize;
                net.predict(Tensor::zeros([1, 3, size, size], device))
            }
            _ => Tensor::zeros([1, self.card.num_styles().max(1)], device),
        };
        let image = Tensor::zeros([1, 3, size.y as usize, size.x as usize], device);
        // Reading the result back waits for the GPU.
        drop(net.forward(image, style).into_data());
    }

    fn largest_activation(&self, width: u32, height: u32) -> usize {
        match &self.card.architecture {
            StyleArchitecture::MultiStyle(config) => {
                config.largest_activation(width as usize, height as usize)
            }
            StyleArchitecture::Johnson(config) => {
                config.largest_activation(width as usize, height as usize)
            }
            StyleArchitecture::Arbitrary(config) => {
                config.largest_activation(width as usize, height as usize)
            }
        }
    }

    fn from_parts(
        card: StyleModelCard,
        weights: Vec<u8>,
        card_path: &Path,
    ) -> Result<Self, ModelError> {
        let invalid = |message: String| ModelError::Invalid {
            path: card_path.to_path_buf(),
            message,
        };
        let num_styles = card.num_styles();
        if num_styles == 0 && !card.takes_style_image() {
            return Err(invalid(
                "the architecture must hold at least one style".into(),
            ));
        }
        if !card.styles.is_empty() && card.styles.len() != num_styles {
            return Err(invalid(format!(
                "`styles` names {} styles but the architecture holds {num_styles}",
                card.styles.len()
            )));
        }
        for (field, (lo, hi)) in [
            ("input_range", card.input_range),
            ("output_range", card.output_range),
        ] {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(invalid(format!(
                    "`{field}` must be (low, high) with low < high"
                )));
            }
        }
        if let StyleArchitecture::MultiStyle(config) = &card.architecture {
            config.conv_shape().check().map_err(invalid)?;
        }
        // Blocks are built before the weights are matched to them.
        let blocks = match &card.architecture {
            StyleArchitecture::MultiStyle(config) => config.residual_blocks,
            StyleArchitecture::Johnson(config) => config.residual_blocks,
            StyleArchitecture::Arbitrary(config) => config.residual_blocks,
        };
        if blocks > MAX_RESIDUAL_BLOCKS {
            return Err(invalid(format!(
                "`residual_blocks` is {blocks}, at most {MAX_RESIDUAL_BLOCKS} are supported"
            )));
        }
        let weights_file = card.weights.clone();
        Self {
            card,
            weights: Arc::new(weights),
        }
        .validated(card_path, &weights_file)
    }
}

/// The most residual blocks a style card may declare (the shipped models
/// have 2 to 6).
pub const MAX_RESIDUAL_BLOCKS: usize = 64;

impl StyleModel {
    /// The model's card.
    pub fn card(&self) -> &StyleModelCard {
        &self.card
    }

    /// The conditional-norm codes of the model's stored styles (see
    /// [`StyleCodes`]); `None` for networks without
    /// (single-style and arbitrary-style ones).
    pub fn style_codes(&self) -> Option<StyleCodes> {
        StyleCodes::from_safetensors(&self.weights)
    }

    /// Number of styles the model holds.
    pub fn num_styles(&self) -> usize {
        self.card.num_styles()
    }

    /// Dense `[1, num_styles]` style tensor for `style`. Arbitrary-style
    /// models take a [`StyleVector`](super::StyleVector) instead.
    pub fn style_tensor<B: Backend>(
        &self,
        style: &StyleWeights,
        device: &B::Device,
    ) -> Result<Tensor<B, 2>, ModelError> {
        if self.card.takes_style_image() {
            return Err(StyleError::NeedsStyleImage.into());
        }
        let dense = style.to_dense(self.num_styles())?;
        Ok(Tensor::<B, 1>::from_floats(dense.as_slice(), device).reshape([1, self.num_styles()]))
    }

    /// Checks that an image of `width × height` can go through the network.
    pub fn check_size(&self, width: u32, height: u32) -> Result<(), ModelError> {
        let (min, multiple) = (self.card.min_input_size(), self.card.size_multiple());
        let error = |reason: String| ModelError::ImageSize {
            width,
            height,
            reason,
        };
        if (width as usize) < min || (height as usize) < min {
            return Err(error(format!("both sides must be at least {min} pixels")));
        }
        if !(width as usize).is_multiple_of(multiple) || !(height as usize).is_multiple_of(multiple)
        {
            return Err(error(format!("both sides must be multiples of {multiple}")));
        }
        Ok(())
    }
}

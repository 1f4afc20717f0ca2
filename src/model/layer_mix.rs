//! Steering where a style applies: layer-wise mixing (a style per part of
//! the network) and a second style painted where a mask says.

use bevy::reflect::Reflect;
use burn::prelude::*;

use super::style_weights::StyleWeights;
use crate::nn::{LayerStyles, StyleCondition, two_style_map};

/// Separate styles for the parts of a style network: the encoder carries
/// coarse structure and colour layout, the decoder brush strokes and fine
/// texture. `None` takes the main style.
///
/// ```
/// use bevy_gan_style::prelude::*;
/// // Shapes of style 5, strokes of style 18.
/// let mix = LayerMix {
///     decoder: Some(StyleWeights::single(18)),
///     ..Default::default()
/// };
/// assert_eq!(mix.decoder_or(&StyleWeights::single(5)), &StyleWeights::single(18));
/// assert_eq!(mix.encoder_or(&StyleWeights::single(5)), &StyleWeights::single(5));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Reflect)]
pub struct LayerMix {
    /// The contracting convolutions.
    pub encoder: Option<StyleWeights>,
    /// The residual blocks.
    pub residual: Option<StyleWeights>,
    /// The expanding convolutions.
    pub decoder: Option<StyleWeights>,
}

impl LayerMix {
    /// The encoder's style, `main` unless set.
    pub fn encoder_or<'a>(&'a self, main: &'a StyleWeights) -> &'a StyleWeights {
        self.encoder.as_ref().unwrap_or(main)
    }

    /// The residual blocks' style, `main` unless set.
    pub fn residual_or<'a>(&'a self, main: &'a StyleWeights) -> &'a StyleWeights {
        self.residual.as_ref().unwrap_or(main)
    }

    /// The decoder's style, `main` unless set.
    pub fn decoder_or<'a>(&'a self, main: &'a StyleWeights) -> &'a StyleWeights {
        self.decoder.as_ref().unwrap_or(main)
    }

    /// `true` when every part takes the main style.
    pub fn is_uniform(&self) -> bool {
        self.encoder.is_none() && self.residual.is_none() && self.decoder.is_none()
    }

    /// The network's conditions: per part, the style row `row` makes of its
    /// weights (a blend for models that hold styles, a blended style vector
    /// for arbitrary-style models); with `region`, that style where the
    /// mask (`[1, 1, H, W]` in `[0, 1]`) is 0 and the region's style where
    /// it is 1, blended between.
    pub fn layer_styles<B: Backend, E>(
        &self,
        main: &StyleWeights,
        region: Option<(&StyleWeights, Tensor<B, 4>)>,
        mut row: impl FnMut(&StyleWeights) -> Result<Tensor<B, 2>, E>,
    ) -> Result<LayerStyles<B>, E> {
        // One map for the three parts.
        let region = match region {
            Some((weights, mask)) => Some((row(weights)?, two_style_map(mask))),
            None => None,
        };
        let mut condition = |weights: &StyleWeights| -> Result<StyleCondition<B>, E> {
            let a = row(weights)?;
            Ok(match &region {
                Some((b, map)) => StyleCondition::two_with_map(a, b.clone(), map.clone()),
                None => StyleCondition::Global(a),
            })
        };
        Ok(LayerStyles {
            encoder: condition(self.encoder_or(main))?,
            residual: condition(self.residual_or(main))?,
            decoder: condition(self.decoder_or(main))?,
        })
    }
}

//! Steering where a style applies: layer-wise mixing (a style per part of
//! the network) and a second style painted where a mask says.

use bevy::reflect::Reflect;
use burn::prelude::*;

use super::style_weights::StyleWeights;
use bevy_gan_style_nn::{LayerStyles, StyleCondition, two_style_map};

/// Separate styles for the parts of a style network: the encoder carries
/// coarse structure and colour layout, the decoder brush strokes and fine
/// texture. `None` takes the main style.
///
/// ```
/// use bevy_gan_style_runtime::prelude::*;
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
    /// for arbitrary-style models), and with `map` the map's other styles
    /// mixed in per pixel.
    pub fn layer_styles<B: Backend, E>(
        &self,
        main: &StyleWeights,
        map: Option<MapStyles<'_, B>>,
        mut row: impl FnMut(&StyleWeights) -> Result<Tensor<B, 2>, E>,
    ) -> Result<LayerStyles<B>, E> {
        // The map's other rows, made once for the three parts.
        let map = match map {
            Some(map) => {
                let rows = map
                    .styles
                    .iter()
                    .map(|weights| row(weights))
                    .collect::<Result<Vec<_>, E>>()?;
                Some((rows, map.map))
            }
            None => None,
        };
        let mut condition = |weights: &StyleWeights| -> Result<StyleCondition<B>, E> {
            let own = row(weights)?;
            Ok(match &map {
                Some((others, map)) => StyleCondition::Map {
                    styles: Tensor::cat([vec![own], others.clone()].concat(), 0),
                    map: map.clone(),
                },
                None => StyleCondition::Global(own),
            })
        };
        Ok(LayerStyles {
            encoder: condition(self.encoder_or(main))?,
            residual: condition(self.residual_or(main))?,
            decoder: condition(self.decoder_or(main))?,
        })
    }
}

/// Styles painted where a map says, besides each part's own style.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::prelude::*;
/// let mask = Tensor::<CpuBackend, 4>::ones([1, 1, 4, 4], &Default::default());
/// let b = StyleWeights::single(18);
/// // Style 18 where the mask is 1: two channels, the part's own and 18.
/// let map = MapStyles::mask(&b, mask);
/// assert_eq!(map.map.dims(), [1, 2, 4, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct MapStyles<'a, B: Backend> {
    /// The styles of the map's channels 1.. (channel 0 is each part's own).
    pub styles: Vec<&'a StyleWeights>,
    /// `[1, 1 + styles.len(), H, W]` weights, any size, summing to 1 per
    /// pixel.
    pub map: Tensor<B, 4>,
}

impl<'a, B: Backend> MapStyles<'a, B> {
    /// `style` where `mask` (`[1, 1, H, W]` in `[0, 1]`) is 1, each part's
    /// own where it is 0, blended between.
    pub fn mask(style: &'a StyleWeights, mask: Tensor<B, 4>) -> Self {
        Self {
            styles: vec![style],
            map: two_style_map(mask),
        }
    }
}

//! The RON card that describes a style model: architecture, weights, ranges.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use bevy_gan_style_nn::{
    ArbitraryStyleConfig, ColorPreservation, JohnsonConfig, MultiStyleConfig, preserve_color,
};

/// Network architecture of a style model, with its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StyleArchitecture {
    /// Conditional-instance-norm multi-style transformer ([`bevy_gan_style_nn::MultiStyleNet`]).
    MultiStyle(MultiStyleConfig),
    /// Johnson et al.'s single-style transformer ([`bevy_gan_style_nn::JohnsonNet`]),
    /// e.g. the ml5 models; weights in its own names or as the TensorFlow
    /// checkpoint variables (`Variable`, `Variable_1`, …).
    Johnson(JohnsonConfig),
    /// Magenta's arbitrary-style network ([`bevy_gan_style_nn::ArbitraryStyleNet`]):
    /// the style comes from any image, through a predicted style vector.
    /// Weights in Magenta's names (see [`bevy_gan_style_nn::import_arbitrary_weights`]).
    Arbitrary(ArbitraryStyleConfig),
}

/// Contents of a `*.style.ron` card. Unknown fields are rejected so that a
/// typo is an error rather than a silently ignored setting.
///
/// ```
/// use bevy_gan_style_runtime::model::StyleModelCard;
/// let card: StyleModelCard = ron::from_str(r#"(
///     name: "tiny",
///     architecture: MultiStyle((num_styles: 2, contract: (8, 8, 8), residual_blocks: 1,
///                               expand: (8, 8), epsilon: 1e-5)),
///     weights: "tiny.safetensors",
///     input_range: (0.0, 1.0),
///     output_range: (0.0, 1.0),
/// )"#).unwrap();
/// assert_eq!(card.num_styles(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleModelCard {
    /// Short name shown in tools and panels.
    pub name: String,
    /// One line on what the model is and where its weights come from.
    #[serde(default)]
    pub description: String,
    /// Architecture and its configuration.
    pub architecture: StyleArchitecture,
    /// Weights file (safetensors), relative to the card.
    pub weights: String,
    /// Value range of the network's RGB input: images in `[0, 1]` are mapped
    /// linearly onto it.
    pub input_range: (f32, f32),
    /// Value range of the network's RGB output, mapped back onto `[0, 1]`.
    pub output_range: (f32, f32),
    /// Optional display names of the styles (empty, or one per style).
    #[serde(default)]
    pub styles: Vec<String>,
}

impl StyleModelCard {
    /// Number of styles the model holds: 0 for arbitrary-style models,
    /// which take their style from an image instead.
    pub fn num_styles(&self) -> usize {
        match &self.architecture {
            StyleArchitecture::MultiStyle(config) => config.num_styles,
            StyleArchitecture::Johnson(_) => 1,
            StyleArchitecture::Arbitrary(_) => 0,
        }
    }

    /// Whether the model takes its style from a style image (a predicted
    /// [`crate::model::StyleVector`]) rather than from stored styles.
    pub fn takes_style_image(&self) -> bool {
        matches!(self.architecture, StyleArchitecture::Arbitrary(_))
    }

    /// Smallest width / height the network accepts; both must also be
    /// multiples of [`Self::size_multiple`].
    pub fn min_input_size(&self) -> usize {
        match &self.architecture {
            StyleArchitecture::MultiStyle(config) => config.min_input_size(),
            StyleArchitecture::Johnson(_) => 8,
            StyleArchitecture::Arbitrary(config) => config.min_input_size(),
        }
    }

    /// Width and height must be multiples of this.
    pub fn size_multiple(&self) -> usize {
        4
    }

    /// The network's `output` (in `output_range`) with the colours of its
    /// `input` (in `input_range`) as `mode` says, still in `output_range`.
    pub fn preserve_color<B: Backend>(
        &self,
        input: Tensor<B, 4>,
        output: Tensor<B, 4>,
        mode: ColorPreservation,
    ) -> Tensor<B, 4> {
        if mode == ColorPreservation::Off {
            return output;
        }
        let unit = |x: Tensor<B, 4>, (lo, hi): (f32, f32)| x.sub_scalar(lo).div_scalar(hi - lo);
        let (lo, hi) = self.output_range;
        preserve_color(
            unit(input, self.input_range),
            unit(output, self.output_range),
            mode,
        )
        .mul_scalar(hi - lo)
        .add_scalar(lo)
    }
}

//! The RON card of an upscaling model.

use serde::{Deserialize, Serialize};

use bevy_gan_style_nn::UpscalerConfig;

/// What an upscaling model is: its network's architecture, its weights file
/// (next to the card), and how it was made.
///
/// ```
/// use bevy_gan_style_runtime::model::UpscaleModelCard;
/// let card: UpscaleModelCard = ron::from_str(r#"(
///     name: "photo_x2",
///     network: (factor: 2, channels: 16, blocks: 3),
///     weights: "photo_x2.safetensors",
/// )"#).unwrap();
/// assert_eq!(card.network.factor, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpscaleModelCard {
    /// Short name.
    pub name: String,
    /// What it was trained on and for.
    #[serde(default)]
    pub description: String,
    /// The network's architecture.
    pub network: UpscalerConfig,
    /// Safetensors weights, relative to the card.
    pub weights: String,
    /// For a guided network: the style model (card, relative to this card)
    /// whose output on the full-size frame is the guide; absent, the guide
    /// is the frame itself.
    #[serde(default)]
    pub guide_style: Option<String>,
    /// How it was trained (command, iterations, losses, time, hardware).
    #[serde(default)]
    pub training: String,
}

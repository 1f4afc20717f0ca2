//! The RON card of a texture model.

use serde::{Deserialize, Serialize};

use bevy_gan_style_nn::PsganConfig;

/// What a texture model is: its generator's architecture, its weights file
/// (next to the card), and how it was made.
///
/// ```
/// use bevy_gan_style_runtime::model::TextureModelCard;
/// let card: TextureModelCard = ron::from_str(r#"(
///     name: "bricks",
///     generator: (channels: [64, 32, 16], upsample: Nearest, local_dim: 16, global_dim: 16,
///                 periodic_dim: 4, wave_hidden: 32),
///     weights: "bricks.safetensors",
/// )"#).unwrap();
/// assert_eq!(card.generator.scale(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextureModelCard {
    /// Short name.
    pub name: String,
    /// What the texture looks like.
    #[serde(default)]
    pub description: String,
    /// The generator's architecture.
    pub generator: PsganConfig,
    /// Safetensors weights, relative to the card.
    pub weights: String,
    /// The exemplar images it was trained on (file names; the shipped
    /// models' are in `assets/textures/exemplars/`).
    #[serde(default)]
    pub exemplars: Vec<String>,
    /// The factor the exemplars were resized by before cropping: the scale
    /// at which the texture was learned, and at which it is judged.
    #[serde(default = "unit_scale")]
    pub exemplar_scale: f32,
    /// How it was trained (command, iterations, time, hardware).
    #[serde(default)]
    pub training: String,
}

fn unit_scale() -> f32 {
    1.0
}

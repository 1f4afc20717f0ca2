//! Colour preservation: a stylized image that keeps its content's colours
//! (Gatys et al., "Preserving Color in Neural Artistic Style Transfer",
//! 2016: luminance-only transfer, or colour statistics matched).

use burn::prelude::*;

use super::ops::channel_mean_var;

/// BT.601 luma weights of R, G and B.
const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// How much of the content's colour a stylized image keeps.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{ColorPreservation, preserve_color};
/// let device = Default::default();
/// let content = Tensor::<CpuBackend, 4>::full([1, 3, 4, 4], 0.5, &device)
///     .slice_assign([0..1, 0..1, 0..4, 0..4], Tensor::full([1, 1, 4, 4], 0.7, &device));
/// let stylized = Tensor::<CpuBackend, 4>::full([1, 3, 4, 4], 0.2, &device);
/// let kept = preserve_color(content.clone(), stylized, ColorPreservation::Luminance);
/// // The content's chroma (R − G) with the stylized image's brightness.
/// let [r, g] = [0, 1].map(|c| kept.clone().narrow(1, c, 1).mean().into_scalar());
/// assert!((r - g - 0.2).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bevy_reflect", derive(bevy_reflect::Reflect))]
pub enum ColorPreservation {
    /// The stylized colours.
    #[default]
    Off,
    /// The stylized image's luminance with the content's chroma (YCbCr,
    /// BT.601): only brightness, strokes and texture are transferred.
    Luminance,
    /// The stylized image with each channel's mean and standard deviation
    /// matched to the content's (RGB): the painting's textures in the
    /// content's palette.
    Statistics,
}

impl std::str::FromStr for ColorPreservation {
    type Err = String;

    /// `off`, `luminance` or `statistics`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(Self::Off),
            "luminance" | "luma" => Ok(Self::Luminance),
            "statistics" | "stats" => Ok(Self::Statistics),
            _ => Err(format!(
                "unknown colour preservation `{text}`: expected off, luminance or statistics"
            )),
        }
    }
}

/// `stylized` with `content`'s colours as `mode` says; both `[N, 3, H, W]`
/// RGB in `[0, 1]` at the same size. The result is clamped to `[0, 1]`
/// (clamping is the only place the content's chroma is not kept exactly).
pub fn preserve_color<B: Backend>(
    content: Tensor<B, 4>,
    stylized: Tensor<B, 4>,
    mode: ColorPreservation,
) -> Tensor<B, 4> {
    match mode {
        ColorPreservation::Off => stylized,
        ColorPreservation::Luminance => {
            // With Cb and Cr fixed, a change of Y moves R, G and B equally.
            let delta = luma(stylized) - luma(content.clone());
            (content + delta).clamp(0.0, 1.0)
        }
        ColorPreservation::Statistics => {
            let (mean, var) = channel_mean_var(stylized.clone());
            let (target_mean, target_var) = channel_mean_var(content);
            let gain = (target_var.add_scalar(1e-6) / var.add_scalar(1e-6)).sqrt();
            ((stylized - mean) * gain + target_mean).clamp(0.0, 1.0)
        }
    }
}

/// BT.601 luma `[N, 1, H, W]` of RGB `[N, 3, H, W]`.
pub fn luma<B: Backend>(rgb: Tensor<B, 4>) -> Tensor<B, 4> {
    let weights = Tensor::<B, 1>::from_floats(LUMA, &rgb.device()).reshape([1, 3, 1, 1]);
    (rgb * weights).sum_dim(1)
}

/// BT.601 chroma `[N, 2, H, W]` (Cb, Cr, unscaled: `B − Y`, `R − Y`) of
/// RGB `[N, 3, H, W]`: what [`ColorPreservation::Luminance`] keeps.
pub fn chroma<B: Backend>(rgb: Tensor<B, 4>) -> Tensor<B, 4> {
    let y = luma(rgb.clone());
    Tensor::cat(
        vec![
            rgb.clone().narrow(1, 2, 1) - y.clone(),
            rgb.narrow(1, 0, 1) - y,
        ],
        1,
    )
}

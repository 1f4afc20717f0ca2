//! What a [`NeuralTexture`](super::NeuralTexture) generates, and running a
//! texture generator for it.

use bevy::prelude::*;
use burn::prelude::*;

use crate::nn::{PsganConfig, PsganGenerator, PsganLatent};

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
    config: &PsganConfig,
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

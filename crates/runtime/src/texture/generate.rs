//! What a [`NeuralTexture`](super::NeuralTexture) generates, and running a
//! texture generator for it.

use bevy::prelude::*;
use burn::prelude::*;

use crate::model::ModelError;
use crate::upscale::{Edges, upscale};
use bevy_gan_style_nn::{PsganConfig, PsganGenerator, PsganLatent, StageBackend, Upscaler};

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
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::nn::PsganConfig;
/// use bevy_gan_style_runtime::texture::{TextureParams, generate};
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
    generator.forward(&latent(generator, config, params), params.tileable)
}

/// Like [`generate`], with the generator at `1 / factor^passes` of
/// `params.size` and `passes` passes of `upscaler` bringing its output to
/// full size, in tiles of at most `tile` input pixels (see [`upscale`]): a
/// texture larger than the device can generate directly, or a cheaper one.
/// A tileable texture wraps around its borders in every pass, so it stays
/// exactly tileable. An error when `params.size` does not suit the passes
/// (each side a multiple of `factor^passes` times the generator's cell).
///
/// ```
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::nn::{PsganConfig, UpscalerConfig};
/// use bevy_gan_style_runtime::texture::{TextureParams, generate_upscaled};
/// let device = Default::default();
/// let config = PsganConfig::new(vec![8, 8]);
/// let generator = config.init::<CpuBackend>(&device);
/// let upscaler = UpscalerConfig::new().init::<CpuBackend>(&device);
/// let params = TextureParams { size: bevy::math::UVec2::new(64, 32), ..Default::default() };
/// let texture = generate_upscaled(&generator, &config, &params, (&upscaler, 2), Some(5))?;
/// assert_eq!(texture.dims(), [1, 3, 32, 64]);
/// // four passes: 32 / 2⁴ = 2 rows, not a multiple of the generator's 4-pixel cell
/// assert!(generate_upscaled(&generator, &config, &params, (&upscaler, 4), None).is_err());
/// # Ok::<(), bevy_gan_style_runtime::model::ModelError>(())
/// ```
pub fn generate_upscaled<B: StageBackend>(
    generator: &PsganGenerator<B>,
    config: &PsganConfig,
    params: &TextureParams,
    (upscaler, passes): (&Upscaler<B>, u32),
    tile: Option<usize>,
) -> Result<Tensor<B, 4>, ModelError> {
    if upscaler.guide_planes() > 0 {
        return Err(ModelError::NeedsGuide {
            name: "the upscaler".into(),
        });
    }
    let size = params.size;
    let low = (upscaler.factor as u32)
        .checked_pow(passes)
        .filter(|&step| step > 0 && size.x.is_multiple_of(step) && size.y.is_multiple_of(step))
        .map(|step| size / step)
        .filter(|low| {
            config.latent_size(low.x as usize).is_some()
                && config.latent_size(low.y as usize).is_some()
        })
        .ok_or_else(|| ModelError::ImageSize {
            width: size.x,
            height: size.y,
            reason: format!(
                "{passes} upscaling passes of ×{}: both sides must be multiples of {}^{passes} × {}",
                upscaler.factor,
                upscaler.factor,
                config.scale()
            ),
        })?;
    let low = TextureParams {
        size: low,
        ..*params
    };
    // The generator's [-1, 1] to the upscaler's [0, 1] and back.
    let image = generate(generator, config, &low)
        .add_scalar(1.0)
        .div_scalar(2.0);
    let edges = match params.tileable {
        true => Edges::Wrap,
        false => Edges::Mirror,
    };
    Ok(upscale(upscaler, image, passes, edges, tile)
        .mul_scalar(2.0)
        .sub_scalar(1.0)
        .clamp(-1.0, 1.0))
}

/// The latent explorer: the texture of `params` with dimension `dim` of its
/// global code set to each of `values` in turn (the codes are drawn in
/// `[-1, 1]`), one `[1, 3, H, W]` tensor each; `None` when the model has
/// no such dimension.
///
/// ```
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::nn::PsganConfig;
/// use bevy_gan_style_runtime::texture::{TextureParams, sweep_global};
/// let config = PsganConfig::new(vec![8, 8]);
/// let generator = config.init::<CpuBackend>(&Default::default());
/// let params = TextureParams { size: bevy::math::UVec2::new(16, 16), ..Default::default() };
/// let sweep = sweep_global(&generator, &config, &params, 0, &[-1.0, 0.0, 1.0]).unwrap();
/// assert_eq!(sweep.len(), 3);
/// ```
pub fn sweep_global<B: Backend>(
    generator: &PsganGenerator<B>,
    config: &PsganConfig,
    params: &TextureParams,
    dim: usize,
    values: &[f32],
) -> Option<Vec<Tensor<B, 4>>> {
    if dim >= config.global_dim {
        return None;
    }
    let base = latent(generator, config, params);
    let device = base.global.device();
    Some(
        values
            .iter()
            .map(|&value| {
                let mut latent = base.clone();
                latent.global = latent
                    .global
                    .slice_assign([0..1, dim..dim + 1], Tensor::full([1, 1], value, &device));
                generator.forward(&latent, params.tileable)
            })
            .collect(),
    )
}

/// The latent field's inputs for `params`.
fn latent<B: Backend>(
    generator: &PsganGenerator<B>,
    config: &PsganConfig,
    params: &TextureParams,
) -> PsganLatent<B> {
    let device = generator.to_rgb.w.device();
    let (w, h) = (
        params.size.x as usize / config.scale(),
        params.size.y as usize / config.scale(),
    );
    // Values from a component or a UI may be anything: NaN counts as 0.
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    let phase_shift = finite(params.phase_shift);
    let sway = 0.15 * (1.0 - phase_shift.cos());
    let mut latent = PsganLatent::<B>::morph(
        config,
        &[params.seed],
        &[params.morph_seed],
        (finite(params.morph) + sway).clamp(0.0, 1.0),
        h.max(1),
        w.max(1),
        &device,
    );
    if phase_shift != 0.0 {
        latent.phase = latent.phase.add_scalar(phase_shift);
    }
    latent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::CpuBackend;

    /// The sweep changes only the chosen dimension: at the seed's own
    /// value it is the plain texture, elsewhere another.
    #[test]
    fn a_sweep_at_the_seeds_own_value_is_the_plain_texture() {
        let config = PsganConfig::new(vec![16, 8]);
        let device = Default::default();
        let generator = config.init::<CpuBackend>(&device);
        let params = TextureParams {
            size: UVec2::splat(32),
            seed: 3,
            ..Default::default()
        };
        let dim = 1;
        let own = latent(&generator, &config, &params)
            .global
            .into_data()
            .to_vec::<f32>()
            .expect("f32")[dim];
        let sweep = sweep_global(&generator, &config, &params, dim, &[own, own + 1.0])
            .expect("dimension in range");
        let values =
            |t: &Tensor<CpuBackend, 4>| t.clone().into_data().to_vec::<f32>().expect("f32");
        let plain = values(&generate(&generator, &config, &params));
        assert_eq!(values(&sweep[0]), plain);
        assert_ne!(values(&sweep[1]), plain);
        assert!(sweep_global(&generator, &config, &params, config.global_dim, &[0.0]).is_none());
    }
}

//! A PSGAN-style texture generator (Bergmann et al., "Learning Texture
//! Manifolds with the Periodic Spatial GAN", ICML 2017): a spatial latent
//! field of local noise, a global code shared over the image and periodic
//! waves whose frequencies the global code chooses, turned into an image by
//! a fully convolutional stack with circular padding. The output of a latent
//! field of `h × w` cells is `h·f × w·f` pixels (`f = 2^stages`), for any
//! `h`, `w`; with `tileable` it is exactly periodic, so it tiles without a
//! seam.

use std::f32::consts::PI;

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation;
use rand_core::{Rng, SeedableRng};
pub use rand_xoshiro::SplitMix64;

use super::circular::{CircularConv2d, CircularConv2dConfig, circular_upsample_bilinear2x};
use super::ops::upsample_nearest2x;

/// Architecture of a [`PsganGenerator`].
///
/// ```
/// use bevy_gan_style_nn::PsganConfig;
/// let config = PsganConfig::new(vec![64, 32, 16]);
/// assert_eq!(config.scale(), 8);
/// assert_eq!(config.latent_size(96), Some(12));
/// assert_eq!(config.latent_size(100), None);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct PsganConfig {
    /// Output channels of each stage (×2 upsampling, 3×3 circular
    /// convolution, pixel norm, leaky ReLU); the image is `2^len` times the
    /// latent field.
    pub channels: Vec<usize>,
    /// How each stage upsamples.
    #[config(default = "Upsample::Nearest")]
    pub upsample: Upsample,
    /// Channels of independent local noise per latent cell.
    #[config(default = 16)]
    pub local_dim: usize,
    /// Size of the global code, shared by every cell; it selects (and
    /// morphs) the texture.
    #[config(default = 16)]
    pub global_dim: usize,
    /// Number of periodic waves; their 2-D frequencies are a learned
    /// function of the global code, their phases random. Regular textures
    /// (bricks, tiles) need them; stochastic ones (clouds) do better with
    /// none, which keeps large outputs from turning into stripes.
    #[config(default = 4)]
    pub periodic_dim: usize,
    /// Hidden width of the global code → wave frequency network.
    #[config(default = 32)]
    pub wave_hidden: usize,
}

/// The ×2 upsampling of a [`PsganGenerator`] stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Upsample {
    /// Each latent cell becomes a 2×2 block. Cheap, but the 3×3
    /// convolutions cannot fully hide the block edges of the first stages,
    /// and a faint 2^stages-pixel grid can remain in soft textures.
    Nearest,
    /// Wrap-around bilinear ([`circular_upsample_bilinear2x`]): no block
    /// edges, so soft textures (clouds, smoke) come out smooth.
    Bilinear,
}

impl std::str::FromStr for Upsample {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "nearest" => Ok(Self::Nearest),
            "bilinear" => Ok(Self::Bilinear),
            other => Err(format!("unknown upsampling `{other}` (nearest, bilinear)")),
        }
    }
}

impl PsganConfig {
    /// Pixels per latent cell along each side.
    pub fn scale(&self) -> usize {
        1 << self.channels.len()
    }

    /// Latent cells for an output side of `pixels`, if it is a multiple of
    /// [`Self::scale`].
    pub fn latent_size(&self, pixels: usize) -> Option<usize> {
        (pixels > 0 && pixels.is_multiple_of(self.scale())).then(|| pixels / self.scale())
    }

    /// Channels of the latent field the first stage sees.
    pub fn latent_channels(&self) -> usize {
        self.local_dim + self.global_dim + self.periodic_dim
    }

    /// Upper bound, in elements, of the largest activation for a
    /// `width × height` output: each stage's padded input or output, the
    /// wider of the two.
    pub fn largest_activation(&self, width: usize, height: usize) -> usize {
        let mut largest = 0;
        let mut channels_in = self.latent_channels();
        for (i, &channels) in self.channels.iter().enumerate() {
            let shrink = 1 << (self.channels.len() - 1 - i);
            let (w, h) = (width / shrink + 2, height / shrink + 2);
            largest = largest.max(channels.max(channels_in) * w * h);
            channels_in = channels;
        }
        largest.max(channels_in * (width + 2) * (height + 2))
    }

    /// Creates the generator with freshly initialised weights.
    pub fn init<B: Backend>(&self, device: &B::Device) -> PsganGenerator<B> {
        let mut stages = Vec::new();
        let mut channels_in = self.latent_channels();
        for &channels_out in &self.channels {
            stages.push(CircularConv2dConfig::new(channels_in, channels_out).init(device));
            channels_in = channels_out;
        }
        PsganGenerator {
            wave_hidden: (self.periodic_dim > 0)
                .then(|| LinearConfig::new(self.global_dim, self.wave_hidden).init(device)),
            wave_out: (self.periodic_dim > 0)
                .then(|| LinearConfig::new(self.wave_hidden, 2 * self.periodic_dim).init(device)),
            stages,
            to_rgb: CircularConv2dConfig::new(channels_in, 3).init(device),
            upsample: self.upsample,
        }
    }
}

/// The latent input of a [`PsganGenerator`] for a batch of `N` images.
#[derive(Debug, Clone)]
pub struct PsganLatent<B: Backend> {
    /// Local noise `[N, local_dim, h, w]`.
    pub local: Tensor<B, 4>,
    /// Global codes `[N, global_dim]`.
    pub global: Tensor<B, 2>,
    /// Phases of the periodic waves `[N, periodic_dim]`, radians.
    pub phase: Tensor<B, 2>,
}

/// Value range of a [`PsganGenerator`]'s RGB output (a `tanh`).
pub const TEXTURE_RANGE: (f32, f32) = (-1.0, 1.0);

/// The PSGAN generator. Outputs RGB in [`TEXTURE_RANGE`].
///
/// Parameter names (`stages.0.w`, `to_rgb.b`, `wave_hidden.weight`, …) are
/// the names in its safetensors files.
#[derive(Module, Debug)]
pub struct PsganGenerator<B: Backend> {
    /// Global code → hidden layer of the wave-frequency network (absent
    /// without periodic waves).
    pub wave_hidden: Option<Linear<B>>,
    /// Hidden layer → `(kx, ky)` per wave.
    pub wave_out: Option<Linear<B>>,
    /// Upsampling stages.
    pub stages: Vec<CircularConv2d<B>>,
    /// Last convolution to RGB.
    pub to_rgb: CircularConv2d<B>,
    /// How each stage upsamples.
    #[module(skip)]
    pub upsample: Upsample,
}

impl<B: Backend> PsganGenerator<B> {
    /// Wave vectors `[N, periodic, 2]` in radians per latent cell, bounded by
    /// π (the latent grid's Nyquist limit).
    fn waves(&self, global: Tensor<B, 2>) -> Option<Tensor<B, 3>> {
        let (Some(hidden), Some(out)) = (&self.wave_hidden, &self.wave_out) else {
            return None;
        };
        let [n, _] = global.dims();
        let hidden = activation::relu(hidden.forward(global));
        let waves = activation::tanh(out.forward(hidden)).mul_scalar(PI);
        let [_, two_p] = waves.dims();
        Some(waves.reshape([n, two_p / 2, 2]))
    }

    /// The latent field `[N, local + global + periodic, h, w]`. With
    /// `tileable`, each wave's frequency is rounded to a whole number of
    /// periods over the field, so that the field (and the image) wraps.
    pub fn field(&self, latent: &PsganLatent<B>, tileable: bool) -> Tensor<B, 4> {
        let [n, _, h, w] = latent.local.dims();
        let device = latent.local.device();
        let [_, g] = latent.global.dims();
        let global = latent
            .global
            .clone()
            .reshape([n, g, 1, 1])
            .expand([n, g, h, w]);
        let Some(waves) = self.waves(latent.global.clone()) else {
            return Tensor::cat(vec![latent.local.clone(), global], 1);
        };
        let [_, p, _] = waves.dims();
        let quantize = |k: Tensor<B, 3>, cells: usize| {
            if tileable {
                let period = 2.0 * PI / cells as f32;
                k.div_scalar(period).round().mul_scalar(period)
            } else {
                k
            }
        };
        let kx = quantize(waves.clone().narrow(2, 0, 1), w).reshape([n, p, 1, 1]);
        let ky = quantize(waves.narrow(2, 1, 1), h).reshape([n, p, 1, 1]);
        let xs = Tensor::<B, 1, Int>::arange(0..w as i64, &device)
            .float()
            .reshape([1, 1, 1, w]);
        let ys = Tensor::<B, 1, Int>::arange(0..h as i64, &device)
            .float()
            .reshape([1, 1, h, 1]);
        let phase = latent.phase.clone().reshape([n, p, 1, 1]);
        let periodic = (kx.mul(xs) + ky.mul(ys) + phase).sin();
        Tensor::cat(vec![latent.local.clone(), global, periodic], 1)
    }

    /// Generates `[N, 3, h·f, w·f]` images in `[-1, 1]`. A `tileable`
    /// image is shifted by one pixel along both axes (it wraps, so nothing
    /// is lost): the upsampling stages' block edges all coincide on the
    /// latent cells' boundaries, and the shift moves the wrap-around line
    /// off them, inside the finest 2×2 blocks, where it is like the
    /// image's other lines instead of like its cell grid.
    pub fn forward(&self, latent: &PsganLatent<B>, tileable: bool) -> Tensor<B, 4> {
        let image = self.decode(self.field(latent, tileable));
        if tileable {
            image.roll(&[1, 1], &[2, 3])
        } else {
            image
        }
    }

    /// Turns a latent field (see [`Self::field`]) into `[N, 3, h·f, w·f]`
    /// images in `[-1, 1]`. Every operation wraps around, so a field that
    /// repeats gives an image that repeats with it.
    pub fn decode(&self, field: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut x = field;
        for stage in &self.stages {
            let x2 = match self.upsample {
                Upsample::Nearest => upsample_nearest2x(x),
                Upsample::Bilinear => circular_upsample_bilinear2x(x),
            };
            x = activation::leaky_relu(pixel_norm(stage.forward(x2)), 0.2);
        }
        activation::tanh(self.to_rgb.forward(x))
    }
}

/// Normalises each pixel's feature vector to unit RMS (ProGAN's pixel norm):
/// local, so it behaves the same at every output size and batch size.
pub fn pixel_norm<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let rms = x.clone().powi_scalar(2).mean_dim(1).add_scalar(1e-8).sqrt();
    x.div(rms)
}

impl<B: Backend> PsganLatent<B> {
    /// Latent fields of `h × w` cells, one image per seed: the same seed
    /// always gives the same field (on every backend, as the numbers are
    /// drawn on the host).
    ///
    /// ```
    /// # use burn::backend::Flex as CpuBackend;
    /// use bevy_gan_style_nn::{PsganConfig, PsganLatent};
    /// let config = PsganConfig::new(vec![16, 8]);
    /// let a = PsganLatent::<CpuBackend>::sample(&config, &[7], 3, 5, &Default::default());
    /// assert_eq!(a.local.dims(), [1, 16, 3, 5]);
    /// ```
    pub fn sample(
        config: &PsganConfig,
        seeds: &[u64],
        h: usize,
        w: usize,
        device: &B::Device,
    ) -> Self {
        Self::morph(config, seeds, &[], 0.0, h, w, device)
    }

    /// Like [`Self::sample`], with each global code moved a fraction `t`
    /// (0..1) of the way towards the global code of the matching seed in
    /// `towards` (none: no morph). Local noise and phases stay those of
    /// `seeds`, so the texture's layout stays while its character changes.
    pub fn morph(
        config: &PsganConfig,
        seeds: &[u64],
        towards: &[u64],
        t: f32,
        h: usize,
        w: usize,
        device: &B::Device,
    ) -> Self {
        let n = seeds.len();
        let (mut local, mut global, mut phase) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &seed) in seeds.iter().enumerate() {
            let mut rng = SplitMix64::seeded(seed);
            let code = |rng: &mut SplitMix64| -> Vec<f32> {
                (0..config.global_dim)
                    .map(|_| rng.uniform() * 2.0 - 1.0)
                    .collect()
            };
            let mut own = code(&mut rng);
            if let Some(&other) = towards.get(i) {
                let other = code(&mut SplitMix64::seeded(other));
                for (a, b) in own.iter_mut().zip(other) {
                    *a += (b - *a) * t.clamp(0.0, 1.0);
                }
            }
            global.extend(own);
            phase.extend((0..config.periodic_dim).map(|_| rng.uniform() * 2.0 * PI));
            local.extend((0..config.local_dim * h * w).map(|_| rng.normal()));
        }
        Self {
            local: Tensor::from_data(TensorData::new(local, [n, config.local_dim, h, w]), device),
            global: Tensor::from_data(TensorData::new(global, [n, config.global_dim]), device),
            phase: Tensor::from_data(TensorData::new(phase, [n, config.periodic_dim]), device),
        }
    }
}

/// The draws latents and training take from a seeded generator
/// (`rand_xoshiro`'s [`SplitMix64`]), so that they depend on the seed alone,
/// not on a backend's random number generator. The mappings from random
/// bits are fixed here, so that a seed gives the same latents, crops and
/// scenes in every version.
///
/// ```
/// use bevy_gan_style_nn::{Draw, SplitMix64};
/// let mut a = SplitMix64::seeded(7);
/// let first = a.uniform();
/// // A saved generator continues the same sequence.
/// let mut b = a.clone();
/// assert_eq!(a.normal(), b.normal());
/// assert_ne!(first, SplitMix64::seeded(8).uniform());
/// assert!((0.0..1.0).contains(&a.uniform()));
/// ```
pub trait Draw: Rng {
    /// A generator seeded with `seed`.
    fn seeded(seed: u64) -> Self
    where
        Self: SeedableRng,
    {
        // SplitMix64's state is the seed offset by its increment.
        Self::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// 64 random bits, e.g. the seed of another generator.
    fn bits(&mut self) -> u64 {
        self.next_u64()
    }

    /// Uniform in `[0, 1)`: the top 24 bits.
    fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f32 {
        let u = self.uniform().max(f32::MIN_POSITIVE);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
    }

    /// Uniform integer in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

impl<R: Rng> Draw for R {}

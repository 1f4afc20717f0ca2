//! Judging texture generators against their exemplar: SIFID, FID and KID
//! on VGG16 features, diversity between seeds (mean pairwise LPIPS) beside
//! the exemplar's own, and the Gram distance.

use std::path::Path;

use burn::prelude::*;

use super::distribution::{frechet_distance, kernel_distance};
use super::linalg::Features;
use super::lpips::Lpips;
use super::style::style_distance;
use crate::nn::{SplitMix64, VggTap, WeightsError};

/// The layer whose per-position features SIFID compares: low enough to
/// describe local texture, with 128 channels (SIFID's original used
/// Inception's 64 channels before its second pooling).
pub const SIFID_LAYER: VggTap = VggTap::Relu2_2;

/// The layers whose global-average-pooled features FID and KID compare, in
/// the order of [`TextureScores::fid`] and [`TextureScores::kid`].
pub const POOLED_LAYERS: [VggTap; 2] = [VggTap::Relu4_3, VggTap::Relu5_3];

/// VGG16 and the LPIPS heads, the networks every texture metric runs on.
///
/// ```no_run
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::eval::TextureJudge;
/// let judge = TextureJudge::<CpuBackend>::load(
///     "assets/training/vgg16_features.safetensors".as_ref(),
///     "assets/training/lpips_vgg_lin.safetensors".as_ref(),
///     &Default::default(),
/// )?;
/// let exemplar = Tensor::<CpuBackend, 4>::random(
///     [1, 3, 96, 96], burn::tensor::Distribution::Default, &Default::default());
/// let reference = judge.reference(exemplar.clone(), 64, 8, 1);
/// let samples = exemplar.narrow(2, 0, 64).narrow(3, 0, 64).repeat_dim(0, 8);
/// let scores = judge.judge(samples, &reference);
/// assert_eq!(scores.diversity, 0.0); // eight copies of one image
/// # Ok::<(), bevy_gan_style::nn::WeightsError>(())
/// ```
pub struct TextureJudge<B: Backend> {
    lpips: Lpips<B>,
}

/// What samples are judged against: the exemplar (at the scale the model
/// learned it), its SIFID features, and random crops of it with their
/// pooled features and their own diversity.
pub struct TextureReference<B: Backend> {
    exemplar: Tensor<B, 4>,
    positions: Features,
    pooled: [Features; 2],
    /// Mean pairwise LPIPS between the exemplar crops: how diverse the
    /// exemplar itself is at the samples' size, the yardstick of
    /// [`TextureScores::diversity`].
    pub diversity: f64,
    /// The crops, `[N, 3, S, S]` in `[0, 1]`.
    pub crops: Tensor<B, 4>,
}

/// The scores of a set of samples (see [`TextureJudge::judge`]). Lower is
/// closer to the exemplar for the distances; diversity should be near the
/// exemplar crops'.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextureScores {
    /// Mean over the samples of SIFID against the exemplar.
    pub sifid: f64,
    /// FID between samples and exemplar crops, per [`POOLED_LAYERS`].
    pub fid: [f64; 2],
    /// KID between samples and exemplar crops, per [`POOLED_LAYERS`].
    pub kid: [f64; 2],
    /// Mean pairwise LPIPS between the samples.
    pub diversity: f64,
    /// The same between the exemplar crops ([`TextureReference::diversity`]).
    pub exemplar_diversity: f64,
    /// Mean Gram style distance of the samples to the exemplar.
    pub gram: f64,
}

impl TextureScores {
    /// Samples' diversity over the exemplar crops' (below about ½ the
    /// generator makes much the same image from every seed).
    /// NaN when the crops have no diversity (all the same).
    pub fn diversity_ratio(&self) -> f64 {
        if self.exemplar_diversity > 0.0 {
            self.diversity / self.exemplar_diversity
        } else {
            f64::NAN
        }
    }
}

impl<B: Backend> TextureJudge<B> {
    /// Loads VGG16 and the LPIPS heads (see [`Lpips::load`]).
    pub fn load(vgg: &Path, heads: &Path, device: &B::Device) -> Result<Self, WeightsError> {
        Ok(Self {
            lpips: Lpips::load(vgg, heads, device)?,
        })
    }

    /// The reference for `exemplar` (`[1, 3, H, W]` in `[0, 1]`): `count`
    /// random `crop × crop` crops (at most the exemplar's short side), drawn
    /// with `seed`.
    pub fn reference(
        &self,
        exemplar: Tensor<B, 4>,
        crop: usize,
        count: usize,
        seed: u64,
    ) -> TextureReference<B> {
        let [_, _, height, width] = exemplar.dims();
        let crop = crop.min(height).min(width);
        let mut rng = SplitMix64::new(seed);
        let crops = Tensor::cat(
            (0..count)
                .map(|_| {
                    let y = rng.below(height - crop + 1);
                    let x = rng.below(width - crop + 1);
                    exemplar.clone().narrow(2, y, crop).narrow(3, x, crop)
                })
                .collect(),
            0,
        );
        TextureReference {
            positions: self.positions(exemplar.clone()),
            pooled: self.pooled(crops.clone()),
            diversity: self.diversity(crops.clone()),
            exemplar,
            crops,
        }
    }

    /// All scores of `samples` (`[N, 3, H, W]` in `[0, 1]`, `N ≥ 2`).
    pub fn judge(&self, samples: Tensor<B, 4>, reference: &TextureReference<B>) -> TextureScores {
        let [n, ..] = samples.dims();
        let pooled = self.pooled(samples.clone());
        let pair = |k: usize, f: fn(&Features, &Features) -> Option<f64>| {
            f(&pooled[k], &reference.pooled[k]).unwrap_or(f64::NAN)
        };
        let gram = (0..n)
            .map(|i| {
                style_distance(
                    self.lpips.vgg(),
                    samples.clone().narrow(0, i, 1),
                    reference.exemplar.clone(),
                ) as f64
            })
            .sum::<f64>()
            / n.max(1) as f64;
        TextureScores {
            sifid: self.sifid(samples.clone(), reference),
            fid: [pair(0, frechet_distance), pair(1, frechet_distance)],
            kid: [pair(0, kernel_distance), pair(1, kernel_distance)],
            diversity: self.diversity(samples),
            exemplar_diversity: reference.diversity,
            gram,
        }
    }

    /// Mean SIFID of `samples` (`[N, 3, H, W]` in `[0, 1]`) against the
    /// reference's exemplar: the Fréchet distance between the
    /// [`SIFID_LAYER`] features at every position of a sample and of the
    /// exemplar.
    pub fn sifid(&self, samples: Tensor<B, 4>, reference: &TextureReference<B>) -> f64 {
        let [n, ..] = samples.dims();
        (0..n)
            .map(|i| {
                let positions = self.positions(samples.clone().narrow(0, i, 1));
                frechet_distance(&positions, &reference.positions).unwrap_or(f64::NAN)
            })
            .sum::<f64>()
            / n.max(1) as f64
    }

    /// Mean pairwise LPIPS between the images of a batch.
    pub fn diversity(&self, images: Tensor<B, 4>) -> f64 {
        self.lpips.mean_pairwise(images) as f64
    }

    /// [`SIFID_LAYER`] features of one image, a row per position.
    fn positions(&self, image: Tensor<B, 4>) -> Features {
        let features = self.lpips.vgg().forward(image, SIFID_LAYER).pop();
        let features = features.expect("VGG16 returns a feature map per tap");
        let [_, channels, h, w] = features.dims();
        let rows = features.reshape([channels, h * w]).transpose();
        features_of(rows)
    }

    /// Global-average-pooled [`POOLED_LAYERS`] features, a row per image.
    fn pooled(&self, images: Tensor<B, 4>) -> [Features; 2] {
        let mut taps = self.lpips.vgg().forward(images, VggTap::Relu5_3);
        let pool = |f: Tensor<B, 4>| {
            let [n, c, ..] = f.dims();
            features_of(
                f.reshape([n as i32, c as i32, -1])
                    .mean_dim(2)
                    .reshape([n, c]),
            )
        };
        let relu5_3 = taps.pop().expect("VGG16 returns a feature map per tap");
        let relu4_3 = taps.pop().expect("VGG16 returns a feature map per tap");
        [pool(relu4_3), pool(relu5_3)]
    }
}

fn features_of<B: Backend>(rows: Tensor<B, 2>) -> Features {
    let [n, d] = rows.dims();
    let values: Vec<f32> = rows
        .into_data()
        .convert::<f32>()
        .to_vec()
        .expect("converted to f32");
    let values = values.into_iter().map(f64::from).collect();
    Features::new(n, d, values).expect("a [n, d] tensor has n·d values")
}

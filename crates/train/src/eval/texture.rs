//! Judging texture generators against their exemplars: SIFID, FID and KID
//! on VGG16 features, diversity between seeds (mean pairwise LPIPS) beside
//! the exemplars' own, and the Gram distance.

use std::path::Path;

use burn::prelude::*;

use super::distribution::{frechet_distance, kernel_distance};
use super::linalg::Features;
use super::lpips::Lpips;
use super::style::style_distance;
use bevy_gan_style_nn::{Draw, InceptionV3, SplitMix64, Vgg16, VggTap, WeightsError};

/// The layer whose per-position features SIFID compares: low enough to
/// describe local texture, with 128 channels (SIFID's original used
/// Inception's 64 channels before its second pooling).
pub const SIFID_LAYER: VggTap = VggTap::Relu2_2;

/// The VGG16 layers whose global-average-pooled features FID and KID
/// compare, in the order of [`TextureScores::fid`] and
/// [`TextureScores::kid`] (unless the judge has Inception-v3, see
/// [`TextureJudge::with_inception`]).
pub const POOLED_LAYERS: [VggTap; 2] = [VggTap::Relu4_3, VggTap::Relu5_3];

/// VGG16 and the LPIPS heads, the networks every texture metric runs on.
///
/// ```no_run
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::eval::TextureJudge;
/// let judge = TextureJudge::<CpuBackend>::load(
///     "assets/training/vgg16_features.safetensors".as_ref(),
///     "assets/training/lpips_vgg_lin.safetensors".as_ref(),
///     &Default::default(),
/// )?;
/// let exemplar = Tensor::<CpuBackend, 4>::random(
///     [1, 3, 96, 96], burn::tensor::Distribution::Default, &Default::default());
/// let reference = judge.reference(&[exemplar.clone()], 64, 8, 1);
/// let samples = exemplar.narrow(2, 0, 64).narrow(3, 0, 64).repeat_dim(0, 8);
/// let scores = judge.judge(samples, &reference);
/// assert_eq!(scores.diversity, 0.0); // eight copies of one image
/// # Ok::<(), bevy_gan_style_runtime::nn::WeightsError>(())
/// ```
pub struct TextureJudge<B: Backend> {
    lpips: Lpips<B>,
    inception: Option<InceptionV3<B>>,
}

/// What samples are judged against: the exemplars (at the scale the model
/// learned them), their SIFID features, and random crops of them with their
/// pooled features and their own diversity.
pub struct TextureReference<B: Backend> {
    exemplars: Vec<Tensor<B, 4>>,
    positions: Vec<Features>,
    pooled: Vec<Features>,
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
#[derive(Debug, Clone, PartialEq)]
pub struct TextureScores {
    /// Mean over the samples of SIFID against the exemplar (the nearest
    /// one where there are several).
    pub sifid: f64,
    /// FID between samples and exemplar crops, per feature space of
    /// [`TextureJudge::pooled_names`].
    pub fid: Vec<f64>,
    /// KID between samples and exemplar crops, likewise.
    pub kid: Vec<f64>,
    /// Mean pairwise LPIPS between the samples.
    pub diversity: f64,
    /// The same between the exemplar crops ([`TextureReference::diversity`]).
    pub exemplar_diversity: f64,
    /// Mean Gram style distance of the samples to the exemplar (the
    /// nearest one where there are several).
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
            inception: None,
        })
    }

    /// FID and KID on Inception-v3's pool features (the space of published
    /// figures) instead of VGG16's [`POOLED_LAYERS`].
    pub fn with_inception(mut self, inception: InceptionV3<B>) -> Self {
        self.inception = Some(inception);
        self
    }

    /// The feature spaces of [`TextureScores::fid`] and
    /// [`TextureScores::kid`], in order.
    pub fn pooled_names(&self) -> &'static [&'static str] {
        if self.inception.is_some() {
            &["Inception-v3 pool3"]
        } else {
            &["VGG16 relu4_3", "VGG16 relu5_3"]
        }
    }

    /// The reference for `exemplars` (each `[1, 3, H, W]` in `[0, 1]`, one
    /// or more): `count` random `crop × crop` crops (at most the smallest
    /// exemplar's short side), drawn with `seed` from the exemplars in turn.
    ///
    /// # Panics
    /// When `exemplars` is empty.
    pub fn reference(
        &self,
        exemplars: &[Tensor<B, 4>],
        crop: usize,
        count: usize,
        seed: u64,
    ) -> TextureReference<B> {
        assert!(
            !exemplars.is_empty(),
            "a texture reference needs an exemplar"
        );
        let crop = exemplars
            .iter()
            .map(|e| e.dims()[2].min(e.dims()[3]))
            .fold(crop, usize::min);
        let mut rng = SplitMix64::seeded(seed);
        let crops = Tensor::cat(
            (0..count)
                .map(|i| {
                    let exemplar = &exemplars[i % exemplars.len()];
                    let [_, _, height, width] = exemplar.dims();
                    let y = rng.below(height - crop + 1);
                    let x = rng.below(width - crop + 1);
                    exemplar.clone().narrow(2, y, crop).narrow(3, x, crop)
                })
                .collect(),
            0,
        );
        TextureReference {
            positions: exemplars
                .iter()
                .map(|e| self.positions(e.clone()))
                .collect(),
            pooled: self.pooled(crops.clone()),
            diversity: self.diversity(crops.clone()),
            exemplars: exemplars.to_vec(),
            crops,
        }
    }

    /// All scores of `samples` (`[N, 3, H, W]` in `[0, 1]`, `N ≥ 2`).
    pub fn judge(&self, samples: Tensor<B, 4>, reference: &TextureReference<B>) -> TextureScores {
        let [n, ..] = samples.dims();
        let pooled = self.pooled(samples.clone());
        let per_space = |f: fn(&Features, &Features) -> Option<f64>| {
            pooled
                .iter()
                .zip(&reference.pooled)
                .map(|(a, b)| f(a, b).unwrap_or(f64::NAN))
                .collect()
        };
        let gram = mean_of_nearest(n, reference.exemplars.len(), |i, e| {
            let sample = samples.clone().narrow(0, i, 1);
            style_distance(self.lpips.vgg(), sample, reference.exemplars[e].clone()) as f64
        });
        TextureScores {
            sifid: self.sifid(samples.clone(), reference),
            fid: per_space(frechet_distance),
            kid: per_space(kernel_distance),
            diversity: self.diversity(samples),
            exemplar_diversity: reference.diversity,
            gram,
        }
    }

    /// Mean SIFID of `samples` (`[N, 3, H, W]` in `[0, 1]`) against the
    /// reference's exemplars: the Fréchet distance between the
    /// [`SIFID_LAYER`] features at every position of a sample and of an
    /// exemplar, to the nearest exemplar.
    pub fn sifid(&self, samples: Tensor<B, 4>, reference: &TextureReference<B>) -> f64 {
        let [n, ..] = samples.dims();
        let positions: Vec<Features> = (0..n)
            .map(|i| self.positions(samples.clone().narrow(0, i, 1)))
            .collect();
        mean_of_nearest(n, reference.positions.len(), |i, e| {
            frechet_distance(&positions[i], &reference.positions[e]).unwrap_or(f64::NAN)
        })
    }

    /// Mean pairwise LPIPS between the images of a batch.
    pub fn diversity(&self, images: Tensor<B, 4>) -> f64 {
        self.lpips.mean_pairwise(images) as f64
    }

    fn positions(&self, image: Tensor<B, 4>) -> Features {
        position_features(self.lpips.vgg(), image)
    }

    /// Global-average-pooled features, a row per image, in each space of
    /// [`Self::pooled_names`].
    fn pooled(&self, images: Tensor<B, 4>) -> Vec<Features> {
        if let Some(inception) = &self.inception {
            return vec![features_of(inception.pool_features(images))];
        }
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
        vec![pool(relu4_3), pool(relu5_3)]
    }
}

/// [`SIFID_LAYER`] features of one image (`[1, 3, H, W]` in `[0, 1]`), a
/// row per position: what SIFID compares with [`frechet_distance`].
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::eval::{frechet_distance, position_features};
/// use bevy_gan_style_runtime::nn::Vgg16;
/// let vgg = Vgg16::<CpuBackend>::new(&Default::default());
/// let image = Tensor::<CpuBackend, 4>::random(
///     [1, 3, 16, 16], burn::tensor::Distribution::Default, &Default::default());
/// let features = position_features(&vgg, image);
/// assert_eq!((features.rows(), features.dim()), (64, 128)); // 8 × 8 positions
/// assert!(frechet_distance(&features, &features).unwrap() < 1e-6);
/// ```
pub fn position_features<B: Backend>(vgg: &Vgg16<B>, image: Tensor<B, 4>) -> Features {
    let features = vgg.forward(image, SIFID_LAYER).pop();
    let features = features.expect("VGG16 returns a feature map per tap");
    let [_, channels, h, w] = features.dims();
    features_of(features.reshape([channels, h * w]).transpose())
}

/// The mean over `n` samples of each one's smallest `distance(sample,
/// exemplar)` over `exemplars` (NaN if any distance is NaN).
fn mean_of_nearest(n: usize, exemplars: usize, distance: impl Fn(usize, usize) -> f64) -> f64 {
    (0..n)
        .map(|i| {
            (0..exemplars)
                .map(|e| distance(i, e))
                .reduce(|a, b| {
                    if a.is_nan() || b.is_nan() {
                        f64::NAN
                    } else {
                        a.min(b)
                    }
                })
                .unwrap_or(f64::NAN)
        })
        .sum::<f64>()
        / n.max(1) as f64
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

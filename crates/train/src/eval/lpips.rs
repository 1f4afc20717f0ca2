//! LPIPS (Zhang et al., "The Unreasonable Effectiveness of Deep Features as
//! a Perceptual Metric", CVPR 2018), VGG variant v0.1.

use std::path::Path;

use burn::prelude::*;

use bevy_gan_style_nn::{Vgg16, VggTap, WeightsError, to_f32_safetensors};

/// LPIPS-VGG: unit-normalised VGG16 features at five taps, squared
/// differences weighted per channel by the learned linear heads, averaged
/// over space and summed over taps. 0 for identical images; larger is more
/// different.
///
/// ```no_run
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::eval::Lpips;
/// let lpips = Lpips::<CpuBackend>::load(
///     "assets/training/vgg16_features.safetensors".as_ref(),
///     "assets/training/lpips_vgg_lin.safetensors".as_ref(),
///     &Default::default(),
/// )?;
/// let a = Tensor::<CpuBackend, 4>::full([1, 3, 64, 64], 0.2, &Default::default());
/// let b = Tensor::<CpuBackend, 4>::full([1, 3, 64, 64], 0.8, &Default::default());
/// assert!(lpips.distance(a.clone(), b) > lpips.distance(a.clone(), a));
/// # Ok::<(), bevy_gan_style_runtime::nn::WeightsError>(())
/// ```
pub struct Lpips<B: Backend> {
    vgg: Vgg16<B>,
    /// Per tap, the non-negative channel weights `[1, C, 1, 1]`.
    heads: Vec<Tensor<B, 4>>,
}

impl<B: Backend> Lpips<B> {
    /// Loads VGG16 (see [`Vgg16::load`]) and the LPIPS heads
    /// (`lin{0..4}.model.1.weight`, as in the `lpips` package).
    pub fn load(vgg: &Path, heads: &Path, device: &B::Device) -> Result<Self, WeightsError> {
        let vgg = Vgg16::load(vgg, device)?;
        let bytes = std::fs::read(heads)
            .map_err(|e| WeightsError::Format(format!("{}: {e}", heads.display())))?;
        let bytes = to_f32_safetensors(&bytes, |name| Some(name.to_string()))?;
        let file = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| WeightsError::Format(e.to_string()))?;
        let heads = (0..VggTap::ALL.len())
            .map(|k| {
                let name = format!("lin{k}.model.1.weight");
                let view = file
                    .tensor(&name)
                    .map_err(|_| WeightsError::Missing(vec![name.clone()]))?;
                let values: Vec<f32> = bytemuck::pod_collect_to_vec(view.data());
                let channels = values.len();
                Ok(Tensor::from_data(
                    TensorData::new(values, [1, channels, 1, 1]),
                    device,
                ))
            })
            .collect::<Result<_, WeightsError>>()?;
        Ok(Self { vgg, heads })
    }

    /// The distance between `a` and `b` (`[1, 3, H, W]` in `[0, 1]`, same
    /// size).
    pub fn distance(&self, a: Tensor<B, 4>, b: Tensor<B, 4>) -> f32 {
        let (fa, fb) = (self.features(a), self.features(b));
        self.compare(&fa, 0, &fb, 0)
    }

    /// The mean distance over all pairs of the `N ≥ 2` images of `images`
    /// (`[N, 3, H, W]` in `[0, 1]`): how different samples are from each
    /// other (0 when all are the same). VGG runs once for the batch.
    pub fn mean_pairwise(&self, images: Tensor<B, 4>) -> f32 {
        let [n, ..] = images.dims();
        let features = self.features(images);
        let mut sum = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                sum += self.compare(&features, i, &features, j);
            }
        }
        sum / (n * n.saturating_sub(1) / 2).max(1) as f32
    }

    /// The VGG16 this metric runs on.
    pub fn vgg(&self) -> &Vgg16<B> {
        &self.vgg
    }

    /// Unit-normalised features of a batch at the five taps.
    fn features(&self, images: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
        self.vgg
            .forward(images, VggTap::Relu5_3)
            .into_iter()
            .map(|f| {
                let norm = f.clone().powi_scalar(2).sum_dim(1).sqrt().add_scalar(1e-10);
                f / norm
            })
            .collect()
    }

    /// The distance between image `i` of `a` and image `j` of `b`.
    fn compare(&self, a: &[Tensor<B, 4>], i: usize, b: &[Tensor<B, 4>], j: usize) -> f32 {
        a.iter()
            .zip(b)
            .zip(&self.heads)
            .map(|((fa, fb), head)| -> f32 {
                let d = (fa.clone().narrow(0, i, 1) - fb.clone().narrow(0, j, 1)).powi_scalar(2)
                    * head.clone();
                d.sum_dim(1).mean().into_scalar().elem()
            })
            .sum()
    }
}

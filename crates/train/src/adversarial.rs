//! Adversarial losses on patch logits.

use burn::prelude::*;
use burn::tensor::activation;
use serde::{Deserialize, Serialize};

/// Which GAN objective trains the pair.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::AdversarialLoss;
/// let device = Default::default();
/// let real = Tensor::<CpuBackend, 4>::full([1, 1, 2, 2], 3.0, &device);
/// let fake = Tensor::<CpuBackend, 4>::full([1, 1, 2, 2], -3.0, &device);
/// // A discriminator that is right with a margin has no hinge loss.
/// let loss = AdversarialLoss::Hinge.discriminator(real, fake).into_scalar();
/// assert_eq!(loss, 0.0);
/// assert_eq!("lsgan".parse::<AdversarialLoss>().unwrap(), AdversarialLoss::Lsgan);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AdversarialLoss {
    /// Non-saturating binary cross-entropy (Goodfellow et al. 2014).
    #[default]
    Bce,
    /// Least squares (Mao et al. 2017).
    Lsgan,
    /// Hinge (Lim & Ye 2017; Miyato et al. 2018).
    Hinge,
    /// Wasserstein (Arjovsky et al. 2017): the critic's mean score on real
    /// minus fake patches. Only meaningful with a Lipschitz constraint on
    /// the critic — spectral normalisation
    /// ([`PatchDiscriminatorConfig::spectral_norm`](super::PatchDiscriminatorConfig::spectral_norm))
    /// and/or [`lipschitz_penalty`].
    Wgan,
}

impl AdversarialLoss {
    /// The discriminator's loss on the logits of real and generated patches.
    pub fn discriminator<B: Backend>(
        &self,
        real: Tensor<B, 4>,
        fake: Tensor<B, 4>,
    ) -> Tensor<B, 1> {
        match self {
            Self::Bce => softplus(real.neg()).mean() + softplus(fake).mean(),
            Self::Lsgan => (real.sub_scalar(1.0).powi_scalar(2).mean()
                + fake.powi_scalar(2).mean())
            .mul_scalar(0.5),
            Self::Hinge => {
                activation::relu(real.neg().add_scalar(1.0)).mean()
                    + activation::relu(fake.add_scalar(1.0)).mean()
            }
            Self::Wgan => fake.mean() - real.mean(),
        }
    }

    /// The generator's loss on the logits of its patches.
    pub fn generator<B: Backend>(&self, fake: Tensor<B, 4>) -> Tensor<B, 1> {
        match self {
            Self::Bce => softplus(fake.neg()).mean(),
            Self::Lsgan => fake.sub_scalar(1.0).powi_scalar(2).mean().mul_scalar(0.5),
            Self::Hinge | Self::Wgan => fake.mean().neg(),
        }
    }
}

impl std::str::FromStr for AdversarialLoss {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "bce" => Ok(Self::Bce),
            "lsgan" => Ok(Self::Lsgan),
            "hinge" => Ok(Self::Hinge),
            "wgan" => Ok(Self::Wgan),
            other => Err(format!("unknown loss `{other}` (bce, lsgan, hinge, wgan)")),
        }
    }
}

/// `log(1 + e^x)`, stable for large `|x|`.
fn softplus<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    activation::relu(x.clone()) + x.abs().neg().exp().add_scalar(1.0).log()
}

/// A first-order Lipschitz penalty, the stand-in for WGAN-GP's gradient
/// penalty (which needs a double backward that burn does not have).
///
/// WGAN-GP asks the critic's gradient to have norm 1 at random points on
/// the lines between real and generated images. Here the critic `f` (the
/// mean patch score of an image) is evaluated at two points on each such
/// line, `x_t = fake + t·(real − fake)` and `x_{t+h}`, and the finite-difference
/// slope `|f(x_{t+h}) − f(x_t)| / (h·‖real − fake‖)` is penalised where it
/// exceeds 1: the mean of `max(0, slope − 1)²` (one-sided, as in Petzka et
/// al.'s Lipschitz penalty). `t` is `[N]` in `[0, 1]`, one per pair; `h` is
/// the step along the line as a fraction of its length.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::lipschitz_penalty;
/// let device = Default::default();
/// let real = Tensor::<CpuBackend, 4>::ones([1, 1, 2, 2], &device);
/// let fake = Tensor::<CpuBackend, 4>::zeros([1, 1, 2, 2], &device);
/// let t = Tensor::full([1], 0.5, &device);
/// // f(x) = 3·Σx/‖(1,1,1,1)‖ has slope 3 along the line: penalty (3 − 1)².
/// let critic = |x: Tensor<CpuBackend, 4>| x.sum_dim(3).sum_dim(2).mul_scalar(1.5);
/// let penalty = lipschitz_penalty(critic, real, fake, t, 0.1).into_scalar();
/// assert!((penalty - 4.0).abs() < 1e-4);
/// ```
pub fn lipschitz_penalty<B: Backend>(
    critic: impl Fn(Tensor<B, 4>) -> Tensor<B, 4>,
    real: Tensor<B, 4>,
    fake: Tensor<B, 4>,
    t: Tensor<B, 1>,
    h: f32,
) -> Tensor<B, 1> {
    let [n, ..] = real.dims();
    let line = real - fake.clone();
    let at = |t: Tensor<B, 1>| fake.clone() + line.clone() * t.reshape([n, 1, 1, 1]);
    let score = |x: Tensor<B, 4>| critic(x).reshape([n as i32, -1]).mean_dim(1);
    let rise = (score(at(t.clone().add_scalar(h))) - score(at(t))).abs();
    let run = line
        .reshape([n as i32, -1])
        .powi_scalar(2)
        .sum_dim(1)
        .sqrt()
        .mul_scalar(h)
        .add_scalar(1e-12);
    let slope = (rise / run).squeeze_dim::<1>(1);
    activation::relu(slope.sub_scalar(1.0))
        .powi_scalar(2)
        .mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_gan_style_runtime::device::CpuBackend;
    use burn::tensor::Distribution;

    #[test]
    fn the_penalty_is_zero_for_a_unit_norm_linear_critic() {
        let device = Default::default();
        CpuBackend::seed(&device, 5);
        let shape = [4, 3, 8, 8];
        let w =
            Tensor::<CpuBackend, 4>::random([1, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let w = w.clone() / w.powi_scalar(2).sum().sqrt().reshape([1, 1, 1, 1]);
        let critic = |scale: f32| {
            let w = w.clone().mul_scalar(scale);
            move |x: Tensor<CpuBackend, 4>| (x * w.clone()).sum_dim(3).sum_dim(2).sum_dim(1)
        };
        let real = Tensor::random(shape, Distribution::Normal(0.0, 1.0), &device);
        let fake = Tensor::random(shape, Distribution::Normal(0.5, 1.0), &device);
        let t = Tensor::random([4], Distribution::Uniform(0.0, 0.9), &device);
        let unit = lipschitz_penalty(critic(1.0), real.clone(), fake.clone(), t.clone(), 0.1);
        assert_eq!(unit.into_scalar(), 0.0);
        // Along the line real − fake, a critic whose weight is that direction
        // times 3 rises with slope 3: (3 − 1)² for every pair.
        let line = real.clone() - fake.clone();
        let norms = line
            .clone()
            .powi_scalar(2)
            .sum_dim(3)
            .sum_dim(2)
            .sum_dim(1)
            .sqrt();
        let steep = move |x: Tensor<CpuBackend, 4>| {
            (x * (line.clone() / norms.clone()).mul_scalar(3.0))
                .sum_dim(3)
                .sum_dim(2)
                .sum_dim(1)
        };
        let penalty = lipschitz_penalty(steep, real, fake, t, 0.1).into_scalar();
        assert!((penalty - 4.0).abs() < 1e-3, "{penalty}");
    }
}

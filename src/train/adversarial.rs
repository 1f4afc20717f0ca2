//! Adversarial losses on patch logits.

use burn::prelude::*;
use burn::tensor::activation;
use serde::{Deserialize, Serialize};

/// Which GAN objective trains the pair.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style::device::CpuBackend;
/// use bevy_gan_style::train::AdversarialLoss;
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
        }
    }

    /// The generator's loss on the logits of its patches.
    pub fn generator<B: Backend>(&self, fake: Tensor<B, 4>) -> Tensor<B, 1> {
        match self {
            Self::Bce => softplus(fake.neg()).mean(),
            Self::Lsgan => fake.sub_scalar(1.0).powi_scalar(2).mean().mul_scalar(0.5),
            Self::Hinge => fake.mean().neg(),
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
            other => Err(format!("unknown loss `{other}` (bce, lsgan, hinge)")),
        }
    }
}

/// `log(1 + e^x)`, stable for large `|x|`.
fn softplus<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    activation::relu(x.clone()) + x.abs().neg().exp().add_scalar(1.0).log()
}

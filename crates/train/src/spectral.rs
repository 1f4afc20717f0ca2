//! Spectral normalisation (Miyato et al., "Spectral Normalization for
//! Generative Adversarial Networks", ICLR 2018): a convolution's weight is
//! divided by its largest singular value, estimated by one power-iteration
//! step per training step, so that the layer is 1-Lipschitz as a matrix.
//! It needs no second-order gradients (burn has no double backward), which
//! is why it is this crate's main Lipschitz constraint.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::Distribution;

/// Power iterations run when a layer is created, so that the first
/// training steps already divide by a good estimate.
const WARM_UP: usize = 20;

/// The power-iteration state of one weight: the estimate of the leading
/// left singular vector of the weight reshaped to `[out, in·kh·kw]`. It is
/// a parameter so that checkpoints keep it, but it takes no gradient; the
/// optimiser never changes it.
///
/// ```
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_train::SpectralNorm;
/// let device = Default::default();
/// let weight = Tensor::<CpuBackend, 4>::ones([4, 2, 3, 3], &device);
/// let norm = SpectralNorm::new(weight.clone());
/// // A matrix of ones [4, 18] has one singular value, √(4·18).
/// assert!((norm.sigma(weight) - 72f32.sqrt()).abs() < 1e-3);
/// ```
#[derive(Module, Debug)]
pub struct SpectralNorm<B: Backend> {
    /// Unit vector `u` of length `out`.
    pub u: Param<Tensor<B, 1>>,
}

impl<B: Backend> SpectralNorm<B> {
    /// A random unit `u` for `weight`, refined by a few power iterations.
    pub fn new(weight: Tensor<B, 4>) -> Self {
        let [out, ..] = weight.dims();
        let u = Tensor::random([out], Distribution::Normal(0.0, 1.0), &weight.device());
        let mut norm = Self {
            u: Param::from_tensor(unit(u)).set_require_grad(false),
        };
        for _ in 0..WARM_UP {
            norm.power_iteration(weight.clone());
        }
        norm
    }

    /// One power-iteration step: `v = Wᵀu / ‖Wᵀu‖`, `u = Wv / ‖Wv‖`.
    pub fn power_iteration(&mut self, weight: Tensor<B, 4>) {
        let w = matrix(weight.detach());
        let u = self.u.val().detach();
        let v = unit(
            w.clone()
                .transpose()
                .matmul(u.unsqueeze_dim(1))
                .squeeze_dim(1),
        );
        let u = unit(w.matmul(v.unsqueeze_dim(1)).squeeze_dim(1));
        self.u = Param::initialized(self.u.id, u).set_require_grad(false);
    }

    /// The current estimate of the largest singular value of `weight`,
    /// `σ = uᵀ W v`.
    pub fn sigma(&self, weight: Tensor<B, 4>) -> f32 {
        self.sigma_tensor(weight.detach()).into_scalar().elem()
    }

    /// `weight / σ`. `u` and `v` are constants; the gradient flows through
    /// the weight in both the numerator and `σ`, as in the paper.
    pub fn normalise(&self, weight: Tensor<B, 4>) -> Tensor<B, 4> {
        let sigma = self.sigma_tensor(weight.clone());
        weight / sigma.reshape([1, 1, 1, 1])
    }

    fn sigma_tensor(&self, weight: Tensor<B, 4>) -> Tensor<B, 1> {
        let w = matrix(weight);
        let u = self.u.val().detach();
        let v = unit(
            w.clone()
                .detach()
                .transpose()
                .matmul(u.clone().unsqueeze_dim(1))
                .squeeze_dim(1),
        );
        let wv = w.matmul(v.unsqueeze_dim(1)).squeeze_dim::<1>(1);
        (u * wv).sum()
    }
}

/// `[out, in, kh, kw]` as the matrix `[out, in·kh·kw]`.
fn matrix<B: Backend>(weight: Tensor<B, 4>) -> Tensor<B, 2> {
    let [out, ..] = weight.dims();
    weight.reshape([out as i32, -1])
}

fn unit<B: Backend>(x: Tensor<B, 1>) -> Tensor<B, 1> {
    let norm = x.clone().powi_scalar(2).sum().sqrt().add_scalar(1e-12);
    x / norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_gan_style_nn::{Draw, SplitMix64};
    use bevy_gan_style_runtime::device::CpuBackend;
    use nalgebra::{DMatrix, SymmetricEigen};

    /// The largest singular value of `weight` as a matrix, from the
    /// eigenvalues of `W Wᵀ` in f64.
    fn largest_singular_value(weight: Tensor<CpuBackend, 4>) -> f64 {
        let w = matrix(weight);
        let [rows, cols] = w.dims();
        let w: Vec<f32> = w.into_data().to_vec().expect("f32");
        let w = DMatrix::from_row_iterator(rows, cols, w.into_iter().map(f64::from));
        let values = SymmetricEigen::new(&w * w.transpose()).eigenvalues;
        values.max().sqrt()
    }

    #[test]
    fn a_normalised_layer_has_spectral_norm_one() {
        let device = Default::default();
        // Drawn from a generator of the test's own: the backend's is shared
        // by the tests running beside it (which also draws `u`'s start).
        let mut rng = SplitMix64::seeded(3);
        let values: Vec<f32> = (0..16 * 8 * 4 * 4).map(|_| 0.3 * rng.normal()).collect();
        let weight =
            Tensor::<CpuBackend, 1>::from_floats(values.as_slice(), &device).reshape([16, 8, 4, 4]);
        let before = largest_singular_value(weight.clone());
        let mut norm = SpectralNorm::new(weight.clone());
        // The state of training, one more step per use, after some steps
        // (from an unlucky start, ten are not always enough for 1e-3).
        for _ in 0..60 {
            norm.power_iteration(weight.clone());
        }
        let estimate = norm.sigma(weight.clone()) as f64;
        let after = largest_singular_value(norm.normalise(weight));
        println!("σ {before:.5}, estimate {estimate:.5}, after normalising {after:.6}");
        assert!((estimate - before).abs() < 1e-3 * before);
        assert!((after - 1.0).abs() < 1e-3, "σ after normalising: {after}");
    }
}

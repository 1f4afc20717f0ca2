//! Distances between two sets of feature vectors: the Fréchet distance of
//! the Gaussians fitted to them (FID, Heusel et al. 2017; SIFID, Shaham et
//! al. 2019, on per-position features of one image) and the kernel
//! distance (KID, Bińkowski et al. 2018), an unbiased estimate that suits
//! the small sample counts of texture evaluation.

use super::linalg::{Features, sqrt_psd};

/// `‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)`: the Fréchet distance
/// between the Gaussians with the sets' means and (unbiased) covariances.
/// 0 for identical sets. `None` when the dimensions differ.
///
/// ```
/// use bevy_gan_style_train::eval::{Features, frechet_distance};
/// let a = Features::new(3, 1, vec![0.0, 1.0, 2.0]).unwrap();
/// let b = Features::new(3, 1, vec![3.0, 5.0, 7.0]).unwrap();
/// // Means 1 and 5, variances 1 and 4: (5 − 1)² + (1 − 2)².
/// assert!((frechet_distance(&a, &b).unwrap() - 17.0).abs() < 1e-9);
/// assert!(frechet_distance(&a, &a).unwrap().abs() < 1e-9);
/// ```
pub fn frechet_distance(a: &Features, b: &Features) -> Option<f64> {
    let d = a.dim();
    if b.dim() != d {
        return None;
    }
    let means: f64 = a
        .mean()
        .iter()
        .zip(b.mean())
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let (cov_a, cov_b) = (a.covariance_matrix(), b.covariance_matrix());
    // Σa^½ Σb Σa^½ is symmetric PSD and has the eigenvalues of Σa Σb, so the
    // trace of its square root is Tr((Σa Σb)^½) without a non-symmetric sqrtm.
    let root_a = sqrt_psd(cov_a.clone());
    let middle = &root_a * &cov_b * &root_a;
    // Symmetrised: rounding leaves it a hair off, and the eigensolver
    // reads one triangle.
    let cross = sqrt_psd((&middle + middle.transpose()) / 2.0).trace();
    Some((means + cov_a.trace() + cov_b.trace() - 2.0 * cross).max(0.0))
}

/// The squared maximum mean discrepancy with the cubic polynomial kernel
/// `k(x, y) = (xᵀy / d + 1)³`, unbiased (diagonal terms left out), between
/// the two whole sets. Near 0 (and possibly slightly negative) for sets from
/// one distribution. `None` when the dimensions differ or a set has fewer
/// than two samples.
///
/// ```
/// use bevy_gan_style_train::eval::{Features, kernel_distance};
/// let a = Features::new(3, 2, vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0]).unwrap();
/// let b = Features::new(2, 2, vec![4.0, 4.0, 5.0, 3.0]).unwrap();
/// assert!(kernel_distance(&a, &b).unwrap() > 100.0);
/// ```
pub fn kernel_distance(a: &Features, b: &Features) -> Option<f64> {
    let d = a.dim();
    let (m, n) = (a.rows(), b.rows());
    if b.dim() != d || m < 2 || n < 2 {
        return None;
    }
    // All pairs' kernel values at once: (x·y / d + 1)³.
    let kernel = |x: &Features, y: &Features| {
        (x.matrix() * y.matrix().transpose()).map(|dot| (dot / d as f64 + 1.0).powi(3))
    };
    let within = |f: &Features| {
        let k = kernel(f, f);
        let rows = f.rows() as f64;
        (k.sum() - k.trace()) / (rows * (rows - 1.0))
    };
    let across = kernel(a, b).sum() / (m * n) as f64;
    Some(within(a) + within(b) - 2.0 * across)
}

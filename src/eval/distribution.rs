//! Distances between two sets of feature vectors: the Fréchet distance of
//! the Gaussians fitted to them (FID, Heusel et al. 2017; SIFID, Shaham et
//! al. 2019, on per-position features of one image) and the kernel
//! distance (KID, Bińkowski et al. 2018), an unbiased estimate that suits
//! the small sample counts of texture evaluation.

use super::linalg::{Features, matmul, sqrt_psd};

/// `‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)`: the Fréchet distance
/// between the Gaussians with the sets' means and (unbiased) covariances.
/// 0 for identical sets. `None` when the dimensions differ.
///
/// ```
/// use bevy_gan_style::eval::{Features, frechet_distance};
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
    let (mean_a, mean_b) = (a.mean(), b.mean());
    let (cov_a, cov_b) = (a.covariance(), b.covariance());
    let means: f64 = mean_a
        .iter()
        .zip(&mean_b)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let trace = |m: &[f64]| (0..d).map(|i| m[i * d + i]).sum::<f64>();
    // Σa^½ Σb Σa^½ is symmetric PSD and has the eigenvalues of Σa Σb, so the
    // trace of its square root is Tr((Σa Σb)^½) without a non-symmetric sqrtm.
    let root_a = sqrt_psd(&cov_a, d);
    let middle = matmul(&matmul(&root_a, &cov_b, d), &root_a, d);
    let cross = trace(&sqrt_psd(&middle, d));
    Some((means + trace(&cov_a) + trace(&cov_b) - 2.0 * cross).max(0.0))
}

/// The squared maximum mean discrepancy with the cubic polynomial kernel
/// `k(x, y) = (xᵀy / d + 1)³`, unbiased (diagonal terms left out), between
/// the two whole sets. Near 0 (and possibly slightly negative) for sets from
/// one distribution. `None` when the dimensions differ or a set has fewer
/// than two samples.
///
/// ```
/// use bevy_gan_style::eval::{Features, kernel_distance};
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
    let k = |x: &[f64], y: &[f64]| {
        let dot: f64 = x.iter().zip(y).map(|(x, y)| x * y).sum();
        (dot / d as f64 + 1.0).powi(3)
    };
    let within = |f: &Features| {
        let rows = f.rows();
        let mut sum = 0.0;
        for i in 0..rows {
            for j in i + 1..rows {
                sum += 2.0 * k(f.row(i), f.row(j));
            }
        }
        sum / (rows * (rows - 1)) as f64
    };
    let mut across = 0.0;
    for i in 0..m {
        for j in 0..n {
            across += k(a.row(i), b.row(j));
        }
    }
    Some(within(a) + within(b) - 2.0 * across / (m * n) as f64)
}

//! Sample sets as matrices (nalgebra, f64), and the matrix square root the
//! Fréchet distance needs.

use nalgebra::{DMatrix, SymmetricEigen};

/// `rows × dim` samples.
///
/// ```
/// use bevy_gan_style_train::eval::Features;
/// let f = Features::new(2, 2, vec![1.0, 2.0, 3.0, 6.0]).unwrap();
/// assert_eq!(f.mean(), vec![2.0, 4.0]);
/// // Unbiased (n − 1) covariance.
/// assert_eq!(f.covariance(), vec![2.0, 4.0, 4.0, 8.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Features(DMatrix<f64>);

impl Features {
    /// `values` (row-major) must hold `rows × dim` numbers; `None`
    /// otherwise.
    pub fn new(rows: usize, dim: usize, values: Vec<f64>) -> Option<Self> {
        (values.len() == rows * dim).then(|| Self(DMatrix::from_row_slice(rows, dim, &values)))
    }

    /// Number of samples.
    pub fn rows(&self) -> usize {
        self.0.nrows()
    }

    /// Dimension of a sample.
    pub fn dim(&self) -> usize {
        self.0.ncols()
    }

    /// The samples, one per row.
    pub(crate) fn matrix(&self) -> &DMatrix<f64> {
        &self.0
    }

    /// The mean sample.
    pub fn mean(&self) -> Vec<f64> {
        self.0.row_mean().iter().copied().collect()
    }

    /// The unbiased sample covariance, `dim × dim` (symmetric, so row- and
    /// column-major alike; as numpy's `np.cov(x, rowvar=False)`).
    pub fn covariance(&self) -> Vec<f64> {
        self.covariance_matrix().as_slice().to_vec()
    }

    /// [`Self::covariance`] as a matrix.
    pub(crate) fn covariance_matrix(&self) -> DMatrix<f64> {
        let mean = self.0.row_mean();
        let centred = DMatrix::from_fn(self.rows(), self.dim(), |i, j| self.0[(i, j)] - mean[j]);
        centred.tr_mul(&centred) / (self.rows().max(2) - 1) as f64
    }
}

/// The square root of a symmetric positive semi-definite matrix (negative
/// eigenvalues from rounding are taken as 0).
pub(crate) fn sqrt_psd(a: DMatrix<f64>) -> DMatrix<f64> {
    let eigen = SymmetricEigen::new(a);
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    let vectors = &eigen.eigenvectors;
    vectors * DMatrix::from_diagonal(&roots) * vectors.transpose()
}

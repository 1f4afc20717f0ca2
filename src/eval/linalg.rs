//! The little dense linear algebra the distribution metrics need, in f64:
//! means, covariances and the eigen-decomposition of symmetric matrices
//! (cyclic Jacobi; a few hundred dimensions at most here).

/// `rows × dim` samples, row-major.
///
/// ```
/// use bevy_gan_style::eval::Features;
/// let f = Features::new(2, 2, vec![1.0, 2.0, 3.0, 6.0]).unwrap();
/// assert_eq!(f.mean(), vec![2.0, 4.0]);
/// // Unbiased (n − 1) covariance.
/// assert_eq!(f.covariance(), vec![2.0, 4.0, 4.0, 8.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    rows: usize,
    dim: usize,
    values: Vec<f64>,
}

impl Features {
    /// `values` must hold `rows × dim` numbers; `None` otherwise.
    pub fn new(rows: usize, dim: usize, values: Vec<f64>) -> Option<Self> {
        (values.len() == rows * dim).then_some(Self { rows, dim, values })
    }

    /// Number of samples.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Dimension of a sample.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Sample `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// The mean sample.
    pub fn mean(&self) -> Vec<f64> {
        let mut mean = vec![0.0; self.dim];
        for i in 0..self.rows {
            for (m, x) in mean.iter_mut().zip(self.row(i)) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= self.rows.max(1) as f64);
        mean
    }

    /// The unbiased sample covariance, `dim × dim` row-major (as numpy's
    /// `np.cov(x, rowvar=False)`).
    pub fn covariance(&self) -> Vec<f64> {
        let (d, mean) = (self.dim, self.mean());
        let mut cov = vec![0.0; d * d];
        let mut centred = vec![0.0; d];
        for i in 0..self.rows {
            for ((c, x), m) in centred.iter_mut().zip(self.row(i)).zip(&mean) {
                *c = x - m;
            }
            for a in 0..d {
                let ca = centred[a];
                for b in a..d {
                    cov[a * d + b] += ca * centred[b];
                }
            }
        }
        let scale = 1.0 / (self.rows.max(2) - 1) as f64;
        for a in 0..d {
            for b in a..d {
                let v = cov[a * d + b] * scale;
                cov[a * d + b] = v;
                cov[b * d + a] = v;
            }
        }
        cov
    }
}

/// Eigenvalues and eigenvectors (columns of the returned row-major
/// `n × n` matrix) of the symmetric `n × n` matrix `a`.
pub(crate) fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..60 {
        let off: f64 = (0..n)
            .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
            .map(|(p, q)| a[p * n + q] * a[p * n + q])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * norm.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Golub & Van Loan 8.5.2).
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// The square root of a symmetric positive semi-definite matrix (negative
/// eigenvalues from rounding are taken as 0).
pub(crate) fn sqrt_psd(a: &[f64], n: usize) -> Vec<f64> {
    let (values, vectors) = symmetric_eigen(a, n);
    let roots: Vec<f64> = values.iter().map(|&l| l.max(0.0).sqrt()).collect();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let v: f64 = (0..n)
                .map(|k| vectors[i * n + k] * roots[k] * vectors[j * n + k])
                .sum();
            out[i * n + j] = v;
            out[j * n + i] = v;
        }
    }
    out
}

/// `a · b` for `n × n` row-major matrices.
pub(crate) fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            if aik == 0.0 {
                continue;
            }
            for j in 0..n {
                out[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_decomposition_rebuilds_the_matrix() {
        let n = 5;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = ((i * 7 + j * 3) % 5) as f64 + ((j * 7 + i * 3) % 5) as f64;
            }
        }
        let (values, vectors) = symmetric_eigen(&a, n);
        for i in 0..n {
            for j in 0..n {
                let rebuilt: f64 = (0..n)
                    .map(|k| vectors[i * n + k] * values[k] * vectors[j * n + k])
                    .sum();
                assert!((rebuilt - a[i * n + j]).abs() < 1e-10);
            }
        }
        let root = sqrt_psd(&matmul(&a, &a, n), n);
        // √(A²) = |A|: its eigenvalues are those of A in absolute value.
        let mut expected: Vec<f64> = values.iter().map(|v| v.abs()).collect();
        let mut got = symmetric_eigen(&root, n).0;
        expected.sort_by(f64::total_cmp);
        got.sort_by(f64::total_cmp);
        for (e, g) in expected.iter().zip(&got) {
            assert!((e - g).abs() < 1e-8, "{e} vs {g}");
        }
    }
}

"""Reference values for the distribution metrics (tests/integration/metrics.rs),
computed with numpy alone:

    python3 tests/data/metrics_reference.py

writes tests/data/metrics_reference.safetensors:
- `a` [40, 6], `b` [50, 6]: two random feature sets (f32); `fid`, `kid`:
  numpy's FID (trace of the square root through the eigenvalues of Σa·Σb,
  not a symmetric square root) and unbiased KID (cubic kernel) between them;
- `gauss_a` [60, 5], `gauss_b` [70, 5]: samples whose sample mean and
  covariance are exactly μa, Σa and μb, Σb, two Gaussians whose covariances
  share eigenvectors, so FID has the closed form
  ‖μa − μb‖² + Σ (√λa − √λb)²: `gauss_fid`.
"""
import numpy as np
from safetensors.numpy import save_file

rng = np.random.default_rng(17)


def fid(a, b):
    ma, mb = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ev = np.linalg.eigvals(ca @ cb)
    cross = np.sqrt(np.clip(ev.real, 0, None)).sum()
    return ((ma - mb) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * cross


def kid(x, y):
    d, m, n = x.shape[1], len(x), len(y)
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


def exact(n, mean, cov):
    """n samples with exactly this sample mean and (n − 1) covariance."""
    z = rng.standard_normal((n, len(mean)))
    z -= z.mean(0)
    w, v = np.linalg.eigh(np.cov(z, rowvar=False))
    z = z @ v @ np.diag(w ** -0.5) @ v.T
    w, v = np.linalg.eigh(cov)
    return z @ (v @ np.diag(np.sqrt(w)) @ v.T) + mean


a = rng.standard_normal((40, 6)).astype(np.float32)
b = (rng.standard_normal((50, 6)) * 1.5 + 0.3).astype(np.float32)
a64, b64 = a.astype(np.float64), b.astype(np.float64)

q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
la, lb = np.array([4.0, 2.0, 1.0, 0.5, 0.25]), np.array([1.0, 3.0, 0.5, 2.0, 1.0])
ma, mb = np.array([0.0, 1.0, -1.0, 0.5, 2.0]), np.array([1.0, 1.0, 0.0, -0.5, 2.5])
ga = exact(60, ma, q @ np.diag(la) @ q.T).astype(np.float32)
gb = exact(70, mb, q @ np.diag(lb) @ q.T).astype(np.float32)
closed = ((ma - mb) ** 2).sum() + ((np.sqrt(la) - np.sqrt(lb)) ** 2).sum()
# The f32 rounding of the samples moves their moments a little.
print("closed form", closed, "numpy on the f32 samples", fid(ga.astype(np.float64), gb.astype(np.float64)))

save_file({
    "a": a, "b": b,
    "fid": np.array([fid(a64, b64)], np.float32),
    "kid": np.array([kid(a64, b64)], np.float32),
    "gauss_a": ga, "gauss_b": gb,
    "gauss_fid": np.array([closed], np.float32),
}, "tests/data/metrics_reference.safetensors")
print("fid", fid(a64, b64), "kid", kid(a64, b64))

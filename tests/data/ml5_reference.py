"""Reference output of the ml5 "wave" network for tests/integration/losses
parity, computed with numpy from the shipped weights (TensorFlow semantics:
HWIO kernels, "SAME" padding, conv2d_transpose as the gradient of a strided
convolution, instance norm with eps 1e-3, tanh * 150 + 127.5).

    python3 tests/data/ml5_reference.py

writes tests/data/ml5_wave_reference.safetensors: `input` [1,3,20,16] in
[0,255] and `output` [1,3,20,16].
"""
import numpy as np
from safetensors.numpy import load_file, save_file

W = {k: v.astype(np.float64) for k, v in load_file("assets/models/ml5_wave.safetensors").items()}


def var(i):
    return W["Variable" if i == 0 else f"Variable_{i}"]


def conv(x, k, stride):
    # x [H, W, C] ; k [kh, kw, in, out]; TF SAME
    h, w, _ = x.shape
    kh = k.shape[0]
    oh, ow = -(-h // stride), -(-w // stride)
    ph = max((oh - 1) * stride + kh - h, 0)
    pw = max((ow - 1) * stride + kh - w, 0)
    p = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    out = np.zeros((oh, ow, k.shape[3]))
    for dy in range(kh):
        for dx in range(kh):
            patch = p[dy:dy + stride * oh:stride, dx:dx + stride * ow:stride, :]
            out += patch @ k[dy, dx]
    return out


def conv_transpose(x, k):
    # k [kh, kw, out, in]; stride 2, SAME: out = 2·in; gradient of conv with
    # pad_before 0.
    h, w, _ = x.shape
    kh = k.shape[0]
    out = np.zeros((2 * h + kh, 2 * w + kh, k.shape[2]))
    for i in range(h):
        for j in range(w):
            for dy in range(kh):
                for dx in range(kh):
                    out[2 * i + dy, 2 * j + dx] += k[dy, dx] @ x[i, j]
    return out[:2 * h, :2 * w]


def norm(x, index):
    mu = x.mean(axis=(0, 1))
    var_ = x.var(axis=(0, 1))
    return var(index + 2) * (x - mu) / np.sqrt(var_ + 1e-3) + var(index + 1)


def main():
    rng = np.random.default_rng(3)
    image = (rng.random((20, 16, 3)) * 255).astype(np.float32)
    x = image.astype(np.float64)
    relu = lambda t: np.maximum(t, 0)
    x = relu(norm(conv(x, var(0), 1), 0))
    x = relu(norm(conv(x, var(3), 2), 3))
    x = relu(norm(conv(x, var(6), 2), 6))
    for b in range(5):
        i = 9 + 6 * b
        y = relu(norm(conv(x, var(i), 1), i))
        x = x + norm(conv(y, var(i + 3), 1), i + 3)
    x = relu(norm(conv_transpose(x, var(39)), 39))
    x = relu(norm(conv_transpose(x, var(42)), 42))
    x = norm(conv(x, var(45), 1), 45)
    out = np.clip(np.tanh(x) * 150 + 127.5, 0, 255)
    save_file(
        {
            "input": image.transpose(2, 0, 1)[None].copy(),
            "output": out.astype(np.float32).transpose(2, 0, 1)[None].copy(),
        },
        "tests/data/ml5_wave_reference.safetensors",
    )
    print("output mean", out.mean(), "std", out.std())


main()

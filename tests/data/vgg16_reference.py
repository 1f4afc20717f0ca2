"""Reference VGG16 features for tests/integration/losses.rs, computed with
numpy (no burn) from the shipped f16 weights, upcast to f32.

    python3 tests/data/vgg16_reference.py

writes tests/data/vgg16_reference.safetensors: `input` [1,3,16,16] in [0,1],
its features `relu1_2` … `relu5_3`, a second image `input_b` and `lpips`,
the LPIPS-VGG distance between the two (shipped heads).
"""
import numpy as np
from safetensors.numpy import load_file, save_file

W = load_file("assets/training/vgg16_features.safetensors")
INDEX = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
BLOCKS = [2, 2, 3, 3, 3]
NAMES = ["relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"]


def conv3x3(x, w, b):
    # x [C,H,W], w [O,C,3,3], zero padding 1, stride 1
    c, h, wd = x.shape
    p = np.zeros((c, h + 2, wd + 2), np.float64)
    p[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], h, wd), np.float64)
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("oc,chw->ohw", w[:, :, dy, dx], p[:, dy:dy + h, dx:dx + wd])
    return out + b[:, None, None]


def features(image):
    mean = np.array([0.485, 0.456, 0.406])[:, None, None]
    std = np.array([0.229, 0.224, 0.225])[:, None, None]
    x = (image[0].astype(np.float64) - mean) / std
    taps = []
    conv = iter(INDEX)
    for block, count in enumerate(BLOCKS):
        if block > 0:
            c, h, w = x.shape
            x = x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))
        for _ in range(count):
            i = next(conv)
            weight = W[f"features.{i}.weight"].astype(np.float64)
            bias = W[f"features.{i}.bias"].astype(np.float64)
            x = np.maximum(conv3x3(x, weight, bias), 0.0)
        taps.append(x)
    return taps


def lpips(a, b):
    heads = load_file("assets/training/lpips_vgg_lin.safetensors")
    unit = lambda f: f / (np.sqrt((f ** 2).sum(axis=0, keepdims=True)) + 1e-10)
    total = 0.0
    for k, (fa, fb) in enumerate(zip(features(a), features(b))):
        w = heads[f"lin{k}.model.1.weight"].astype(np.float64).reshape(-1, 1, 1)
        total += ((unit(fa) - unit(fb)) ** 2 * w).sum(axis=0).mean()
    return total


def main():
    rng = np.random.default_rng(7)
    image = rng.random((1, 3, 16, 16)).astype(np.float32)
    other = np.clip(image + rng.normal(0, 0.2, image.shape), 0, 1).astype(np.float32)
    out = {"input": image, "input_b": other}
    for name, tap in zip(NAMES, features(image)):
        out[name] = tap[None].astype(np.float32)
    out["lpips"] = np.array([lpips(image, other)], np.float32)
    save_file(out, "tests/data/vgg16_reference.safetensors")
    for k, v in out.items():
        print(k, v.shape, float(np.abs(v).mean()))


main()

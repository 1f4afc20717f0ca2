"""Reference pool features of torchvision's Inception-v3 for
`metrics::inception_v3_matches_torchvision` (needs torch and torchvision):

    python3 tests/data/inception_reference.py [FULL.pth]

Pretrained Inception weights cannot be shipped, so every float tensor of the
state dict is filled from a formula the test repeats: SplitMix64 seeded with
the FNV-1a hash of the tensor's name, uniform in a range per kind
(convolutions He-uniform, batch-norm weight and running variance in
[0.5, 1.5), bias and running mean in [-0.2, 0.2)).

Writes
- tests/data/inception_reference.safetensors: `input` [2, 3, 64, 64] in
  [0, 1] and `pool` [2, 2048], the model's features of that input resized
  bilinearly (align_corners=False) to 299² and scaled to [-1, 1];
- tests/data/inception_stem.pth: `torch.save` of the stem convolution's
  tensors, an auxiliary-classifier tensor and `fc.bias`, for the `.pth` path;
- FULL.pth when given: the whole state dict (about 100 MB), to check the
  `.pth` path end to end by hand.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from safetensors.numpy import save_file

GAMMA = np.uint64(0x9E3779B97F4A7C15)


def fnv1a(name):
    h = 0xCBF29CE484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001B3) % (1 << 64)
    return h


def uniform(seed, n):
    """SplitMix64::new(seed).uniform() n times, as in src/nn/psgan.rs."""
    with np.errstate(over="ignore"):
        state = np.uint64(seed) ^ GAMMA
        z = state + np.arange(1, n + 1, dtype=np.uint64) * GAMMA
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float32) / np.float32(1 << 24)


def formula(name, shape):
    if name.endswith("conv.weight"):
        a = np.float32(np.sqrt(6.0 / int(np.prod(shape[1:]))))
        lo, hi = -a, a
    elif name.endswith("bn.weight") or name.endswith("running_var"):
        lo, hi = np.float32(0.5), np.float32(1.5)
    else:
        lo, hi = np.float32(-0.2), np.float32(0.2)
    u = uniform(fnv1a(name), int(np.prod(shape)))
    return (lo + (hi - lo) * u).astype(np.float32).reshape(shape)


model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
state = model.state_dict()
for name, tensor in state.items():
    if name.startswith(("Conv2d_", "Mixed_")) and tensor.is_floating_point():
        state[name] = torch.from_numpy(formula(name, tuple(tensor.shape)))
model.load_state_dict(state)
model.fc = torch.nn.Identity()
model.eval()

rng = np.random.default_rng(5)
image = rng.random((2, 3, 64, 64), dtype=np.float32)
with torch.no_grad():
    x = F.interpolate(torch.from_numpy(image), size=(299, 299), mode="bilinear", align_corners=False)
    pool = model(2 * x - 1).numpy()
print("pool features", pool.shape, "mean", pool.mean(), "max", pool.max())
save_file({"input": image, "pool": pool}, "tests/data/inception_reference.safetensors")

stem = {k: v for k, v in state.items() if k.startswith("Conv2d_1a_3x3.")}
stem["AuxLogits.fc.bias"] = state["AuxLogits.fc.bias"]
stem["fc.bias"] = torch.zeros(1000)
torch.save(stem, "tests/data/inception_stem.pth")
if len(sys.argv) > 1:
    torch.save(state, sys.argv[1])

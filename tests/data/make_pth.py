"""Writes a PyTorch-format (zip) state dict from safetensors, without torch:
fake `torch` modules let pickle name torch's rebuild function and storage
class, as `torch.save` does. The fixture of
`style_training::vgg16_reads_pytorch_state_dicts` (torchvision's first two
VGG16 convolutions, upcast to f32):

    python3 tests/data/make_pth.py assets/training/vgg16_features.safetensors \
        tests/data/vgg16_first_two_convs.pth \
        features.0.weight features.0.bias features.2.weight features.2.bias
"""
import sys, types, pickle, zipfile, collections, io
import numpy as np
from safetensors.numpy import load_file

torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
class FloatStorage: pass
FloatStorage.__module__ = "torch"
torch.FloatStorage = FloatStorage; torch._utils = utils
sys.modules["torch"] = torch; sys.modules["torch._utils"] = utils

class Storage:
    def __init__(self, key, n): self.key, self.n = key, n
class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape
    def __reduce__(self):
        stride = tuple(int(np.prod(self.shape[i+1:])) for i in range(len(self.shape)))
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), stride, False, collections.OrderedDict()))

class P(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.n)
        return None

src, out, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
w = load_file(src)
state = collections.OrderedDict(); blobs = {}
for i, k in enumerate(keys):
    a = w[k].astype(np.float32)
    blobs[str(i)] = a.tobytes()
    state[k] = Tensor(Storage(str(i), a.size), a.shape)
buf = io.BytesIO(); P(buf, protocol=2).dump(state)
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", buf.getvalue())
    z.writestr("archive/byteorder", "little")
    for k, b in blobs.items(): z.writestr(f"archive/data/{k}", b)
    z.writestr("archive/version", "3\n")

"""onnxruntime timing of multistyle26 for the side-by-side benchmark.

Usage: python3 ort_multistyle.py MODEL.onnx WxH [WxH ...]
Prints one line per size: `WxH <median ms>`.
"""
import sys
import time

import numpy as np
import onnxruntime as ort

RUNS = 5


def main() -> None:
    session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
    style = np.zeros(26, dtype=np.float32)
    style[0] = 1.0
    for size in sys.argv[2:]:
        width, height = (int(v) for v in size.split("x"))
        image = np.random.default_rng(0).random((1, 3, height, width), dtype=np.float32)
        feeds = {"image": image, "style_weights": style}
        session.run(None, feeds)  # warm-up
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            session.run(None, feeds)
            times.append((time.perf_counter() - start) * 1e3)
        print(f"{size} {sorted(times)[len(times) // 2]:.2f}", flush=True)


if __name__ == "__main__":
    main()

"""onnxruntime timing of Magenta's arbitrary-style float models for the
side-by-side benchmark.

Usage: python3 ort_arbitrary.py PREDICT.onnx TRANSFORM.onnx RUNS WxH [WxH ...]
Prints `predict <median ms>` (256x256 style image), then one line per
content size: `WxH <median ms>` (transformer only).
"""
import sys
import time

import numpy as np
import onnxruntime as ort


def median_ms(session, feeds, runs):
    session.run(None, feeds)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[len(times) // 2]


def main() -> None:
    providers = ["CPUExecutionProvider"]
    predict = ort.InferenceSession(sys.argv[1], providers=providers)
    transform = ort.InferenceSession(sys.argv[2], providers=providers)
    runs = int(sys.argv[3])
    rng = np.random.default_rng(0)
    style_image = rng.random((1, 256, 256, 3), dtype=np.float32)
    feeds = {predict.get_inputs()[0].name: style_image}
    print(f"predict {median_ms(predict, feeds, runs):.2f}", flush=True)
    style = predict.run(None, feeds)[0]
    for size in sys.argv[4:]:
        width, height = (int(v) for v in size.split("x"))
        content = rng.random((1, height, width, 3), dtype=np.float32)
        feeds = {
            i.name: (content if "content" in i.name else style) for i in transform.get_inputs()
        }
        print(f"{size} {median_ms(transform, feeds, runs):.2f}", flush=True)


if __name__ == "__main__":
    main()

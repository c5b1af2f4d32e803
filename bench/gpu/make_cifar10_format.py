#!/usr/bin/env python3
"""Writes a CIFAR-10-format set (data_batch_1..5.bin, test_batch.bin, batches.meta.txt) of
class-dependent synthetic images, for timing GEAR's CIFAR-10 pipelines where the real set
cannot be downloaded. Each class is a fixed smooth colour pattern plus per-image noise and a
random shift, so the nets learn something; the accuracies mean nothing, the times do.

Usage: make_cifar10_format.py OUT_DIR [--seed 0]
"""
import argparse
import os

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    coarse = rng.uniform(0, 255, size=(10, 3, 4, 4))
    patterns = coarse.repeat(8, axis=2).repeat(8, axis=3)  # 10 x 3 x 32 x 32

    def batch(n):
        labels = rng.integers(0, 10, size=n)
        shifts = rng.integers(-3, 4, size=(n, 2))
        images = patterns[labels]
        for i in range(n):  # a per-image shift, so that the classes are not one pixel apart
            images[i] = np.roll(images[i], tuple(shifts[i]), axis=(1, 2))
        images = images * 0.6 + rng.normal(100, 40, size=images.shape)
        records = np.empty((n, 1 + 3 * 32 * 32), dtype=np.uint8)
        records[:, 0] = labels
        records[:, 1:] = np.clip(images, 0, 255).reshape(n, -1)
        return records.tobytes()

    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(batch(10000))
    with open(os.path.join(args.out, "batches.meta.txt"), "w") as f:
        f.write("\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                           "horse", "ship", "truck"]) + "\n")


if __name__ == "__main__":
    main()

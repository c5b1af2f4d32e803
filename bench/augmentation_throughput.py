#!/usr/bin/python3
"""GEAR's AugMix and ERA vs the reference per-image Pillow AugMix: augmentation throughput,
side by side in one invocation.

The reference is this file's own faithful re-implementation of google-research/augmix's
`augmentations.py` + `cifar.py::aug` + `AugMixDataset` (per image: Pillow ops, ToTensor,
Normalize, Dirichlet/Beta mixing in torch), producing what one training sample needs with JSD:
(clean, augmix, augmix). GEAR produces the same three views per image, batched. Same images
(random 32x32x3 uint8), same batch (128), same threads: the reference runs in 1 or 2 worker
processes (a DataLoader's parallelism), GEAR with 1 or 2 LibTorch threads. Configurations are
interleaved and repeated; medians are reported.

Usage: /usr/bin/python3 bench/augmentation_throughput.py [--bench build/bin/gear_bench_augment]
"""
import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import time

import numpy as np
import torch
from PIL import Image, ImageOps
from torchvision import transforms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE, BATCH = 32, 128


def int_parameter(level, maxval):
    return int(level * maxval / 10)


def float_parameter(level, maxval):
    return float(level) * maxval / 10.0


def sample_level(n):
    return np.random.uniform(low=0.1, high=n)


def signed(v):
    return -v if np.random.uniform() > 0.5 else v


def autocontrast(img, _):
    return ImageOps.autocontrast(img)


def equalize(img, _):
    return ImageOps.equalize(img)


def posterize(img, severity):
    return ImageOps.posterize(img, 4 - int_parameter(sample_level(severity), 4))


def rotate(img, severity):
    degrees = signed(int_parameter(sample_level(severity), 30))
    return img.rotate(degrees, resample=Image.BILINEAR)


def solarize(img, severity):
    return ImageOps.solarize(img, 256 - int_parameter(sample_level(severity), 256))


def affine(img, coeffs):
    return img.transform((SIZE, SIZE), Image.AFFINE, coeffs, resample=Image.BILINEAR)


def shear_x(img, severity):
    return affine(img, (1, signed(float_parameter(sample_level(severity), 0.3)), 0, 0, 1, 0))


def shear_y(img, severity):
    return affine(img, (1, 0, 0, signed(float_parameter(sample_level(severity), 0.3)), 1, 0))


def translate_x(img, severity):
    return affine(img, (1, 0, signed(int_parameter(sample_level(severity), SIZE / 3)), 0, 1, 0))


def translate_y(img, severity):
    return affine(img, (1, 0, 0, 0, 1, signed(int_parameter(sample_level(severity), SIZE / 3))))


OPS = [autocontrast, equalize, posterize, rotate, solarize, shear_x, shear_y, translate_x,
       translate_y]
# The reference's preprocessing, as cifar.py builds it.
preprocess = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])


def aug(image, width=3, depth=-1, severity=3):
    ws = np.float32(np.random.dirichlet([1] * width))
    m = np.float32(np.random.beta(1, 1))
    mix = torch.zeros_like(preprocess(image))
    for i in range(width):
        image_aug = image.copy()
        d = depth if depth > 0 else np.random.randint(1, 4)
        for _ in range(d):
            image_aug = np.random.choice(OPS)(image_aug, severity)
        mix += ws[i] * preprocess(image_aug)
    return (1 - m) * preprocess(image) + m * mix


def reference_worker(args):
    seed, count, policy = args
    torch.set_num_threads(1)
    np.random.seed(seed)
    rng = np.random.RandomState(seed)
    images = [Image.fromarray(rng.randint(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
              for _ in range(count)]
    width, depth, severity = (3, -1, 3) if policy == "augmix" else (1, 3, 4)
    start = time.perf_counter()
    for img in images:
        (preprocess(img), aug(img, width, depth, severity), aug(img, width, depth, severity))
    return time.perf_counter() - start


def reference_rate(policy, threads, images):
    per = images // threads
    if threads == 1:
        return images / reference_worker((1, images, policy))
    with multiprocessing.Pool(threads) as pool:
        start = time.perf_counter()
        pool.map(reference_worker, [(s + 1, per, policy) for s in range(threads)])
        # Pool start-up is excluded: time the work inside the workers, run concurrently.
        elapsed = time.perf_counter() - start
    return per * threads / elapsed


def gear_rate(bench, policy, threads, images):
    out = subprocess.run([bench, policy, str(BATCH), str(threads), str(images), str(SIZE), "3", "1"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["images_per_second"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default=os.path.join(ROOT, "build/bin/gear_bench_augment"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference-images", type=int, default=512)
    parser.add_argument("--gear-images", type=int, default=4096)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/augmentation_throughput.json"))
    args = parser.parse_args()
    rates = {}
    for r in range(args.repeats):
        for policy in ("augmix", "era"):
            for threads in (1, 2):
                ref = reference_rate(policy, threads, args.reference_images)
                gear = gear_rate(args.bench, policy, threads, args.gear_images)
                rates.setdefault((policy, threads), []).append((ref, gear))
                print(f"repeat {r} {policy} threads {threads}: reference {ref:.0f} img/s, "
                      f"GEAR {gear:.0f} img/s ({gear / ref:.1f}x)", flush=True)
    rows = []
    for (policy, threads), pairs in rates.items():
        ref = statistics.median(p[0] for p in pairs)
        gear = statistics.median(p[1] for p in pairs)
        rows.append({"policy": policy, "threads": threads, "reference_images_per_second": round(ref, 1),
                     "gear_images_per_second": round(gear, 1), "speedup": round(gear / ref, 2)})
    result = {"what": "augmentation throughput, JSD triple (clean + 2 augmented views) per image, "
                      "32x32x3, batch 128; reference = per-image Pillow AugMix (this script)",
              "machine": platform.platform(), "cpus": os.cpu_count(), "repeats": args.repeats,
              "target_speedup": 20, "rows": rows}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

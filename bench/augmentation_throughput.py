#!/usr/bin/python3
"""GEAR's AugMix and ERA vs the reference's per-image Pillow AugMix: JSD-triple throughput, side
by side in one invocation.

What one JSD training sample needs: the clean view and two augmented views. The reference is
google-research/augmix (`augmentations.py` ops on a PIL image, the `aug` mixing of `cifar.py`),
written here twice:
  pillow   the ops as Pillow ImageOps/Image calls per image, the mixing in NumPy float32 (the
           reference's `augment_and_mix`, without its uint8<->float round trip after every op,
           which only slows it): the fast faithful baseline every speedup is reported against;
  torch    the same ops, mixed through torchvision ToTensor/Normalize and torch arithmetic per
           image (cifar.py's `preprocess`), about half as fast at these sizes; recorded for
           comparison only.
ERA uses AugMix's machinery with one chain of 3 ops at severity 4; its triple is (clean, era,
era). GEAR makes the same triples per batch (`augmix` and `era` with jsd on and 2 views; crop and
flip off, as the reference's AugMix does neither). Same images (random uint8), 32x32x3 and
28x28x1, batch 128, same cores: the reference in 1 or 2 worker processes (one per core, a
DataLoader's parallelism), GEAR with 1 or 2 LibTorch threads. Configurations are interleaved and
repeated; medians are reported.

Usage: /usr/bin/python3 bench/augmentation_throughput.py [--bench build/bin/gear_bench_augment]
       [--repeats 3]
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
BATCH = 128
SHAPES = [(32, 3), (28, 1)]  # (side, channels)
# The image side the ops see (the reference's IMAGE_SIZE); set per worker.
SIZE = 32


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
POLICIES = {"augmix": (3, -1, 3), "era": (1, 3, 4)}  # (width, depth, severity)


def chain(image, depth, severity):
    image_aug = image.copy()
    d = depth if depth > 0 else np.random.randint(1, 4)
    for _ in range(d):
        image_aug = np.random.choice(OPS)(image_aug, severity)
    return image_aug


def torch_preprocess(channels):
    """cifar.py's preprocess: ToTensor + Normalize(0.5, 0.5) per image."""
    return transforms.Compose([transforms.ToTensor(),
                               transforms.Normalize([0.5] * channels, [0.5] * channels)])


def aug_torch(image, preprocess, width, depth, severity):
    """cifar.py's aug, as written there."""
    ws = np.float32(np.random.dirichlet([1] * width))
    m = np.float32(np.random.beta(1, 1))
    mix = torch.zeros_like(preprocess(image))
    for i in range(width):
        mix += ws[i] * preprocess(chain(image, depth, severity))
    return (1 - m) * preprocess(image) + m * mix


def pillow_preprocess(image):
    """ToTensor + Normalize(0.5, 0.5) in NumPy: float32 CHW in [-1, 1]."""
    x = np.asarray(image, dtype=np.float32) * (2.0 / 255.0) - 1.0
    return x[None] if x.ndim == 2 else x.transpose(2, 0, 1)


def aug_pillow(image, width, depth, severity):
    """The same draws and the same mixing, in NumPy float32."""
    ws = np.float32(np.random.dirichlet([1] * width))
    m = np.float32(np.random.beta(1, 1))
    mix = ws[0] * pillow_preprocess(chain(image, depth, severity))
    for i in range(1, width):
        mix += ws[i] * pillow_preprocess(chain(image, depth, severity))
    return (1 - m) * pillow_preprocess(image) + m * mix


def reference_worker(args):
    global SIZE
    seed, count, policy, mixing, side, channels = args
    SIZE = side
    torch.set_num_threads(1)
    np.random.seed(seed)
    rng = np.random.RandomState(seed)
    shape = (side, side, channels) if channels == 3 else (side, side)
    images = [Image.fromarray(rng.randint(0, 256, shape, dtype=np.uint8)) for _ in range(count)]
    width, depth, severity = POLICIES[policy]
    start = time.perf_counter()
    if mixing == "torch":
        preprocess = torch_preprocess(channels)
        for img in images:
            (preprocess(img), aug_torch(img, preprocess, width, depth, severity),
             aug_torch(img, preprocess, width, depth, severity))
    else:
        for img in images:
            (pillow_preprocess(img), aug_pillow(img, width, depth, severity),
             aug_pillow(img, width, depth, severity))
    return time.perf_counter() - start


def reference_rate(policy, mixing, side, channels, threads, images):
    per = images // threads
    if threads == 1:
        return images / reference_worker((1, images, policy, mixing, side, channels))
    with multiprocessing.Pool(threads) as pool:
        # Pool start-up is excluded: each worker times its own share; they run concurrently, so
        # the slowest one's time is the wall time of the work.
        seconds = pool.map(reference_worker, [(s + 1, per, policy, mixing, side, channels)
                                              for s in range(threads)])
    return per * threads / max(seconds)


def gear_rate(bench, policy, side, channels, threads, images):
    out = subprocess.run([bench, policy, str(BATCH), str(threads), str(images), str(side),
                          str(channels), "1"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["images_per_second"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default=os.path.join(ROOT, "build/bin/gear_bench_augment"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference-images", type=int, default=512)
    parser.add_argument("--gear-images", type=int, default=4096)
    parser.add_argument("--out",
                        default=os.path.join(ROOT, "bench/results/augmentation_throughput.json"))
    args = parser.parse_args()
    rates = {}
    for r in range(args.repeats):
        for side, channels in SHAPES:
            for policy in POLICIES:
                for threads in (1, 2):
                    key = (f"{side}x{side}x{channels}", policy, threads)
                    row = {m: reference_rate(policy, m, side, channels, threads,
                                             args.reference_images) for m in ("pillow", "torch")}
                    row["gear"] = gear_rate(args.bench, policy, side, channels, threads,
                                            args.gear_images)
                    rates.setdefault(key, []).append(row)
                    print(f"repeat {r} {key}: reference pillow {row['pillow']:.0f}, torch "
                          f"{row['torch']:.0f}, GEAR {row['gear']:.0f} img/s "
                          f"({row['gear'] / row['pillow']:.1f}x pillow)", flush=True)
    rows = []
    for (shape, policy, threads), samples in rates.items():
        med = {k: statistics.median(s[k] for s in samples) for k in ("pillow", "torch", "gear")}
        rows.append({"input": shape, "policy": policy, "threads": threads,
                     "reference_pillow_images_per_second": round(med["pillow"], 1),
                     "reference_torch_images_per_second": round(med["torch"], 1),
                     "gear_images_per_second": round(med["gear"], 1),
                     "speedup": round(med["gear"] / med["pillow"], 2),
                     "speedup_paired_median": round(statistics.median(
                         s["gear"] / s["pillow"] for s in samples), 2)})
    result = {"what": "augmentation throughput, JSD triple (clean + 2 augmented views) per image, "
                      "batch 128; speedup against the reference's ops as per-image Pillow calls "
                      "with NumPy mixing (this script), one process per core",
              "cpus": os.cpu_count(), "python": platform.python_version(),
              "repeats": args.repeats, "target_speedup": 20, "rows": rows,
              "recorded": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

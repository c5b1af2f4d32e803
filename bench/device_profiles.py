#!/usr/bin/python3
"""Throughput of GEAR's built-in device bank against the same steps done the usual way in
Python: Pillow (libjpeg, libwebp, zlib) and NumPy, one image at a time. Both sides apply every
profile of host/data/default_devices.toml to the same 10k Fashion-MNIST test images (or a
colour variant: the images tiled to RGB and scaled to 32x32), in one run, side by side.

Usage: /usr/bin/python3 bench/device_profiles.py [--images 10000] [--colour] [--repeats 3]
Writes bench/results/device_profiles.json (--colour: device_profiles_colour.json).
"""
import argparse
import gzip
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tomllib

import numpy as np
from PIL import Image, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANK = os.path.join(ROOT, "host/data/default_devices.toml")
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
LUMA = np.array([0.299, 0.587, 0.114])
RESAMPLE = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
            "area": Image.BOX}
SUBSAMPLING = {"444": 0, "422": 1, "420": 2}


def load_images(count, colour):
    with gzip.open(FASHION) as f:
        data = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    if colour:
        img = [np.asarray(Image.fromarray(x[0]).resize((32, 32), Image.BILINEAR)) for x in data]
        grey = np.stack(img)[:, None]
        tint = np.array([1.0, 0.85, 0.7]).reshape(1, 3, 1, 1)
        data = np.clip(grey * tint, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(data)


def to_pil(x):  # [C, H, W] uint8
    return Image.fromarray(x[0]) if x.shape[0] == 1 else Image.fromarray(x.transpose(1, 2, 0))


def from_pil(img, channels):
    a = np.asarray(img)
    if channels == 1:
        return (a if a.ndim == 2 else np.asarray(img.convert("L")))[None]
    return a.transpose(2, 0, 1)


def lut(fn):
    return [int(round(min(max(fn(v / 255.0), 0.0), 1.0) * 255)) for v in range(256)]


def step_fn(step, rng):
    kind = step["step"]
    if kind == "png":
        def png(img):
            buf = io.BytesIO()
            img.save(buf, "PNG", compress_level=step.get("compression", 6))
            return Image.open(io.BytesIO(buf.getvalue())).convert(img.mode)
        return png
    if kind == "jpeg":
        def jpeg(img):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=step.get("quality", 85),
                     subsampling=SUBSAMPLING[step.get("subsampling", "420")])
            return Image.open(io.BytesIO(buf.getvalue())).convert(img.mode)
        return jpeg
    if kind == "webp":
        def webp(img):
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "WEBP", quality=step.get("quality", 80),
                                    lossless=step.get("lossless", False))
            return Image.open(io.BytesIO(buf.getvalue())).convert(img.mode)
        return webp
    if kind == "resize":
        def resize(img):
            w, h = img.size
            s = step.get("scale", 0.75)
            small = img.resize((max(1, round(w * s)), max(1, round(h * s))),
                               RESAMPLE[step.get("down", "bilinear")])
            return small.resize((w, h), RESAMPLE[step.get("up", "bilinear")])
        return resize
    if kind in ("white_balance", "color_matrix"):
        m = (np.diag(step.get("gains", [1.0, 1.0, 1.0])) if kind == "white_balance"
             else np.array(step.get("matrix", np.eye(3).ravel())).reshape(3, 3))
        def colour(img):
            a = np.asarray(img, np.float32)
            if img.mode == "L":
                out = a * float(LUMA @ m @ np.ones(3))
            else:
                out = a @ m.T
            return Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8))
        return colour
    if kind == "gamma":
        table = lut(lambda v: v ** step.get("gamma", 1.0))
        return lambda img: img.point(table * (3 if img.mode == "RGB" else 1))
    if kind == "tone_curve":
        s = step.get("strength", 0.3)
        table = lut(lambda v: (1 - s) * v + s * (3 * v * v - 2 * v ** 3))
        return lambda img: img.point(table * (3 if img.mode == "RGB" else 1))
    if kind == "denoise":
        return lambda img: img.filter(ImageFilter.GaussianBlur(step.get("sigma", 0.6)))
    if kind == "unsharp":
        return lambda img: img.filter(ImageFilter.UnsharpMask(
            step.get("sigma", 1.0), int(100 * step.get("amount", 0.5)), step.get("threshold", 0)))
    if kind == "sensor_noise":
        well, read = step.get("full_well", 2000), step.get("read", 1.5)
        def noise(img):
            a = np.asarray(img, np.float64) / 255.0
            a = rng.poisson(a * well) / well * 255.0 + rng.normal(0, read, a.shape)
            return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))
        return noise
    if kind == "shift":
        dx, dy = step.get("dx", 0.0), step.get("dy", 0.0)
        return lambda img: img.transform(img.size, Image.AFFINE, (1, 0, -dx, 0, 1, -dy),
                                         Image.BILINEAR)
    if kind == "crop":
        f = step.get("fraction", 0.05)
        def crop(img):
            w, h = img.size
            cw, ch = w * f / 2, h * f / 2
            return img.resize((w, h), Image.BILINEAR, box=(cw, ch, w - cw, h - ch))
        return crop
    raise SystemExit(f"device_profiles.py: no Pillow version of step '{kind}'")


def pillow_pass(profile, images, rng):
    fns = [step_fn(s, rng) for s in profile.get("steps", [])]
    out = np.empty_like(images)
    for i, x in enumerate(images):
        img = to_pil(x)
        for fn in fns:
            img = fn(img)
        out[i] = from_pil(img, x.shape[0])
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--colour", action="store_true")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    out_file = args.out or os.path.join(
        ROOT, "bench/results", "device_profiles_colour.json" if args.colour
        else "device_profiles.json")
    images = load_images(args.images, args.colour)
    with open(BANK, "rb") as f:
        bank = tomllib.load(f)["device"]
    n, c, h, w = images.shape
    gear = {}
    with tempfile.NamedTemporaryFile(suffix=".u8") as raw:
        raw.write(images.tobytes())
        raw.flush()
        for threads in (1, os.cpu_count()):
            cmd = [os.path.join(args.build, "bin/gear_bench_devices"),
                   os.path.join(args.build, "lib/gear/plugins"), raw.name, str(n), str(c), str(h),
                   str(w), str(args.batch), str(threads), str(args.repeats)]
            lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            for line in lines.splitlines():
                r = json.loads(line)
                gear.setdefault(r["profile"], {})[f"threads_{threads}"] = r["images_per_second"]
    rows = []
    rng = np.random.default_rng(1)
    for profile in bank:
        pillow_pass(profile, images[:200], rng)  # warm-up
        best = 1e30
        for _ in range(args.repeats):
            start = time.perf_counter()
            pillow_pass(profile, images, rng)
            best = min(best, time.perf_counter() - start)
        pil = n / best
        g = gear[profile["name"]]
        rows.append({"profile": profile["name"], "pillow_images_per_second": round(pil, 1),
                     "gear_1_thread_images_per_second": round(g["threads_1"], 1),
                     f"gear_{os.cpu_count()}_threads_images_per_second":
                         round(g[f"threads_{os.cpu_count()}"], 1),
                     "speedup_1_thread": round(g["threads_1"] / pil, 2)})
        print(json.dumps(rows[-1]), flush=True)
    total_pil = sum(n / r["pillow_images_per_second"] for r in rows)
    total_gear = sum(n / r["gear_1_thread_images_per_second"] for r in rows)
    result = {
        "what": "every profile of the built-in device bank applied to the same images: GEAR's "
                "device_step plugins (batched, libjpeg-turbo/libwebp/libpng) against Pillow + "
                "NumPy one image at a time, as a Python pipeline would do it",
        "images": [n, c, h, w],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "pillow": Image.__version__},
        "command": "/usr/bin/python3 bench/device_profiles.py" + (" --colour" if args.colour else ""),
        "profiles": rows,
        "whole_bank_seconds": {"pillow": round(total_pil, 3), "gear_1_thread": round(total_gear, 3)},
        "whole_bank_speedup_1_thread": round(total_pil / total_gear, 2),
        "notes": "Pillow's GaussianBlur is a box-blur approximation and its JPEG decoder always "
                 "uses the islow DCT; its shift fills the border black instead of replicating "
                 "it. The step list and every parameter are read from the same TOML file.",
    }
    with open(out_file, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(out_file, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Writes frost.bin.gz, the frost textures the `frost` corruption overlays, from the frost
images of hendrycks/robustness (ImageNet-C/create_c/frost1.png ... frost5.jpg, Apache-2.0; the
reference draws only the first five). Each image is read as RGB (alpha dropped, as cv2.imread
does) and shrunk as make_cifar_c.py (x0.2, for 28/32 px images) and make_tinyimagenet_c.py
(x0.3, for 64 px images) do with cv2.resize's default bilinear interpolation, emulated here in
NumPy (cv2 is not needed).

Usage: /usr/bin/python3 make_frost.py DIR_WITH_FROST_IMAGES
Format: per texture, little-endian uint32 scale_percent, height, width, then height*width*3
bytes (RGB, row-major).
"""
import gzip
import os
import struct
import sys

import numpy as np
from PIL import Image

NAMES = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"]


def resize_linear(img, scale):
    """cv2.resize(img, (0, 0), fx=scale, fy=scale) with INTER_LINEAR: centres aligned, edge
    pixels replicated."""
    h, w = img.shape[:2]
    oh, ow = int(round(h * scale)), int(round(w * scale))

    def axis(n_in, n_out):
        pos = (np.arange(n_out) + 0.5) / scale - 0.5
        pos = np.clip(pos, 0, None)
        i0 = np.minimum(np.floor(pos).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, (pos - i0)[:, None]

    y0, y1, fy = axis(h, oh)
    x0, x1, fx = axis(w, ow)
    f = img.astype(np.float64)
    rows = f[y0] * (1 - fy[..., None]) + f[y1] * fy[..., None]
    out = rows[:, x0] * (1 - fx) + rows[:, x1] * fx
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def main():
    source = sys.argv[1]
    blob = bytearray()
    for scale in (0.2, 0.3):
        for name in NAMES:
            img = np.asarray(Image.open(os.path.join(source, name)).convert("RGB"))
            small = resize_linear(img, scale)
            blob += struct.pack("<III", int(round(scale * 100)), small.shape[0], small.shape[1])
            blob += small.tobytes()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "frost.bin.gz")
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        f.write(bytes(blob))
    print(f"{len(blob)} bytes -> {out}")


if __name__ == "__main__":
    main()

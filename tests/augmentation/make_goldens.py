#!/usr/bin/python3
"""Writes Pillow's outputs of every AugMix op on fixed images, the golden data of
augmix_ops_test.cpp. Needs Debian's python3-pil and python3-numpy; run with /usr/bin/python3.

Output (next to this script, in golden/):
  ops.txt  one case per line: op magnitude channels height width input_offset output_offset
  ops.bin.gz  the uint8 images, CHW, at those byte offsets (gzip)
"""
import gzip
import os

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))


def test_images():
    rng = np.random.RandomState(20261123)
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float64)
    smooth = np.stack([
        128 + 100 * np.sin(xx / 5.0) * np.cos(yy / 7.0),
        40 + 6 * xx + 0.5 * yy,
        255 - 7 * yy,
    ], axis=2)
    yield "smooth32", np.clip(smooth, 0, 255).astype(np.uint8)
    yield "noise32", rng.randint(0, 256, (32, 32, 3)).astype(np.uint8)
    # A narrow range stresses autocontrast and equalize.
    yield "dim28", rng.randint(60, 121, (28, 28, 1)).astype(np.uint8)
    big = np.kron(rng.randint(0, 256, (16, 16, 3)), np.ones((4, 4, 1)))
    yield "blocks64", big.astype(np.uint8)


def affine(image, coeffs):
    return image.transform(image.size, Image.AFFINE, coeffs, resample=Image.BILINEAR)


def enhance(cls):
    return lambda image, f: cls(image).enhance(f)


OPS = {
    "autocontrast": (lambda image, _: ImageOps.autocontrast(image), [0]),
    "equalize": (lambda image, _: ImageOps.equalize(image), [0]),
    "posterize": (lambda image, m: ImageOps.posterize(image, int(m)), [1, 2, 3, 4, 8]),
    "solarize": (lambda image, m: ImageOps.solarize(image, int(m)), [0, 128, 180, 254, 256]),
    "rotate": (lambda image, m: image.rotate(m, resample=Image.BILINEAR), [-30, -8, -1, 0, 3, 8, 30]),
    "shear_x": (lambda image, m: affine(image, (1, m, 0, 0, 1, 0)), [-0.3, -0.09, 0.003, 0.05, 0.09]),
    "shear_y": (lambda image, m: affine(image, (1, 0, 0, m, 1, 0)), [-0.3, -0.09, 0.003, 0.05, 0.09]),
    "translate_x": (lambda image, m: affine(image, (1, 0, m, 0, 1, 0)), [-10, -3, 1, 3]),
    "translate_y": (lambda image, m: affine(image, (1, 0, 0, 0, 1, m)), [-10, -3, 1, 3]),
    "color": (enhance(ImageEnhance.Color), [0.118, 0.5, 0.64, 1.9]),
    "contrast": (enhance(ImageEnhance.Contrast), [0.118, 0.5, 0.64, 1.9]),
    "brightness": (enhance(ImageEnhance.Brightness), [0.118, 0.5, 0.64, 1.9]),
    "sharpness": (enhance(ImageEnhance.Sharpness), [0.118, 0.5, 0.64, 1.9]),
}


def to_pil(hwc):
    return Image.fromarray(hwc[:, :, 0], "L") if hwc.shape[2] == 1 else Image.fromarray(hwc, "RGB")


def to_chw(image):
    a = np.asarray(image)
    return (a[:, :, None] if a.ndim == 2 else a).transpose(2, 0, 1).copy()


def main():
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    blob = bytearray()
    lines = []
    for _, hwc in test_images():
        source = to_chw(hwc)
        input_offset = len(blob)
        blob += source.tobytes()
        for op, (fn, magnitudes) in OPS.items():
            for m in magnitudes:
                out = to_chw(fn(to_pil(hwc), m))
                lines.append(f"{op} {m!r} {source.shape[0]} {source.shape[1]} {source.shape[2]} "
                             f"{input_offset} {len(blob)}")
                blob += out.tobytes()
    with gzip.GzipFile(os.path.join(HERE, "golden", "ops.bin.gz"), "wb", mtime=0) as f:
        f.write(bytes(blob))
    with open(os.path.join(HERE, "golden", "ops.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases, {len(blob)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the seed corpus of the folder readers' fuzz targets (tests/fuzz/corpus/<target>/):
folder trees packed as fuzz_tree.h reads them ("=== <path>" lines, each followed by the file's
bytes), small and valid, plus a few edge cases. Only these four targets' folders are rewritten.

Usage: /usr/bin/python3 tests/fuzz/make_tree_corpus.py
"""
import io
import os
import shutil

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ("tiny_imagenet_fuzz", "image_folder_fuzz", "image_folder_c_fuzz", "cifar_c_fuzz")


def pack(entries):
    """entries: (path, bytes) pairs; a path ending in '/' is an empty folder."""
    return b"\n".join(b"=== " + path.encode() + b"\n" + data for path, data in entries)


def image(side_h, side_w, seed, fmt, mode="RGB"):
    # A smooth gradient: small files, yet every pixel differs from its neighbours.
    y, x = np.mgrid[0:side_h, 0:side_w]
    rgb = np.stack([(x * 255 // max(side_w - 1, 1) + seed * 40) % 256,
                    (y * 255 // max(side_h - 1, 1)) % 256,
                    np.full_like(x, 60 + seed * 50) % 256], axis=-1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).convert(mode).save(out, format=fmt, quality=50)
    return out.getvalue()


def npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    for target in TARGETS:
        shutil.rmtree(os.path.join(HERE, "corpus", target), ignore_errors=True)

    jpeg64 = [image(64, 64, s, "JPEG") for s in range(2)]
    tiny = [("wnids.txt", b"n01443537\nn01629819\n"),
            ("train/n01443537/images/n01443537_0.JPEG", jpeg64[0]),
            ("train/n01629819/images/n01629819_0.JPEG", jpeg64[1]),
            ("val/val_annotations.txt",
             b"val_0.JPEG\tn01629819\t0\t0\t63\t63\nval_1.JPEG\tn01443537\t1\t2\t60\t61\n"),
            ("val/images/val_0.JPEG", jpeg64[1]),
            ("val/images/val_1.JPEG", jpeg64[0])]
    put("tiny_imagenet_fuzz", "two_classes", pack(tiny))
    put("tiny_imagenet_fuzz", "unknown_wnid",
        pack(tiny[:4] + [("val/val_annotations.txt", b"val_0.JPEG\tn09999999\t0\t0\t1\t1\n")]))
    put("tiny_imagenet_fuzz", "duplicate_wnid", pack([("wnids.txt", b"n01\nn01\n")]))
    put("tiny_imagenet_fuzz", "grey_8x8", pack([("wnids.txt", b"n01\n"),
                                                ("train/n01/images/a.JPEG",
                                                 image(8, 8, 0, "JPEG", "L")),
                                                ("val/val_annotations.txt", b"")]))

    put("image_folder_fuzz", "flat_two_classes", pack([
        ("cat/a.png", image(6, 5, 0, "PNG")), ("cat/b.jpg", image(6, 5, 1, "JPEG")),
        ("cat/c.png", image(6, 5, 2, "PNG", "L")), ("dog/a.jpeg", image(6, 5, 3, "JPEG")),
        ("dog/b.png", image(6, 5, 4, "PNG", "LA")), ("dog/notes.txt", b"not an image")]))
    put("image_folder_fuzz", "train_test", pack([
        ("train/a/1.png", image(4, 7, 0, "PNG")), ("train/b/1.png", image(4, 7, 1, "PNG", "P")),
        ("test/a/1.jpg", image(4, 7, 2, "JPEG")), ("val/a/1.png", image(4, 7, 3, "PNG"))]))
    put("image_folder_fuzz", "sizes_differ", pack([
        ("a/1.png", image(4, 4, 0, "PNG")), ("a/2.png", image(5, 3, 1, "PNG"))]))
    put("image_folder_fuzz", "empty_class", pack([("a/1.png", image(3, 3, 0, "PNG")), ("b/", b"")]))

    jpeg8 = [image(8, 8, s, "JPEG") for s in range(3)]
    put("image_folder_c_fuzz", "two_severities", pack([
        ("fog/1/n01/a.JPEG", jpeg8[0]), ("fog/1/n02/b.JPEG", jpeg8[1]),
        ("fog/2/n01/a.jpg", jpeg8[2]), ("snow/5/n01/a.JPEG", jpeg8[0])]))
    # A progressive JPEG whose frame header claims 60000x60000: refused on the header, before
    # libjpeg reserves buffers for the whole image (a finding, fixed in jpeg_decode.cpp).
    out = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(out, format="JPEG", progressive=True)
    huge = bytearray(out.getvalue())
    sof2 = huge.find(b"\xff\xc2")
    huge[sof2 + 5:sof2 + 9] = (60000).to_bytes(2, "big") * 2
    put("image_folder_c_fuzz", "progressive_60000x60000", pack([("fog/1/n01/a.JPEG", bytes(huge))]))
    put("image_folder_c_fuzz", "png_refused", pack([("fog/1/n01/a.png", image(8, 8, 0, "PNG"))]))
    put("image_folder_c_fuzz", "sizes_differ", pack([
        ("fog/3/n01/a.JPEG", jpeg8[0]), ("fog/3/n01/b.JPEG", image(8, 9, 1, "JPEG"))]))

    rng = np.random.default_rng(0)
    labels = npy(np.arange(5, dtype=np.int64) % 3)
    put("cifar_c_fuzz", "rgb_and_grey", pack([
        ("labels.npy", labels),
        ("fog.npy", npy(rng.integers(0, 256, (5, 2, 2, 3), dtype=np.uint8))),
        ("snow.npy", npy(rng.integers(0, 256, (5, 2, 2), dtype=np.uint8)))]))
    put("cifar_c_fuzz", "rows_not_multiple_of_5", pack([
        ("labels.npy", npy(np.zeros(4, dtype=np.uint8))),
        ("fog.npy", npy(np.zeros((4, 1, 1, 3), dtype=np.uint8)))]))
    put("cifar_c_fuzz", "float_labels", pack([("labels.npy", npy(np.zeros(5, dtype=np.float32)))]))


if __name__ == "__main__":
    main()

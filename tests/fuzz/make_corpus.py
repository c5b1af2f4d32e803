#!/usr/bin/python3
"""Writes the fuzzers' seed corpus (tests/fuzz/corpus/<target>/): small valid files in each
reader's exact format, and a few edge cases, so fuzzing starts from inputs that get past the
first checks. Run from anywhere; the checkpoint seed is copied from a run folder when one is
given (--checkpoint FILE), as it is LibTorch's archive format, written by gearhost itself.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [--checkpoint runs/x/checkpoints/initial.pt]
"""
import argparse
import glob
import gzip
import io
import os
import shutil
import struct

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(dims, payload):
    # Magic: two zero bytes, type 0x08 (unsigned byte), the rank; then big-endian sizes.
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + struct.pack(f">{len(dims)}I", *dims) + payload


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a small checkpoint written by gearhost")
    args = parser.parse_args()
    # Only the folders this script writes: make_tree_corpus.py writes the folder readers' seeds,
    # and the checkpoint seed stays unless a new one is given.
    for target in ("pipeline_fuzz", "idx_fuzz", "cifar_fuzz", "image_decode_fuzz", "npy_fuzz"):
        shutil.rmtree(os.path.join(HERE, "corpus", target), ignore_errors=True)

    # Pipelines: the examples (plain TOML, every table and stage kind) and two edge cases.
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "pipelines", "**", "*.toml"),
                                 recursive=True)):
        with open(path, "rb") as f:
            put("pipeline_fuzz", os.path.relpath(path, ROOT).replace(os.sep, "_"), f.read())
    put("pipeline_fuzz", "empty.toml", b"")
    put("pipeline_fuzz", "huge_numbers.toml",
        b"[run]\nseed = 99999999999999999999\n[data]\nbatch_size = -1\n[[stage]]\nkind = \"train\"\n"
        b"epochs = 1e308\n")

    images = (bytes(range(256)) * 7)[: 2 * 28 * 28]
    put("idx_fuzz", "images", idx([2, 28, 28], images))
    put("idx_fuzz", "labels", idx([2], bytes([3, 9])))
    # The first byte is odd for the gzip path: a gzip stream starts with 0x1f.
    put("idx_fuzz", "images.gz", gzip.compress(idx([2, 28, 28], images), mtime=0))
    put("idx_fuzz", "huge_dims", idx([0xFFFFFFFF, 28, 28], b""))

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=3072, dtype=np.uint8).tobytes()
    put("cifar_fuzz", "cifar10_two_records.bin", bytes([1]) + pixels + bytes([9]) + pixels)
    put("cifar_fuzz", "cifar100_one_record.bin", bytes([4, 77]) + pixels)
    put("cifar_fuzz", "bad_label.bin", bytes([200]) + pixels)

    picture = Image.fromarray(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8))
    for fmt, name in (("PNG", "rgb.png"), ("JPEG", "rgb.jpg")):
        out = io.BytesIO()
        picture.save(out, format=fmt)
        put("image_decode_fuzz", name, out.getvalue())
    out = io.BytesIO()
    picture.convert("L").save(out, format="PNG")
    put("image_decode_fuzz", "gray.png", out.getvalue())
    put("image_decode_fuzz", "truncated.jpg", put_truncated(picture))

    for name, array in (("uint8_nhwc.npy", rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8)),
                        ("labels.npy", np.arange(2, dtype=np.uint8)),
                        ("float32.npy", np.zeros((2, 2), dtype=np.float32))):
        out = io.BytesIO()
        np.save(out, array)
        put("npy_fuzz", name, out.getvalue())

    if args.checkpoint:
        with open(args.checkpoint, "rb") as f:
            put("checkpoint_fuzz", "vgg11_tiny.pt", f.read())
    put("checkpoint_fuzz", "not_a_zip.pt", b"PK\x03\x04" + bytes(60))


def put_truncated(picture):
    out = io.BytesIO()
    picture.save(out, format="JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""GEAR vs Python PyTorch eager: training throughput, side by side in one invocation.

Same model (--architecture: vgg11, resnet18 or mobilenet_v2, CIFAR style, width 0.25; the
Python nets are bench/eager_nets.py, layer for layer the plugins' ones), batch 128, crop(pad
2)+flip augmentation, SGD with Nesterov momentum, on the first 12,800 Fashion-MNIST training
images; the second of two epochs is timed. Every measurement is a fresh process. Runners:
  gear                  gearhost's defaults (contiguous layout, run.cpu_allocator = "retain",
                        run.cpu_parallelism = "auto": batch split over the threads when 2+)
  gear_intra_op         run.cpu_parallelism = "intra_op": one share, each op over all threads
  gear_prefetch_off     data.prefetch = "off": at 1 thread gearhost otherwise prepares batches on
                        the spare core, so this is the one-core figure for thread scaling
  gear_channels_last    run.memory_format = "channels_last"
  gear_torch_convs      run.conv_kernels = false: LibTorch's convolution for the one-channel stem
  gear_channels_last_intra_op   ... with run.cpu_parallelism = "intra_op"
  python_idiomatic      torchvision transforms per image through a DataLoader
  python_batched        the data path written the way GEAR does it (batched crop/flip on tensors)
  python_batched_retain the same with GEAR's allocator settings as GLIBC_TUNABLES
  python_batched_channels_last_retain   ... and channels-last, the like of gear_channels_last
Each configuration is repeated and interleaved to spread machine noise; medians are reported, and
each ratio also as the median of its per-repeat ratios (a runner's 1- and 2-thread runs follow
each other; runner pairs are a few runs apart). --runners picks a subset.

Usage: /usr/bin/python3 bench/train_throughput.py [--architecture resnet18] [--threads 2,1]
       [--gearhost build/bin/gearhost] [--repeats 3]
       [--before <an earlier build's gearhost>]
"""
import argparse
import csv
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eager_nets  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH, IMAGES, PAD, EPOCHS = 128, 12800, 2, 2
MEAN, STD = 0.2860, 0.3530


# (GEAR runner, Python runner) pairs the results report as ratios, each at 1 and 2 threads.
COMPARISONS = [
    ("gear", "python_idiomatic"),
    ("gear", "python_batched"),
    ("gear", "python_batched_retain"),
    ("gear_channels_last", "python_batched_channels_last_retain"),
    ("gear_channels_last", "gear"),
    ("gear", "gear_intra_op"),
    ("gear", "gear_torch_convs"),
    ("gear", "gear_before"),  # --before: this build against another, in the same run
]


def load_fashion(limit):
    base = "/usr/share/datasets/fashion-mnist"
    with gzip.open(f"{base}/train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:limit]
    with gzip.open(f"{base}/train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:limit]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def train_loop(model, batches, channels_last=False):
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    model.train()
    rates = []
    for _ in range(EPOCHS):
        start, seen = time.perf_counter(), 0
        for x, y in batches():
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            seen += y.numel()
        rates.append(seen / (time.perf_counter() - start))
    return rates[-1]


def python_idiomatic(architecture, images, labels, threads):
    """torchvision transforms per image, DataLoader with the main process doing the work."""
    import torchvision.transforms as T
    from PIL import Image
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    transform = T.Compose([T.RandomCrop(28, padding=PAD), T.RandomHorizontalFlip(), T.ToTensor(),
                           T.Normalize((MEAN,), (STD,))])

    class Data(torch.utils.data.Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            return transform(Image.fromarray(images[i, 0].numpy(), mode="L")), labels[i]

    loader = torch.utils.data.DataLoader(Data(), batch_size=BATCH, shuffle=True, num_workers=0)
    return train_loop(eager_nets.build(architecture), lambda: loader)


def batched_data(images, labels):
    """One epoch of batches by the data path written the way GEAR does it: batched gather +
    crop + flip on tensors."""
    order = torch.randperm(len(labels))
    for start in range(0, len(labels), BATCH):
        idx = order[start:start + BATCH]
        x = F.pad(images[idx], (PAD, PAD, PAD, PAD))
        n = len(idx)
        oy = torch.randint(0, 2 * PAD + 1, (n,))
        ox = torch.randint(0, 2 * PAD + 1, (n,))
        rows = (oy[:, None] + torch.arange(28))[:, None, :, None].expand(n, 1, 28, 28 + 2 * PAD)
        x = x.gather(2, rows)
        cols = (ox[:, None] + torch.arange(28))[:, None, None, :].expand(n, 1, 28, 28)
        x = x.gather(3, cols)
        flip = torch.rand(n) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        yield (x.float() / 255 - MEAN) / STD, labels[idx]


def python_batched(architecture, images, labels, threads, channels_last=False):
    """Eager training on batched_data."""
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    return train_loop(eager_nets.build(architecture), lambda: batched_data(images, labels),
                      channels_last)


# GEAR's run.cpu_allocator = "retain" (host/src/cpu_allocator.cpp), for a Python process.
RETAIN_TUNABLES = "glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=2147483647"


def gear(gearhost, architecture, threads, memory_format="auto", prefetch="auto",
         parallelism="auto", extra=()):
    """gearhost's images/s in the second epoch; `extra` holds more key=value overrides."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        subprocess.run([gearhost, "--log-level", "warn", "run",
                        os.path.join(ROOT, "bench/pipelines/throughput.toml"),
                        f"run.threads={threads}", f"model.architecture={architecture}",
                        f"run.memory_format={memory_format}",
                        f"data.prefetch={prefetch}", f"run.cpu_parallelism={parallelism}",
                        *extra, "--out", out], check=True)
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        return float(rows[-1]["images_per_second"])


def python_worker(name, architecture, threads):
    """Runs one Python measurement in this (fresh) process and prints its images/s."""
    images, labels = load_fashion(IMAGES)
    if name == "python_idiomatic":
        rate = python_idiomatic(architecture, images, labels, threads)
    else:
        rate = python_batched(architecture, images, labels, threads,
                              channels_last="channels_last" in name)
    print(rate)


def python(name, architecture, threads, tunables=None):
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    if tunables:
        env["GLIBC_TUNABLES"] = tunables
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name,
                           architecture, str(threads)],
                          env=env, check=True, capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        return python_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--architecture", default="vgg11", choices=sorted(eager_nets.NETS))
    parser.add_argument("--threads", default="2,1",
                        help="comma-separated thread counts, each runner's run in this order")
    parser.add_argument("--out", default="",
                        help="default: bench/results/train_throughput.json for vgg11, else "
                             "train_throughput_<architecture>.json")
    parser.add_argument("--runners", default="",
                        help="comma-separated subset of the runners (default: all)")
    parser.add_argument("--before", default="",
                        help="another gearhost (an earlier build) measured as the runner "
                             "gear_before, interleaved with this one, for before/after ratios")
    args = parser.parse_args()
    arch = args.architecture
    threads = [int(t) for t in args.threads.split(",")]
    out = args.out or os.path.join(ROOT, "bench/results", "train_throughput.json" if arch == "vgg11"
                                   else f"train_throughput_{arch}.json")
    runners = {
        "gear": lambda t: gear(args.gearhost, arch, t),
        "gear_intra_op": lambda t: gear(args.gearhost, arch, t, parallelism="intra_op"),
        "gear_prefetch_off": lambda t: gear(args.gearhost, arch, t, prefetch="off"),
        "gear_channels_last": lambda t: gear(args.gearhost, arch, t, "channels_last"),
        "gear_channels_last_intra_op":
            lambda t: gear(args.gearhost, arch, t, "channels_last", parallelism="intra_op"),
        "gear_torch_convs":
            lambda t: gear(args.gearhost, arch, t, extra=["run.conv_kernels=false"]),
        "gear_before": lambda t: gear(args.before, arch, t),
        "python_idiomatic": lambda t: python("python_idiomatic", arch, t),
        "python_batched": lambda t: python("python_batched", arch, t),
        "python_batched_retain": lambda t: python("python_batched", arch, t, RETAIN_TUNABLES),
        "python_batched_channels_last_retain":
            lambda t: python("python_batched_channels_last", arch, t, RETAIN_TUNABLES),
    }
    if not args.before:
        del runners["gear_before"]
    if args.runners:
        chosen = args.runners.split(",")
        unknown = [name for name in chosen if name not in runners]
        if unknown:
            parser.error(f"unknown runners {unknown}; known: {', '.join(runners)}")
        runners = {name: runners[name] for name in chosen}
    samples = {f"{name}@{t}": [] for name in runners for t in threads}
    # A runner's 2- and 1-thread runs follow each other, so their ratio is measured seconds apart.
    for r in range(args.repeats):
        for name, fn in runners.items():
            for t in threads:
                rate = fn(t)
                samples[f"{name}@{t}"].append(rate)
                print(f"repeat {r + 1}: {name:36s} threads={t}: {rate:8.0f} img/s", flush=True)
    median = {k: statistics.median(v) for k, v in samples.items()}
    compared = [(a, b, t) for a, b in COMPARISONS for t in threads if a in runners and b in runners]
    # Each side in its best layout and allocator, on the same batched data path: the issue's
    # "GEAR vs PyTorch eager" figure. gear_intra_op counts as a GEAR layout choice.
    gear_side = [n for n in runners if n.startswith("gear") and n != "gear_before"]
    eager_side = [n for n in runners if n.startswith("python_batched")]
    best = {}
    for t in threads if gear_side and eager_side else ():
        g = max(gear_side, key=lambda n: median[f"{n}@{t}"])
        p = max(eager_side, key=lambda n: median[f"{n}@{t}"])
        best[f"@{t}"] = {"gear": g, "eager": p, "ratio": median[f"{g}@{t}"] / median[f"{p}@{t}"]}
    result = {
        "benchmark": f"training throughput (images/s), {arch} x0.25, Fashion-MNIST 28x28, batch "
                     "128, crop+flip, SGD Nesterov; second epoch of 12,800 images",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "torch": torch.__version__},
        "images_per_second_median": median,
        "samples": samples,
        "ratios": {f"{a}_vs_{b}@{t}": median[f"{a}@{t}"] / median[f"{b}@{t}"]
                   for a, b, t in compared},
        "paired_ratios_median": {
            f"{a}_vs_{b}@{t}": statistics.median(
                x / y for x, y in zip(samples[f"{a}@{t}"], samples[f"{b}@{t}"]))
            for a, b, t in compared},
        "best_layout_vs_eager": best,
        "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if 1 in threads and 2 in threads:
        result["thread_speedup_1_to_2"] = {name: median[f"{name}@2"] / median[f"{name}@1"]
                                           for name in runners}
        result["paired_thread_speedup_1_to_2"] = {
            name: statistics.median(x / y for x, y in zip(samples[f"{name}@2"],
                                                          samples[f"{name}@1"]))
            for name in runners}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: result[k] for k in ("ratios", "paired_ratios_median",
                                             "best_layout_vs_eager", "thread_speedup_1_to_2",
                                             "paired_thread_speedup_1_to_2") if k in result},
                     indent=2))


if __name__ == "__main__":
    sys.exit(main())

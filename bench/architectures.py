#!/usr/bin/python3
"""Per-architecture benchmark: training throughput at the quickstart scale, and peak training
memory per architecture, width and input size (the figures the `train_memory` budget relies on).

Throughput: gearhost runs bench/pipelines/throughput.toml (Fashion-MNIST 28x28, width 0.25,
batch 128, crop+flip, SGD; two epochs of 12,800 images) once per architecture, the
architectures interleaved and repeated; the second epoch's images/s is read from metrics.csv and
the median over repeats reported.
Memory: build/bin/gear_bench_train_memory measures one SGD step at batch 128 on the CPU, the way
the host's budget does, for every architecture x width x input.

Usage: /usr/bin/python3 bench/architectures.py [--repeats 2] [--skip-throughput] [--skip-memory]
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHITECTURES = ["vgg11", "vgg19", "resnet18", "mobilenet_v1", "mobilenet_v2"]
WIDTHS = [0.125, 0.25, 0.5, 1.0]
INPUTS = [(1, 28, 28), (3, 32, 32), (3, 64, 64)]
BATCH = 128


def throughput(gearhost, architecture, threads):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        subprocess.run([gearhost, "--log-level", "warn", "run",
                        os.path.join(ROOT, "bench/pipelines/throughput.toml"),
                        f"run.threads={threads}", f"model.architecture={architecture}",
                        "--out", out], check=True)
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        return float(rows[-1]["images_per_second"]), int(rows[-1]["params"])


def memory(tool, plugins, architecture, width, shape):
    line = subprocess.run([tool, plugins, architecture, str(width), *map(str, shape), str(BATCH),
                           "10"], check=True, capture_output=True, text=True).stdout
    return json.loads(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/architectures.json"))
    args = parser.parse_args()
    gearhost = os.path.join(args.build, "bin/gearhost")
    tool = os.path.join(args.build, "bin/gear_bench_train_memory")
    plugins = os.path.join(args.build, "lib/gear/plugins")

    result = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            result = json.load(f)
    result["machine"] = {"cpu": platform.processor() or platform.machine(),
                         "cores": os.cpu_count(), "threads": args.threads}

    if not args.skip_throughput:
        samples = {a: [] for a in ARCHITECTURES}
        params = {}
        for r in range(args.repeats):
            for a in ARCHITECTURES:
                rate, params[a] = throughput(gearhost, a, args.threads)
                samples[a].append(rate)
                print(f"repeat {r + 1}: {a:13s} {rate:8.0f} img/s", flush=True)
        result["throughput"] = {
            "benchmark": "gearhost training throughput at the quickstart scale: Fashion-MNIST "
                         "28x28, width 0.25, batch 128, crop+flip, SGD; second epoch of 12,800 "
                         f"images, {args.threads} threads, median of {args.repeats}",
            "images_per_second_median": {a: statistics.median(v) for a, v in samples.items()},
            "params": params,
            "samples": samples,
            "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
        }

    if not args.skip_memory:
        rows = []
        for a in ARCHITECTURES:
            for shape in INPUTS:
                for w in WIDTHS:
                    row = memory(tool, plugins, a, w, shape)
                    rows.append(row)
                    print(f"{a:13s} x{w:<5} {shape}: {row['params']:9d} params, "
                          f"{row['macs'] / 1e6:8.1f} M MACs, "
                          f"{row['train_memory_bytes'] / 2**20:8.1f} MiB", flush=True)
        result["train_memory"] = {
            "benchmark": f"peak memory of one SGD training step at batch {BATCH} on the CPU "
                         "(host::measure_train_memory: parameters, gradients, momentum, "
                         "activations and workspace), 10 classes",
            "rows": rows,
            "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
        }

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""What data parallelism costs on this machine, and what it projects to on a cluster.

Side by side in one invocation, on the throughput pipeline (bench/pipelines/throughput.toml:
VGG-11 x0.25, global batch 128, 12,800 Fashion-MNIST images, second epoch's images/s):
  - one process, 2 threads (batch split across the 2 cores),
  - one process, 1 thread,
  - 2 ranks x 1 thread (gearhost --nproc 2, c10d Gloo on loopback).
Each round starts at the next configuration, so drift falls on all alike. The ranks' run also
records, per step, how long rank 0 waited for the gradients' all-reduce after backward and for
the batch-norm statistics, and the gradient bytes per step (metrics.csv columns).

Then gear_bench_allreduce times one all-reduce against its size between 2 ranks on loopback:
the small messages (4-64 KB) give the latency here, the largest (64 MB) the bandwidth. From the measured compute time per
step and gradient bytes, a ring all-reduce model projects the step at 8 and 64 ranks (weak
scaling: 64 samples per rank) on a stated network: t_ar = 2 (p-1)/p * bytes / B + 2 (p-1) a for
the gradients, and 2 (p-1) a per batch-norm exchange (latency-bound), with no overlap credited.

Usage: /usr/bin/python3 bench/data_parallel.py [--gearhost build/bin/gearhost] [--repeats 3]
Writes bench/results/data_parallel.json and prints Markdown tables.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess

import rounds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "bench", "pipelines", "throughput.toml")
COMMON = ["meter.plugin=none", 'run.checkpoint_every="off"']
CONFIGS = {
    "1 process x 2 threads": (["run.threads=2"], []),
    "1 process x 1 thread": (["run.threads=1"], []),
    "2 ranks x 1 thread": (["run.threads=1"], ["--nproc", "2"]),
}
# The networks the projection assumes: a per-message latency and a link bandwidth.
NETWORKS = {
    "10 Gb/s Ethernet (a = 25 us)": (25e-6, 10e9 / 8),
    "100 Gb/s InfiniBand (a = 5 us)": (5e-6, 100e9 / 8),
}
BATCH_NORM_LAYERS = 8  # VGG-11: one BatchNorm after each of its 8 convolutions


def last_row(run):
    with open(os.path.join(run, "metrics.csv")) as f:
        return list(csv.DictReader(f))[-1]


def allreduce_curve(binary):
    out = subprocess.run([binary, "2", "20"], check=True, capture_output=True, text=True).stdout
    points = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    # The small messages (4-64 KB) are latency (the median of their medians: one size can catch
    # a stall on this shared machine); the largest, past it, is bandwidth.
    latency = statistics.median(p["median_ms"] for p in points[:3]) / 1e3
    big = points[-1]
    return points, latency, big["bytes"] / (big["median_ms"] / 1e3 - latency)


def ring_allreduce(p, nbytes, latency, bandwidth):
    return 2 * (p - 1) / p * nbytes / bandwidth + 2 * (p - 1) * latency


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--allreduce", default=os.path.join(ROOT, "build", "bin",
                                                            "gear_bench_allreduce"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = rounds.gearhost_rounds(
        args.gearhost, PIPELINE, COMMON, CONFIGS, args.repeats, last_row,
        lambda row: f"{float(row['images_per_second']):.0f} img/s")
    results = {}
    for name, runs in rows.items():
        ips = [float(r["images_per_second"]) for r in runs]
        results[name] = {"images_per_second": ips, "median_images_per_second": statistics.median(ips)}
    ranks = rows["2 ranks x 1 thread"]
    grad_ms = statistics.median(float(r["gradients_wait_ms_per_step"]) for r in ranks)
    stats_ms = statistics.median(float(r["statistics_wait_ms_per_step"]) for r in ranks)
    grad_bytes = statistics.median(float(r["gradient_bytes_per_step"]) for r in ranks)
    step_s = 128 / results["2 ranks x 1 thread"]["median_images_per_second"]
    compute_s = step_s - (grad_ms + stats_ms) / 1e3
    results["2 ranks x 1 thread"].update({
        "step_ms": 1e3 * step_s,
        "gradients_wait_ms_per_step": grad_ms,
        "statistics_wait_ms_per_step": stats_ms,
        "gradient_bytes_per_step": grad_bytes,
        "compute_ms_per_step": 1e3 * compute_s,
    })
    points, latency, bandwidth = allreduce_curve(args.allreduce)
    projection = {}
    for net, (a, b) in NETWORKS.items():
        projection[net] = {}
        for p in (2, 8, 64):
            comm = ring_allreduce(p, grad_bytes, a, b) + 2 * BATCH_NORM_LAYERS * 2 * (p - 1) * a
            projection[net][str(p)] = {
                "step_ms": 1e3 * (compute_s + comm),
                "communication_ms": 1e3 * comm,
                "efficiency": compute_s / (compute_s + comm),
                "speedup_over_one_rank": p * compute_s / (compute_s + comm),
            }
    rounds.save("data_parallel", {
        "pipeline": os.path.relpath(PIPELINE, ROOT),
        "overrides": COMMON,
        "repeats": args.repeats,
        "results": results,
        "loopback_allreduce": {"points": points, "latency_ms": 1e3 * latency,
                               "bandwidth_gb_per_s": bandwidth / 1e9},
        "projection_weak_scaling_64_per_rank": projection,
    })
    print("| configuration | images/s (median) | vs 1 process x 2 threads |")
    print("|---|---|---|")
    base = results["1 process x 2 threads"]["median_images_per_second"]
    for name, r in results.items():
        print(f"| {name} | {r['median_images_per_second']:.0f} | "
              f"{r['median_images_per_second'] / base:.2f}x |")
    r = results["2 ranks x 1 thread"]
    print(f"\nper step (2 ranks): {r['step_ms']:.1f} ms, of which waiting for gradients "
          f"{grad_ms:.2f} ms ({grad_bytes / 1e6:.2f} MB all-reduced) and batch statistics "
          f"{stats_ms:.2f} ms")
    print(f"loopback all-reduce here: {1e3 * latency:.2f} ms + bytes / {bandwidth / 1e9:.2f} GB/s")
    print("\n| network | ranks | step (ms) | communication (ms) | efficiency | speedup |")
    print("|---|---|---|---|---|---|")
    for net, by_p in projection.items():
        for p, v in by_p.items():
            print(f"| {net} | {p} | {v['step_ms']:.1f} | {v['communication_ms']:.2f} | "
                  f"{100 * v['efficiency']:.0f} % | {v['speedup_over_one_rank']:.1f}x |")


if __name__ == "__main__":
    main()

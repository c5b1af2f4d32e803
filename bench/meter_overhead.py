#!/usr/bin/python3
"""Does metering change what it measures? Training throughput with the power meter sampling at
its default period against the meter off, side by side in one invocation.

The throughput pipeline (bench/pipelines/throughput.toml: VGG-11 x0.25, batch 128, 12,800
Fashion-MNIST images, two epochs) runs with `[meter] plugin = "none"` and with the meter this
machine gets (`auto`: here the CPU-utilisation estimate, as the VM has no sensors) at the default
`period_ms` (100), and with `period_ms = 10` to show where sampling starts to cost. The runs are
interleaved, each round starting at the next configuration, so machine noise falls on all alike; the second
epoch's images/s from metrics.csv is compared, as medians and as the median of per-round ratios.

Usage: /usr/bin/python3 bench/meter_overhead.py [--gearhost build/bin/gearhost] [--repeats 6]
Writes bench/results/meter_overhead.json and prints a Markdown table.
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
PIPELINE = os.path.join(ROOT, "bench", "pipelines", "throughput.toml")
CONFIGS = {
    "meter_off": ["meter.plugin=none"],
    "meter_auto_100ms": ["meter.plugin=auto"],
    "meter_auto_10ms": ["meter.plugin=auto", "meter.period_ms=10"],
}


def run_once(gearhost, overrides, out):
    cmd = [gearhost, "run", PIPELINE, *overrides, "--out", out, "--log-level", "warn"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "env.json")) as f:
        meter = json.load(f)["meter"]
    return float(rows[-1]["images_per_second"]), meter


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    speeds = {name: [] for name in CONFIGS}
    meters = {}
    with tempfile.TemporaryDirectory() as tmp:
        names = list(CONFIGS)
        for r in range(args.repeats):
            # Each round starts at another configuration, so a drift within a round (the first
            # process after a pause running faster) falls on every configuration alike.
            for name in names[r % len(names):] + names[:r % len(names)]:
                overrides = CONFIGS[name]
                ips, meter = run_once(args.gearhost, overrides, os.path.join(tmp, f"{name}-{r}"))
                speeds[name].append(ips)
                meters[name] = {k: meter.get(k) for k in ("name", "estimate", "period_ms", "method")}
                print(f"round {r + 1}/{args.repeats} {name}: {ips:.0f} img/s", file=sys.stderr)
    base = speeds["meter_off"]
    results = {}
    for name, values in speeds.items():
        ratios = [v / b for v, b in zip(values, base)]
        results[name] = {
            "images_per_second": values,
            "median_images_per_second": statistics.median(values),
            "median_ratio_to_off": statistics.median(ratios),
            "meter": meters[name],
        }
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pipeline": os.path.relpath(PIPELINE, ROOT),
        "repeats": args.repeats,
        "target": "meter at its default period within 1% of the meter off",
        "results": results,
    }
    out = os.path.join(ROOT, "bench", "results", "meter_overhead.json")
    with open(out, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print("| configuration | meter | median img/s | median ratio to off |")
    print("|---|---|---|---|")
    for name, r in results.items():
        m = r["meter"]
        label = f"{m['name']}" + (f" @ {m['period_ms']:g} ms" if m.get("period_ms") else "")
        print(f"| {name} | {label} | {r['median_images_per_second']:.0f} | "
              f"{r['median_ratio_to_off']:.4f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""What checkpointing costs: a train stage with resume points at the default frequency against
checkpointing off, side by side in one invocation.

The throughput pipeline (bench/pipelines/throughput.toml: VGG-11 x0.25, batch 128, 12,800
Fashion-MNIST images) trains 4 epochs with `run.checkpoint_every` at its default ("1 epoch":
a resume point and last.pt after epochs 1-3), at "5 s" (points inside epochs too), and "off"
(no point and no last.pt inside the stage). The stage's wall time (stages.json) is compared per
round, each round starting at the next configuration so drift falls on all alike; the time of
every resume-point write is also read from the run's log (debug lines), so the cost is measured
directly as well as by difference.

Usage: /usr/bin/python3 bench/checkpoint_overhead.py [--gearhost build/bin/gearhost] [--repeats 4]
Writes bench/results/checkpoint_overhead.json and prints a Markdown table.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "bench", "pipelines", "throughput.toml")
COMMON = ["stage.0.epochs=4", "meter.plugin=none"]
CONFIGS = {
    "off": ['run.checkpoint_every="off"', "stage.0.checkpoint=false"],
    "every_epoch": ["stage.0.checkpoint=true"],
    "every_5s": ['run.checkpoint_every="5 s"', "stage.0.checkpoint=true"],
}
WRITE = re.compile(r"resume point \((stage \d+)\) written in ([0-9.]+) ms, (\d+) bytes")


def run_once(gearhost, overrides, out):
    cmd = [gearhost, "run", PIPELINE, *COMMON, *overrides, "--out", out, "--log-level", "warn"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "stages.json")) as f:
        stage = json.load(f)[0]
    with open(os.path.join(out, "log.txt")) as f:
        writes = [(float(m.group(2)), int(m.group(3))) for m in WRITE.finditer(f.read())]
    return stage["wall_seconds"], writes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    seconds = {name: [] for name in CONFIGS}
    writes = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        names = list(CONFIGS)
        for r in range(args.repeats):
            for name in names[r % len(names):] + names[:r % len(names)]:
                wall, w = run_once(args.gearhost, CONFIGS[name], os.path.join(tmp, f"{name}-{r}"))
                seconds[name].append(wall)
                writes[name].append(w)
                print(f"round {r + 1}/{args.repeats} {name}: stage {wall:.2f} s, "
                      f"{len(w)} point(s) inside it", file=sys.stderr)
    base = seconds["off"]
    results = {}
    for name, values in seconds.items():
        ratios = [v / b for v, b in zip(values, base)]
        inside = [ms for run in writes[name] for ms, _ in run]
        sizes = [b for run in writes[name] for _, b in run]
        per_run_ms = [sum(ms for ms, _ in run) for run in writes[name]]
        results[name] = {
            "stage_seconds": values,
            "median_stage_seconds": statistics.median(values),
            "median_ratio_to_off": statistics.median(ratios),
            "points_inside_stage_per_run": statistics.median([len(run) for run in writes[name]]),
            "median_write_ms": statistics.median(inside) if inside else 0.0,
            "point_bytes": max(sizes) if sizes else 0,
            # The writes' own share of the stage: the cost without the run-to-run noise.
            "median_write_share": statistics.median(
                [ms / 1e3 / v for ms, v in zip(per_run_ms, values)]),
        }
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pipeline": os.path.relpath(PIPELINE, ROOT),
        "overrides": COMMON,
        "repeats": args.repeats,
        "target": "checkpointing at the default frequency costs under 2% of epoch time",
        "results": results,
    }
    out = os.path.join(ROOT, "bench", "results", "checkpoint_overhead.json")
    with open(out, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print("| configuration | points in the stage | write (ms) | point size (MB) | "
          "stage (s, median) | ratio to off | writes' share of the stage |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['points_inside_stage_per_run']:g} | {r['median_write_ms']:.1f} | "
              f"{r['point_bytes'] / 1e6:.2f} | {r['median_stage_seconds']:.2f} | "
              f"{r['median_ratio_to_off']:.4f} | {100 * r['median_write_share']:.2f} % |")


if __name__ == "__main__":
    main()

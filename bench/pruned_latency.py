#!/usr/bin/python3
"""Measured inference speed-up of pruned nets against their MACs ratio, at batch 1 and at batch
128, on this CPU: per architecture and level, `repeats` gearhost runs of
bench/pipelines/pruned_latency.toml, each timing the unpruned and the pruned net in the same
process (median of 5 timed passes each, after a warm-up); the medians over runs are reported.
Target (issue 18): at 50 % of the parameters removed, the speed-up reaches at least 0.7 of the
MACs ratio.

Usage: /usr/bin/python3 bench/pruned_latency.py [--archs vgg11,resnet18,mobilenet_v2]
       [--levels 0.3,0.5,0.7,0.9] [--repeats 3] [--threads 2]
Writes bench/results/pruned_latency.json.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH = {"vgg11": 0.25, "resnet18": 0.25, "mobilenet_v2": 0.5}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--archs", default="vgg11,resnet18,mobilenet_v2")
    parser.add_argument("--levels", default="0.3,0.5,0.7,0.9")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/pruned_latency.json"))
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.archs.split(","):
            for level in (float(x) for x in args.levels.split(",")):
                runs = []
                for r in range(args.repeats):
                    out = os.path.join(tmp, f"{arch}-{level}-{r}")
                    subprocess.run([args.gearhost, "run",
                                    os.path.join(ROOT, "bench/pipelines/pruned_latency.toml"),
                                    "--out", out, f"run.threads={args.threads}",
                                    f"model.architecture=\"{arch}\"",
                                    f"model.width={WIDTH.get(arch, 0.25)}",
                                    f"stage.0.target.params={level}"],
                                   check=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT)
                    with open(os.path.join(out, "summary.json")) as f:
                        runs.append(json.load(f)["final"]["cost"])
                med = lambda key: statistics.median(c["ratios"][key] for c in runs)  # noqa: E731
                first = runs[0]
                row = {
                    "params": [first["unpruned"]["params"], first["pruned"]["params"]],
                    "macs": [first["unpruned"]["inference_macs"], first["pruned"]["inference_macs"]],
                    "macs_ratio": round(med("macs_ratio"), 3),
                    "speedup_batch1": round(med("speedup_batch1"), 3),
                    "speedup_batch128": round(med("speedup_batch"), 3),
                    "batch1_over_macs_ratio": round(med("speedup_batch1_over_macs_ratio"), 3),
                    "batch128_over_macs_ratio": round(med("speedup_batch_over_macs_ratio"), 3),
                    "latency_ms_batch1": [
                        round(1e3 * statistics.median(c[k]["latency_batch1_seconds"] for c in runs), 4)
                        for k in ("unpruned", "pruned")],
                    "latency_ms_per_image_batch128": [
                        round(1e3 * statistics.median(c[k]["latency_batch_seconds"] for c in runs), 4)
                        for k in ("unpruned", "pruned")],
                }
                rows[f"{arch}@{level}"] = row
                print(arch, level, json.dumps(row), flush=True)
    at_half = {k: v for k, v in rows.items() if k.endswith("@0.5")}
    result = {
        "what": "l1 pruning of untrained nets (latency depends on the widths only), Fashion-MNIST "
                "28x28 inputs, eval mode; speed-up = unpruned / pruned latency, measured in one "
                "process; medians over runs",
        "machine": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads,
        "repeats": args.repeats, "rows": rows, "target_speedup_over_macs_ratio_at_0.5": 0.7,
        "met_at_0.5": {k: {"batch1": v["batch1_over_macs_ratio"] >= 0.7,
                           "batch128": v["batch128_over_macs_ratio"] >= 0.7}
                       for k, v in at_half.items()},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()

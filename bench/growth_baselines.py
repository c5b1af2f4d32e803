#!/usr/bin/python3
"""GEARnn-2 vs fixed-size baselines and other growth strategies, in one invocation.

On Fashion-MNIST with the quick schedule of examples/pipelines (run.epoch_scale, default 0.05):
  gearnn2      backbone -> OSG -> grown (clean) -> robust (augmented)    2 + 2 + 2 epochs
  small_din    the grown widths from scratch, clean                      8 epochs
  small_daug   the grown widths from scratch, augmented                  8 epochs
  random       gearnn2 with random growth, capped at OSG's parameters    2 + 2 + 2 epochs
  net2wider    gearnn2 with Net2Wider growth, same cap                   2 + 2 + 2 epochs
All runs use the same seed and threads and run one after another in this process, so they share
the machine's state. Training time is the sum of the train and grow stages' wall time.

Usage: /usr/bin/python3 bench/growth_baselines.py [--gearhost build/bin/gearhost]
           [--epoch-scale 0.05] [--threads 0] [--out bench/runs]
Writes bench/results/growth_baselines.json and prints a Markdown table.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINES = os.path.join(ROOT, "examples", "pipelines")
OSG_BLOCK = 'strategy = "osg"\n'
OSG_ONLY_KEYS = ("candidates", "batches")


def variant(strategy, dest):
    """gearnn2.toml with its grow stage switched to `strategy` (osg-only keys dropped)."""
    with open(os.path.join(PIPELINES, "gearnn2.toml")) as f:
        lines = f.read().splitlines(keepends=True)
    if OSG_BLOCK not in lines:
        sys.exit("gearnn2.toml has no line 'strategy = \"osg\"'; update bench/growth_baselines.py")
    out = []
    for line in lines:
        key = line.split("=")[0].strip()
        if line == OSG_BLOCK:
            line = f'strategy = "{strategy}"\n'
        elif key in OSG_ONLY_KEYS:
            continue
        elif line.startswith('name = "gearnn2"'):
            line = f'name = "gearnn2-{strategy}"\n'
        out.append(line)
    with open(dest, "w") as f:
        f.writelines(out)
    return dest


def relative_paths(override):
    """key=value with an absolute path value written relative to the repository, so results
    record no machine path."""
    key, sep, value = override.partition("=")
    if sep and os.path.isabs(value):
        value = os.path.relpath(value, ROOT)
    return key + sep + value


def run(gearhost, pipeline, out, overrides):
    start = time.time()
    cmd = [gearhost, "run", pipeline, "--out", out] + overrides
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
        sys.exit(f"{pipeline} failed with exit code {proc.returncode}")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    train = sum(s["wall_seconds"] for s in summary["stages"] if s["kind"] in ("train", "grow"))
    grow = [s for s in summary["stages"] if s["kind"] == "grow"]
    row = {
        "pipeline": os.path.relpath(pipeline, ROOT),
        "overrides": [relative_paths(o) for o in overrides],
        "clean_accuracy": summary["final"]["clean_accuracy"],
        "params": summary["final"]["params"],
        "size_percent": summary["final"]["size_percent"],
        "widths": summary["final"]["widths"],
        "epochs": sum(s.get("epochs", 0) for s in summary["stages"] if s["kind"] == "train"),
        "train_seconds": train,
        "grow_seconds": sum(s["wall_seconds"] for s in grow),
        "wall_seconds": time.time() - start,
    }
    if grow:
        row["grow"] = {k: grow[0].get(k) for k in ("bound_by", "split", "fresh", "metrics")}
    print(f"  acc {row['clean_accuracy']:.4f}  params {row['params']}  train {train:.0f} s",
          flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--epoch-scale", default="0.05")
    parser.add_argument("--threads", default="0")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "runs"))
    args = parser.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(args.out, f"growth-{stamp}")
    os.makedirs(base)
    common = [f"run.epoch_scale={args.epoch_scale}", f"run.threads={args.threads}"]
    rows = {}
    rows["gearnn2"] = run(args.gearhost, os.path.join(PIPELINES, "gearnn2.toml"),
                          os.path.join(base, "gearnn2"), common)
    widths = os.path.join(base, "gearnn2", "summary.json")
    for name in ("small_din", "small_daug"):
        rows[name] = run(args.gearhost, os.path.join(PIPELINES, f"{name}.toml"),
                         os.path.join(base, name), common + [f"model.widths_from={widths}"])
    cap = [f"model.budget.params={rows['gearnn2']['params']}"]
    for strategy in ("random", "net2wider"):
        pipeline = variant(strategy, os.path.join(base, f"gearnn2_{strategy}.toml"))
        rows[strategy] = run(args.gearhost, pipeline, os.path.join(base, strategy), common + cap)

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "epoch_scale": float(args.epoch_scale),
        "runs": rows,
        "ratios": {
            "gearnn2_time_over_small_din": rows["gearnn2"]["train_seconds"]
            / rows["small_din"]["train_seconds"],
            "gearnn2_time_over_small_daug": rows["gearnn2"]["train_seconds"]
            / rows["small_daug"]["train_seconds"],
            "accuracy_gap_vs_small_din_pp": 100 * (rows["small_din"]["clean_accuracy"]
                                                   - rows["gearnn2"]["clean_accuracy"]),
            "accuracy_gap_vs_small_daug_pp": 100 * (rows["small_daug"]["clean_accuracy"]
                                                    - rows["gearnn2"]["clean_accuracy"]),
            "osg_minus_random_pp": 100 * (rows["gearnn2"]["clean_accuracy"]
                                          - rows["random"]["clean_accuracy"]),
            "osg_minus_net2wider_pp": 100 * (rows["gearnn2"]["clean_accuracy"]
                                             - rows["net2wider"]["clean_accuracy"]),
        },
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "growth_baselines.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("\n| run | epochs | clean acc | params | size % | train time (s) |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['epochs']} | {100 * r['clean_accuracy']:.2f}% | {r['params']} | "
              f"{r['size_percent']:.2f} | {r['train_seconds']:.0f} |")
    print(json.dumps(result["ratios"], indent=2))


if __name__ == "__main__":
    main()

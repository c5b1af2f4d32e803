#!/usr/bin/python3
"""Clean vs AugMix vs ERA training on Fashion-MNIST, side by side in one invocation: epoch time
(the JSD views included) and robust accuracy (mean accuracy over the 15 corruptions x 5
severities) of the same net trained for the same epochs.

Usage: /usr/bin/python3 bench/robust_training.py [--gearhost build/bin/gearhost] [--epochs 4]
       [--limit-train 0]
Writes bench/results/robust_training.json; run folders go to bench/runs/robust-<timestamp>/.
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = {
    "clean": ["stage.0.augmentation=none"],
    "augmix": ["stage.0.augmentation.name=augmix"],
    "era": ["stage.0.augmentation.name=era"],
    # ERA's cost is the JSD forward pass of three views; without it ERA trains on one mixed view.
    "era_no_jsd": ["stage.0.augmentation.name=era", "stage.0.augmentation.jsd=false"],
}


def run(gearhost, out, overrides):
    cmd = [gearhost, "run", os.path.join(ROOT, "bench/pipelines/robust.toml"), "--out", out,
           *overrides]
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(out, "metrics.csv")) as f:
        epochs = [row for row in csv.DictReader(f) if row["kind"] == "train"]
    return summary, [float(row["seconds"]) for row in epochs]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--limit-train", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/robust_training.json"))
    args = parser.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    common = [f"stage.0.epochs={args.epochs}", f"data.limit_train={args.limit_train}"]
    rows = {}
    for name, overrides in POLICIES.items():
        out = os.path.join(ROOT, "bench/runs", f"robust-{stamp}", name)
        summary, epoch_seconds = run(args.gearhost, out, common + overrides)
        final = summary["final"]
        suite = final.get("corruptions", {})  # final.corruptions: the suite's metrics and details
        corruptions = {k: v["mean"] for k, v in suite.get("details", {}).items() if k != "clean"}
        rows[name] = {
            "epoch_seconds_median": round(statistics.median(epoch_seconds), 2),
            "epoch_seconds": [round(s, 2) for s in epoch_seconds],
            "clean_accuracy": round(final["clean_accuracy"], 4),
            "robust_accuracy": round(suite["robust_accuracy"], 4),
            "per_corruption": {k: round(v, 4) for k, v in corruptions.items()},
            "run": os.path.relpath(out, ROOT),
        }
    clean, augmix, era = rows["clean"], rows["augmix"], rows["era"]
    result = {
        "what": "VGG-11 x0.25 on Fashion-MNIST, same epochs; robust accuracy = mean over 15 "
                "corruptions x 5 severities generated on the 10k test images",
        "machine": platform.platform(), "cpus": os.cpu_count(), "epochs": args.epochs,
        "limit_train": args.limit_train, "rows": rows,
        "era_over_augmix_epoch_time": round(era["epoch_seconds_median"] / augmix["epoch_seconds_median"], 3),
        "augmix_over_clean_epoch_time": round(augmix["epoch_seconds_median"] / clean["epoch_seconds_median"], 3),
        "robust_gain_augmix_pp": round(100 * (augmix["robust_accuracy"] - clean["robust_accuracy"]), 2),
        "robust_gain_era_pp": round(100 * (era["robust_accuracy"] - clean["robust_accuracy"]), 2),
        "era_no_jsd_over_augmix_epoch_time": round(
            rows["era_no_jsd"]["epoch_seconds_median"] / augmix["epoch_seconds_median"], 3),
        "robust_gain_era_no_jsd_pp": round(
            100 * (rows["era_no_jsd"]["robust_accuracy"] - clean["robust_accuracy"]), 2),
        "target_era_over_augmix": 0.6,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()

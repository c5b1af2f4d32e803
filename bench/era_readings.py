#!/usr/bin/python3
"""Which reading of ERA's (W, D, J) = (1, 3, 4) reproduces the GEARnn paper's claim (ERA about as
robust as AugMix in ~26 % less time)? Every reading trains the same net for the same epochs,
3 seeds each (gearhost run --seeds), beside AugMix and plain training, in one invocation.

Readings (options of the `augmix` augmentation; `era` is the first):
  j_severity      W=1, D=3, severity=4, JSD over clean + 2 views       (J as the op severity)
  j_views         W=1, D=3, severity=3, JSD over clean + 3 views       (J as the number of views)
  j_severity_d13  W=1, D drawn from 1-3, severity=4, JSD clean + 2
  j_views_d13     W=1, D drawn from 1-3, severity=3, JSD clean + 3
  j_severity_nojsd W=1, D=3, severity=4, one augmented view, plain cross-entropy
  augmix          W=3, D drawn from 1-3, severity=3, JSD clean + 2     (the anchor)
  plain           crop + flip only
Each run: VGG-11 x0.125 on Fashion-MNIST for --epochs (default 15) epochs, then clean accuracy
and the 15 corruptions x 5 severities. Epoch time is the train stage's images/s.

Usage: /usr/bin/python3 bench/era_readings.py [--gearhost build/bin/gearhost] [--epochs 15]
           [--seeds 3] [--limit-train 0] [--readings a,b,...]
Writes bench/results/era_readings.json and prints a Markdown table.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READINGS = {
    "j_severity": {"width": 1, "depth": 3, "severity": 4.0, "views": 2, "jsd": True},
    "j_views": {"width": 1, "depth": 3, "severity": 3.0, "views": 3, "jsd": True},
    "j_severity_d13": {"width": 1, "depth": -1, "severity": 4.0, "views": 2, "jsd": True},
    "j_views_d13": {"width": 1, "depth": -1, "severity": 3.0, "views": 3, "jsd": True},
    "j_severity_nojsd": {"width": 1, "depth": 3, "severity": 4.0, "views": 1, "jsd": False},
    "augmix": {"width": 3, "depth": -1, "severity": 3.0, "views": 2, "jsd": True},
    "plain": None,
}

PIPELINE = """[run]
name = "era-{reading}"
device = "auto"

[data]
plugin = "fashion-mnist"
batch_size = 128
val_split = 0.0
limit_train = {limit_train}
limit_test = {limit_test}

[meter]
plugin = "auto"

[model]
architecture = "vgg11"
width = 0.125

[[stage]]
kind = "train"
epochs = {epochs}
lr = 0.05
schedule = "cosine"
warmup_epochs = 0.3
checkpoint = false
augmentation = {augmentation}

[[stage]]
kind = "evaluate"
suites = ["clean", "corruptions"]
"""


def augmentation(options):
    if options is None:
        return '{ name = "standard", padding = 2 }'
    items = ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
                      for k, v in options.items())
    return '{ name = "augmix", padding = 2, ' + items + " }"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit-train", type=int, default=0)
    parser.add_argument("--limit-test", type=int, default=2000)
    parser.add_argument("--readings", default=",".join(READINGS))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "runs", "era-readings"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for reading in args.readings.split(","):
        pipeline = os.path.join(args.out, f"{reading}.toml")
        with open(pipeline, "w") as f:
            f.write(PIPELINE.format(reading=reading, epochs=args.epochs,
                                    limit_train=args.limit_train, limit_test=args.limit_test,
                                    augmentation=augmentation(READINGS[reading])))
        out = os.path.join(args.out, reading)
        if os.path.exists(out):
            shutil.rmtree(out)
        subprocess.run([args.gearhost, "run", pipeline, "--seeds", str(args.seeds), "--jobs",
                        str(args.jobs), "--out", out, "--log-level", "warn"], check=True)
        with open(os.path.join(out, "group.json")) as f:
            group = json.load(f)
        ips = []
        for run in group["runs"]:
            with open(os.path.join(out, run["run_dir"], "summary.json")) as f:
                ips.append(json.load(f)["stages"][0]["images_per_second"])
        final = group["final"]
        results[reading] = {
            "options": READINGS[reading],
            "clean_accuracy": {k: final["clean_accuracy"][k] for k in ("mean", "std", "n")},
            "robust_accuracy": {k: final["corruptions.robust_accuracy"][k]
                                for k in ("mean", "std", "n")},
            "train_images_per_second": ips,
            "epoch_seconds_mean": sum(group["stages"][0]["wall_seconds"]["values"]) /
                                  len(ips) / args.epochs,
        }
        r = results[reading]
        print(f"{reading}: robust {100 * r['robust_accuracy']['mean']:.2f} +- "
              f"{100 * r['robust_accuracy']['std']:.2f}, clean "
              f"{100 * r['clean_accuracy']['mean']:.2f}, epoch {r['epoch_seconds_mean']:.1f} s",
              file=sys.stderr)
    anchor = results.get("augmix")
    lines = ["| reading | robust % | clean % | epoch s | robust vs AugMix (pp) | time vs AugMix |",
             "|---|---|---|---|---|---|"]
    for reading, r in results.items():
        vs = tm = "-"
        if anchor:
            vs = f"{100 * (r['robust_accuracy']['mean'] - anchor['robust_accuracy']['mean']):+.2f}"
            tm = f"{r['epoch_seconds_mean'] / anchor['epoch_seconds_mean']:.2f}x"
            r["robust_minus_augmix_pp"] = float(vs)
            r["time_ratio_to_augmix"] = r["epoch_seconds_mean"] / anchor["epoch_seconds_mean"]
        lines.append(
            f"| {reading} | {100 * r['robust_accuracy']['mean']:.2f} ± "
            f"{100 * r['robust_accuracy']['std']:.2f} | {100 * r['clean_accuracy']['mean']:.2f} ± "
            f"{100 * r['clean_accuracy']['std']:.2f} | {r['epoch_seconds_mean']:.1f} | {vs} | {tm} |")
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "epochs": args.epochs, "seeds": args.seeds, "limit_train": args.limit_train,
        "limit_test": args.limit_test,
        "paper_claim": "ERA about as robust as AugMix in ~26 % less time",
        "results": results,
    }
    with open(os.path.join(ROOT, "bench", "results", "era_readings.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

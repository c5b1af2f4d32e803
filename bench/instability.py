#!/usr/bin/python3
"""Cross-device instability on Fashion-MNIST with the built-in device bank: a clean-trained, an
AugMix-trained, an ERA-trained, a device-augmented (plain augmentation with the bank) and a
stability-trained net (CE + alpha * KL(clean || device view)), 3 seeds each, and the test-time
canonicalisation baseline (the clean net with every input re-encoded by the bank's "canonical"
profile). Accuracy beside every instability figure; reductions are 1 - I_method / I_clean.

Every run is an example pipeline of examples/pipelines/instability/ through gearhost, with the
epoch counts scaled by run.epoch_scale (the pipelines' 4 epochs at 1.0).

Usage: /usr/bin/python3 bench/instability.py [--seeds 1,2,3] [--epoch-scale 0.5]
       [--methods clean,augmix,era,device_augment,stability,stability_pairwise]
       [--alphas 0.3,1,3] [--pairwise-alphas 1]
Full scale (a GPU): --epoch-scale 5 --device cuda (20 epochs per net).
Writes bench/results/instability.json; run folders go to bench/runs/instability-<timestamp>/.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINES = os.path.join(ROOT, "examples/pipelines/instability")
FIGURES = ["set_instability", "pairwise_mean", "pairwise_max", "reference_instability",
           "correctness_instability", "mean_kl", "accuracy_mean", "accuracy_min",
           "canonical_set_instability", "canonical_accuracy_mean", "variants_set_instability",
           "cost_ratio"]


def spread(values):
    return {"mean": round(statistics.mean(values), 4),
            "std": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "values": [round(v, 4) for v in values]}


def run(args, method, alpha, seed, runs):
    pipeline = "stability.toml" if method.startswith("stability") else f"{method}.toml"
    name = method if not method.startswith("stability") else f"{method}_a{alpha:g}"
    out = os.path.join(runs, f"{name}-s{seed}")
    cmd = [args.gearhost, "run", os.path.join(PIPELINES, pipeline), "--out", out,
           f"run.seed={seed}", f"run.epoch_scale={args.epoch_scale}",
           f"run.threads={args.threads}", f"run.device=\"{args.device}\""]
    if method.startswith("stability"):
        cmd.append(f"stage.0.objective.alpha={alpha}")
        if method == "stability_pairwise":
            cmd.append("stage.0.objective.pairs=\"pairwise\"")
    print(" ".join(cmd), flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    final = summary["final"]
    row = {"accuracy": final["clean_accuracy"], "seconds": time.time() - start}
    for key in FIGURES:
        row[key] = final["instability"][key]
    return name, row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--methods",
                        default="clean,augmix,era,device_augment,stability,stability_pairwise")
    parser.add_argument("--alphas", default="0.3,1,3", help="the alpha sweep of stability")
    parser.add_argument("--pairwise-alphas", default="1")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epoch-scale", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/instability.json"))
    args = parser.parse_args()
    runs = os.path.join(ROOT, "bench/runs", "instability-" + time.strftime("%Y%m%d-%H%M%S"))
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    for method in args.methods.split(","):
        alphas = [0]
        if method == "stability":
            alphas = [float(a) for a in args.alphas.split(",")]
        elif method == "stability_pairwise":
            alphas = [float(a) for a in args.pairwise_alphas.split(",")]
        for alpha in alphas:
            for seed in seeds:
                name, row = run(args, method, alpha, seed, runs)
                results.setdefault(name, []).append(row)
    table = {}
    for name, rows in results.items():
        table[name] = {key: spread([r[key] for r in rows]) for key in rows[0]}
    # Canonicalisation is a test-time baseline on the clean net.
    if "clean" in results:
        rows = results["clean"]
        table["canonicalisation"] = {
            "accuracy": spread([r["canonical_accuracy_mean"] for r in rows]),
            "set_instability": spread([r["canonical_set_instability"] for r in rows])}
    if "clean" in table:
        base = [r["set_instability"] for r in results["clean"]]
        for name, entry in table.items():
            if name == "clean":
                continue
            mine = entry["set_instability"]["values"]
            entry["set_instability_reduction"] = spread(
                [1 - m / b for m, b in zip(mine, base) if b > 0])
    result = {
        "what": "set instability (share of test images whose top-1 label is not the same on all "
                "devices of the built-in bank) and accuracy, per training method; reductions "
                "are per seed against the clean net of the same seed",
        "command": "/usr/bin/python3 bench/instability.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in
            {"methods": args.methods, "alphas": args.alphas,
             "pairwise_alphas": args.pairwise_alphas, "seeds": args.seeds,
             "epoch_scale": args.epoch_scale, "device": args.device}.items()),
        "full_scale": "/usr/bin/python3 bench/instability.py --epoch-scale 5 --device cuda",
        "epochs_per_net": 4 * args.epoch_scale,
        "methods": table,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    for name, entry in table.items():
        red = entry.get("set_instability_reduction", {}).get("mean")
        print(f"{name:22s} acc {entry['accuracy']['mean']:.4f} ± {entry['accuracy']['std']:.4f}  "
              f"I_set {entry['set_instability']['mean']:.4f} ± {entry['set_instability']['std']:.4f}"
              + (f"  reduction {red:+.3f}" if red is not None else ""))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""ADaPT's search for the pruning level, memory_opt against cost_opt, side by side: the same
fine-tuned net (one base checkpoint, one seed), the level each mode picks, its probes and the
search's cost (retraining epochs, training MACs, wall time), per seed.

Usage: /usr/bin/python3 bench/pruning_search.py [--arch vgg11] [--seeds 1,2,3]
       [--epoch-scale 0.2] [--limit-train 6000] [--tolerance 0.01]
Full scale (a GPU): --epoch-scale 1 --limit-train 0.
Writes bench/results/pruning_search.json.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINES = os.path.join(ROOT, "examples/pipelines/adapt")


def gearhost(args, pipeline, out, overrides):
    subprocess.run([args.gearhost, "run", os.path.join(PIPELINES, pipeline), "--out", out,
                    f"run.threads={args.threads}", "run.device=\"cpu\"",
                    f"data.limit_train={args.limit_train}", *overrides],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--arch", default="vgg11")
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epoch-scale", type=float, default=0.2)
    parser.add_argument("--base-epochs", type=int, default=4)
    parser.add_argument("--limit-train", type=int, default=6000)
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/pruning_search.json"))
    args = parser.parse_args()
    model = [f"model.architecture=\"{args.arch}\""]
    rows = {"memory_opt": [], "cost_opt": []}
    with tempfile.TemporaryDirectory() as tmp:
        gearhost(args, "base.toml", os.path.join(tmp, "base"),
                 model + [f"model.width={args.width}", f"stage.0.epochs={args.base_epochs}"])
        start = [f"model.checkpoint=\"{os.path.join(tmp, 'base', 'checkpoints', 'last.pt')}\""]
        for seed in (int(s) for s in args.seeds.split(",")):
            for mode in rows:  # both modes back to back for each seed
                s = gearhost(args, "search.toml", os.path.join(tmp, f"{mode}-{seed}"),
                             model + start + [f"run.seed={seed}",
                                              f"run.epoch_scale={args.epoch_scale}",
                                              f"stage.1.mode=\"{mode}\"",
                                              f"stage.1.tolerance={args.tolerance}"])
                search = s["stages"][1]
                rows[mode].append({
                    "seed": seed, "level": search["level"],
                    "reference_val_accuracy": round(search["reference_val_accuracy"], 4),
                    "probes": [(p["level"], round(p["val_accuracy"], 4), p["met"])
                               for p in search["probes"]],
                    "retrain_epochs": search["search_cost"]["retrain_epochs"],
                    "training_gmacs": round(search["search_cost"]["training_macs"] / 1e9, 1),
                    "seconds": round(search["search_cost"]["seconds"], 1),
                    "test_accuracy": round(s["final"]["clean_accuracy"], 4),
                    "params": s["final"]["params"],
                    "params_before": s["final"]["cost"]["unpruned"]["params"],
                })
                print(mode, json.dumps(rows[mode][-1]), flush=True)
    summary = {mode: {"mean_probes": statistics.mean(len(r["probes"]) for r in v),
                      "mean_seconds": round(statistics.mean(r["seconds"] for r in v), 1),
                      "mean_level": round(statistics.mean((r["level"] or 0) for r in v), 3),
                      "mean_test_accuracy": round(statistics.mean(r["test_accuracy"] for r in v), 4)}
               for mode, v in rows.items()}
    result = {"what": f"{args.arch} x{args.width}, footwear classes of Fashion-MNIST, the search of "
                      "examples/pipelines/adapt/search.toml; tolerance on validation accuracy",
              "machine": platform.platform(), "cpus": os.cpu_count(),
              "epoch_scale": args.epoch_scale, "limit_train": args.limit_train,
              "tolerance": args.tolerance, "rows": rows, "summary": summary}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""ADaPT's claim on Fashion-MNIST: data-aware pruning (fine-tune on the device's classes, prune,
retrain on them) against the data-agnostic baseline (prune the original weights, retrain on all
classes for the same epochs, measure on the device's classes) and against random pruning, per
architecture x class subset x pruning level x seed, with the pruned nets' measured cost.

Every flow runs the example pipelines in examples/pipelines/adapt/ through gearhost, with the
epoch counts scaled by one key (run.epoch_scale; ADaPT's 5 + 25 and 30 epochs at 1.0).

Usage: /usr/bin/python3 bench/pruning_data_aware.py [--archs vgg11,resnet18,mobilenet_v2]
       [--levels 0.3,0.5,0.7,0.9] [--seeds 1,2,3] [--epoch-scale 0.2] [--base-epochs 4]
       [--limit-train 0] [--subsets footwear,upper]
Full scale (a GPU): --epoch-scale 1 --base-epochs 30 --limit-train 0 --device cuda.
Writes bench/results/pruning_data_aware.json; run folders go to bench/runs/adapt-<timestamp>/.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINES = os.path.join(ROOT, "examples/pipelines/adapt")
SUBSETS = {
    "footwear": ["Sandal", "Sneaker", "Ankle boot"],
    "upper": ["T-shirt/top", "Pullover", "Coat", "Shirt"],
}
WIDTH = {"vgg11": 0.25, "resnet18": 0.25, "mobilenet_v2": 0.5}


def toml_list(names):
    return "[" + ",".join(json.dumps(n) for n in names) + "]"


def gearhost(args, pipeline, out, overrides):
    cmd = [args.gearhost, "run", os.path.join(PIPELINES, pipeline), "--out", out,
           f"run.threads={args.threads}", f"run.device=\"{args.device}\"", *overrides]
    print(" ".join(cmd), flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    summary["_seconds"] = time.time() - start
    return summary


def spread(values):
    return {"mean": round(statistics.mean(values), 4),
            "std": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "min": round(min(values), 4), "max": round(max(values), 4),
            "values": [round(v, 4) for v in values]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--archs", default="vgg11,resnet18,mobilenet_v2")
    parser.add_argument("--subsets", default="footwear,upper")
    parser.add_argument("--levels", default="0.3,0.5,0.7,0.9")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epoch-scale", type=float, default=0.2)
    parser.add_argument("--base-epochs", type=int, default=4)
    parser.add_argument("--limit-train", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="run.device: cpu, cuda, auto")
    parser.add_argument("--width", type=float, default=0.0,
                        help="width multiplier of every architecture (0: vgg11 and resnet18 "
                             "0.25, mobilenet_v2 0.5)")
    parser.add_argument("--reuse", default="",
                        help="comma-separated bench/runs/adapt-* folders of an earlier run with "
                             "the same settings: their base and data-agnostic nets are reused")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/pruning_data_aware.json"))
    args = parser.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    runs = os.path.join(ROOT, "bench/runs", f"adapt-{stamp}")
    levels = [float(x) for x in args.levels.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    subsets = args.subsets.split(",")
    data = [f"data.limit_train={args.limit_train}"]
    scale = [f"run.epoch_scale={args.epoch_scale}"]
    result = {
        "what": "Fashion-MNIST class subsets; accuracy on the subset's test images of the final "
                "weights; data-aware = fine-tune on the subset, prune (l1 or random_prune), "
                "retrain on the subset; data-agnostic = prune the original weights with l1, "
                "retrain on all classes; epochs = ADaPT's (5 + 25, and 30) x epoch_scale",
        "machine": platform.platform(), "cpus": os.cpu_count(),
        "epoch_scale": args.epoch_scale, "base_epochs": args.base_epochs,
        "limit_train": args.limit_train, "seeds": seeds, "levels": levels,
        "subsets": {s: SUBSETS[s] for s in subsets},
        "paper": {"mean_gain_pp": 10.2, "max_gain_pp": 42.0,
                  "grid": "4 networks x 5 CIFAR-100 subsets x 19 levels, 5 repeats"},
        "archs": {},
    }
    for arch in args.archs.split(","):
        model = [f"model.architecture=\"{arch}\""]
        reused = [os.path.join(d, arch) for d in args.reuse.split(",") if d]
        base_dir = os.path.join(reused[0] if reused else runs, arch if not reused else "", "base")
        if reused:
            with open(os.path.join(base_dir, "summary.json")) as f:
                base = json.load(f)
            base["_seconds"] = base["wall_seconds"]
        else:
            base = gearhost(args, "base.toml", base_dir,
                            model + data + [f"model.width={args.width or WIDTH.get(arch, 0.25)}",
                                            f"stage.0.epochs={args.base_epochs}"])
        checkpoint = os.path.join(base_dir, "checkpoints", "last.pt")
        start = [f"model.checkpoint=\"{checkpoint}\""]
        entry = {"width": args.width or WIDTH.get(arch, 0.25),
                 "base": {"clean_accuracy_all_classes": base["final"]["clean_accuracy"],
                          "params": base["final"]["params"], "macs": base["final"]["macs"],
                          "seconds": round(base["_seconds"], 1)},
                 "subsets": {}}
        # The agnostic nets do not depend on the subset: one per level and seed.
        agnostic = {}
        for level in levels:
            for seed in seeds:
                found = [os.path.join(d, f"agnostic-{level}-{seed}") for d in reused
                         if os.path.exists(os.path.join(d, f"agnostic-{level}-{seed}",
                                                        "checkpoints", "last.pt"))]
                if found:
                    agnostic[(level, seed)] = os.path.join(found[0], "checkpoints", "last.pt")
                    continue
                out = os.path.join(runs, arch, f"agnostic-{level}-{seed}")
                gearhost(args, "data_agnostic.toml", out,
                         model + data + scale + start +
                         [f"run.seed={seed}", f"stage.0.target.params={level}"])
                agnostic[(level, seed)] = os.path.join(out, "checkpoints", "last.pt")
        for subset in subsets:
            classes = [f"data.classes={toml_list(SUBSETS[subset])}"]
            unpruned = gearhost(args, "evaluate_subset.toml",
                                os.path.join(runs, arch, f"unpruned-{subset}"),
                                model + classes + start)
            rows = {}
            for level in levels:
                cells = {"aware_l1": [], "aware_random": [], "agnostic_l1": []}
                cost = None
                for seed in seeds:
                    common = model + data + scale + classes + start + [f"run.seed={seed}"]
                    for pruner, key in (("l1", "aware_l1"), ("random_prune", "aware_random")):
                        s = gearhost(args, "data_aware.toml",
                                     os.path.join(runs, arch, f"{subset}-{pruner}-{level}-{seed}"),
                                     common + [f"stage.1.pruner=\"{pruner}\"",
                                               f"stage.1.target.params={level}"])
                        cells[key].append(s["final"]["clean_accuracy"])
                        if key == "aware_l1" and cost is None:
                            cost = s["final"]["cost"]
                            cost["retrain_seconds"] = round(cost["retrain_seconds"], 1)
                    ag = gearhost(args, "evaluate_subset.toml",
                                  os.path.join(runs, arch, f"{subset}-agnostic-{level}-{seed}"),
                                  model + classes + [f"model.checkpoint=\"{agnostic[(level, seed)]}\""])
                    cells["agnostic_l1"].append(ag["final"]["clean_accuracy"])
                gains = [100 * (a - b) for a, b in zip(cells["aware_l1"], cells["agnostic_l1"])]
                rows[str(level)] = {
                    **{k: spread(v) for k, v in cells.items()},
                    "gain_over_agnostic_pp": spread(gains),
                    "gain_over_random_pp": spread(
                        [100 * (a - b) for a, b in zip(cells["aware_l1"], cells["aware_random"])]),
                    "cost_seed1": cost,
                }
                print(arch, subset, level, json.dumps(rows[str(level)]["gain_over_agnostic_pp"]),
                      flush=True)
            entry["subsets"][subset] = {
                "unpruned_accuracy": unpruned["final"]["clean_accuracy"], "levels": rows}
        all_gains = [g for s in entry["subsets"].values() for r in s["levels"].values()
                     for g in r["gain_over_agnostic_pp"]["values"]]
        entry["mean_gain_over_agnostic_pp"] = round(statistics.mean(all_gains), 2)
        entry["max_gain_over_agnostic_pp"] = round(max(all_gains), 2)
        result["archs"][arch] = entry
        with open(args.out, "w") as f:  # after each architecture: finished work is kept
            json.dump(result, f, indent=2)
    every = [g for a in result["archs"].values() for s in a["subsets"].values()
             for r in s["levels"].values() for g in r["gain_over_agnostic_pp"]["values"]]
    result["mean_gain_over_agnostic_pp"] = round(statistics.mean(every), 2)
    result["max_gain_over_agnostic_pp"] = round(max(every), 2)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: result[k] for k in ("mean_gain_over_agnostic_pp",
                                             "max_gain_over_agnostic_pp")}))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Edge-to-cloud offloading on Fashion-MNIST streams, 3 seeds: a small OSG-grown VGG-11 on the
edge, a ResNet-18 (half width) in the cloud, each seed training both nets and drawing its own
stream. Every offload policy at 10/20/30 % of frames on a constant link and at two byte rates on
a stepped link, against edge-only, cloud-only and the offline optimum (its gap: the shortfall
from the optimum in % of the optimum's gain over edge-only); the split model's bytes per frame
against JPEG of the input at the same accuracy; the cost of a decision against the edge's
inference per frame, and the time of the offline optimum for 10k and 100k frames.

Every run is examples/pipelines/offloading/{cloud,edge}.toml through gearhost, with the epochs
scaled by run.epoch_scale (the pipelines' own epochs at 1.0).

Usage: /usr/bin/python3 bench/offloading.py [--seeds 1,2,3] [--epoch-scale 1] [--frames 10000]
Full scale (a GPU): --epoch-scale 5 --device cuda, and model.width=1.0 for the cloud
(--cloud-width 1.0).
Writes bench/results/offloading.json; run folders go to bench/runs/offloading-<timestamp>/.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINES = os.path.join(ROOT, "examples/pipelines/offloading")
ROW_FIGURES = ["accuracy", "gap_percent", "offloaded_fraction", "bytes_per_second",
               "mean_latency_ms", "p95_latency_ms", "oracle_accuracy", "decide_ns_per_frame",
               "decide_fraction_of_edge"]
SPLIT_FIGURES = ["split_accuracy", "net_accuracy", "bytes_per_frame", "raw_bytes_per_frame",
                 "jpeg_bytes_at_split_accuracy", "bytes_ratio_to_jpeg"]


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": round(statistics.mean(values), 4),
            "std": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "values": [round(v, 4) for v in values]}


def gearhost(args, pipeline, out, overrides):
    cmd = [args.gearhost, "run", os.path.join(PIPELINES, pipeline), "--out", out,
           f"run.epoch_scale={args.epoch_scale}", f"run.threads={args.threads}",
           f"run.device=\"{args.device}\""] + overrides
    print(" ".join(cmd), flush=True)
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f), time.time() - start


def one_seed(args, seed, runs):
    cloud_dir = os.path.join(runs, f"cloud-s{seed}")
    summary_file = os.path.join(cloud_dir, "summary.json")
    done = None
    if args.runs and os.path.exists(summary_file):
        with open(summary_file) as f:  # trained by an earlier call
            done = json.load(f)
    if done and done.get("status") == "completed":
        cloud_seconds = done["wall_seconds"]
    else:
        shutil.rmtree(cloud_dir, ignore_errors=True)
        cloud, cloud_seconds = gearhost(args, "cloud.toml", cloud_dir,
                                        [f"run.seed={seed}", f"model.width={args.cloud_width}"])
    edge_overrides = [f"run.seed={seed}"]
    for stage in (3, 4):
        edge_overrides += [f"stage.{stage}.cloud=\"{cloud_dir}\"",
                           f"stage.{stage}.frames={args.frames}"]
    edge_dir = os.path.join(runs, f"edge-s{seed}")
    shutil.rmtree(edge_dir, ignore_errors=True)
    edge, edge_seconds = gearhost(args, "edge.toml", edge_dir,
                                  edge_overrides)
    stages = {s["name"]: s for s in edge["stages"]}
    return {"cloud_seconds": cloud_seconds, "edge_seconds": edge_seconds,
            "constant": stages["offload"], "stepped": stages["offload-stepped-link"],
            "split": stages["split"], "edge_widths": edge.get("final", {}).get("widths")}


def summarise(per_seed, key):
    out = {"edge_accuracy": spread([s[key]["edge_accuracy"] for s in per_seed]),
           "cloud_accuracy": spread([s[key]["cloud_accuracy"] for s in per_seed]),
           "bytes_per_frame": spread([s[key]["bytes_per_frame"] for s in per_seed]),
           "edge_ms_per_frame": spread([s[key]["edge_ms_per_frame"] for s in per_seed]),
           "rows": {}}
    for row in per_seed[0][key]["rows"]:
        name = f"{row['policy']}@{row['target']}"
        rows = [next(r for r in s[key]["rows"]
                     if r["policy"] == row["policy"] and r["target"] == row["target"])
                for s in per_seed]
        out["rows"][name] = {f: spread([r[f] for r in rows]) for f in ROW_FIGURES}
    return out


def oracle_cost(args):
    exe = os.path.join(os.path.dirname(args.gearhost), "gear_bench_offload_oracle")
    lines = subprocess.run([exe], check=True, capture_output=True, text=True).stdout.split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def decide_cost(args):
    exe = os.path.join(os.path.dirname(args.gearhost), "gear_bench_offloading")
    if not os.path.exists(exe):
        return None
    lines = subprocess.run([exe], check=True, capture_output=True, text=True).stdout.split("\n")
    return [json.loads(line) for line in lines if line.strip().startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epoch-scale", type=float, default=1.0)
    parser.add_argument("--frames", type=int, default=10000)
    parser.add_argument("--cloud-width", type=float, default=0.25)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--runs", default="",
                        help="run folder to use; cloud runs already finished there are reused")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/offloading.json"))
    args = parser.parse_args()
    runs = args.runs or os.path.join(ROOT, "bench/runs", time.strftime("offloading-%Y%m%d-%H%M%S"))
    seeds = [int(s) for s in args.seeds.split(",")]
    per_seed = [one_seed(args, seed, runs) for seed in seeds]
    result = {
        "setup": {"seeds": seeds, "epoch_scale": args.epoch_scale, "frames": args.frames,
                  "cloud": f"resnet18 width {args.cloud_width}",
                  "edge": "vgg11 width 0.0625 grown by OSG (gamma 0.5)",
                  "stream": "Fashion-MNIST test scenes of 10-60 frames, midrange_android profile, "
                            "JPEG q90 uploads",
                  "constant_link": "1 Mbit/s, RTT 50 ms", "stepped_link":
                      "400 / 24 / 96 kbit/s, 30 s each, RTT 50 ms"},
        "constant_link": summarise(per_seed, "constant"),
        "stepped_link": summarise(per_seed, "stepped"),
        "split": {f: spread([s["split"][f] for s in per_seed]) for f in SPLIT_FIGURES},
        "split_jpeg_curve_seed1": per_seed[0]["split"]["jpeg"],
        "seconds": {"cloud": spread([s["cloud_seconds"] for s in per_seed]),
                    "edge_pipeline": spread([s["edge_seconds"] for s in per_seed])},
        "oracle_cost": oracle_cost(args),
        "decide_cost": decide_cost(args),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: result[k] for k in ("oracle_cost",)}, indent=1))
    for key in ("constant_link", "stepped_link"):
        print(key, "edge", result[key]["edge_accuracy"], "cloud", result[key]["cloud_accuracy"])
        for name, row in result[key]["rows"].items():
            print(f"  {name:<26} acc {row['accuracy']['mean']:.4f}±{row['accuracy']['std']:.4f} "
                  f"gap {row['gap_percent']['mean']:.1f}±{row['gap_percent']['std']:.1f}% "
                  f"offloaded {row['offloaded_fraction']['mean']:.3f}")
    print("split", json.dumps(result["split"]))


if __name__ == "__main__":
    main()

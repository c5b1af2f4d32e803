#!/usr/bin/python3
"""Grow and prune stages on several ranks: sharded passes against whole ones.

Side by side in one invocation, on bench/pipelines/sharded_stages.toml (VGG-11 x0.25, batch
128; an OSG grow stage with 20 candidate and 20 scoring batches, a Taylor prune stage with 20
scoring batches):
  - one process, 1 thread: what each rank of a replicated stage does (the whole passes, on its
    own core),
  - one process, 2 threads (intra-op threads; grow and prune passes are not batch-split),
  - 2 ranks x 1 thread (gearhost --nproc 2): each rank passes over its share and the ranks sum
    gradients and scores (GrowthContext::for_each_shard / sum_across_ranks).
Each round starts at the next configuration, so drift falls on all alike. Times come from the
stage records (data_passes.seconds: the passes with the plugin's steps, exchanges included).
The ranks' decisions (widths after either stage) are checked against one process x 2 threads:
its batch split trains the ranks' weights bit for bit before the stages, while one thread's
whole-batch kernels round differently and may tip a close decision.

Usage: /usr/bin/python3 bench/sharded_stages.py [--gearhost build/bin/gearhost] [--repeats 3]
Writes bench/results/sharded_stages.json and prints a Markdown table.
"""
import argparse
import json
import os
import statistics

import rounds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "bench", "pipelines", "sharded_stages.toml")
COMMON = ["meter.plugin=none", 'run.checkpoint_every="off"']
CONFIGS = {
    "1 process x 1 thread": (["run.threads=1"], []),
    "1 process x 2 threads": (["run.threads=2"], []),
    "2 ranks x 1 thread (sharded)": (["run.threads=1"], ["--nproc", "2"]),
}


def read_run(out):
    with open(os.path.join(out, "stages.json")) as f:
        stages = {s["kind"]: s for s in json.load(f)}
    grow, prune = stages["grow"], stages["prune"]
    return {
        "grow_seconds": grow["data_passes"]["seconds"],
        "prune_seconds": prune["data_passes"]["seconds"],
        "grow_sum_seconds": grow["data_passes"]["sum_seconds"],
        "grow_samples_per_rank": grow["data_passes"]["samples"],
        "widths": [grow["widths_after"], prune["widths_after"]],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = rounds.gearhost_rounds(
        args.gearhost, PIPELINE, COMMON, CONFIGS, args.repeats, read_run,
        lambda row: f"grow {row['grow_seconds']:.2f} s, prune {row['prune_seconds']:.2f} s")
    reference = rows["1 process x 2 threads"][0]["widths"]
    results = {}
    for name, runs in rows.items():
        same = all(run["widths"] == reference for run in runs)
        results[name] = {
            "grow_seconds": [run["grow_seconds"] for run in runs],
            "prune_seconds": [run["prune_seconds"] for run in runs],
            "median_grow_seconds": statistics.median(run["grow_seconds"] for run in runs),
            "median_prune_seconds": statistics.median(run["prune_seconds"] for run in runs),
            "median_grow_sum_seconds": statistics.median(run["grow_sum_seconds"] for run in runs),
            "grow_samples_per_rank": runs[0]["grow_samples_per_rank"],
            "same_widths_as_1_process_x_2_threads": same,
            "widths_after_grow_and_prune": runs[0]["widths"],
        }
    rounds.save("sharded_stages", {"pipeline": os.path.relpath(PIPELINE, ROOT),
                                   "overrides": COMMON, "repeats": args.repeats,
                                   "results": results})
    base = results["1 process x 1 thread"]
    print("| configuration | OSG passes (s) | Taylor prune stage (s) | grow samples per rank |"
          " same widths as 1 x 2 |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['median_grow_seconds']:.2f} "
              f"({base['median_grow_seconds'] / r['median_grow_seconds']:.2f}x) | "
              f"{r['median_prune_seconds']:.2f} "
              f"({base['median_prune_seconds'] / r['median_prune_seconds']:.2f}x) | "
              f"{r['grow_samples_per_rank']} | "
              f"{'yes' if r['same_widths_as_1_process_x_2_threads'] else 'NO'} |")


if __name__ == "__main__":
    main()

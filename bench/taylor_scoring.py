#!/usr/bin/python3
"""Taylor pruning's scoring pass: this build against an earlier one, side by side.

On bench/pipelines/taylor_scoring.toml (one train epoch on 5,120 Fashion-MNIST images, then a
Taylor prune stage scoring 40 batches of 128 on 2 threads) for each architecture asked for, this
build's gearhost and the `--before` one run in interleaved rounds. The time is the prune stage's
data passes (data_passes.seconds: the scoring pass with the plugin's sums); both builds must
prune to the same widths, which the script checks.

Usage: /usr/bin/python3 bench/taylor_scoring.py --before <an earlier build's gearhost>
       [--gearhost build/bin/gearhost] [--architectures resnet18,mobilenet_v2] [--repeats 3]
`--before` may be a script that sets LD_LIBRARY_PATH for a copied build.
Writes bench/results/taylor_scoring.json and prints a Markdown table.
"""
import argparse
import json
import os
import statistics

import rounds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "bench", "pipelines", "taylor_scoring.toml")
COMMON = ["meter.plugin=none", 'run.checkpoint_every="off"']


def read_run(out):
    with open(os.path.join(out, "stages.json")) as f:
        prune = [s for s in json.load(f) if s["kind"] == "prune"][0]
    return {"seconds": prune["data_passes"]["seconds"], "widths": prune["widths_after"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--before", required=True, help="an earlier build's gearhost")
    parser.add_argument("--architectures", default="resnet18,mobilenet_v2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    builds = {"after": args.gearhost, "before": args.before}
    results = {}
    for arch in args.architectures.split(","):
        overrides = ([*COMMON, f'model.architecture="{arch}"'], [])
        rows = rounds.interleaved(
            list(builds), args.repeats,
            lambda name, r: rounds.gearhost_run(builds[name], PIPELINE, overrides, read_run),
            lambda row: f"{arch} scoring {row['seconds']:.2f} s")
        after = [row["seconds"] for row in rows["after"]]
        before = [row["seconds"] for row in rows["before"]]
        ratios = [a / b for a, b in zip(after, before)]
        results[arch] = {
            "after_seconds": after, "before_seconds": before,
            "median_after_seconds": statistics.median(after),
            "median_before_seconds": statistics.median(before),
            "median_after_over_before": statistics.median(ratios),
            "same_widths": all(row["widths"] == rows["before"][0]["widths"]
                               for row in rows["after"] + rows["before"]),
            "widths_after_pruning": rows["after"][0]["widths"],
        }
    rounds.save("taylor_scoring", {"pipeline": os.path.relpath(PIPELINE, ROOT),
                                   "overrides": COMMON, "repeats": args.repeats,
                                   "results": results})
    print("| architecture | before (s) | after (s) | after / before (median of pairs) |"
          " same widths |")
    print("|---|---|---|---|---|")
    for arch, r in results.items():
        print(f"| {arch} | {r['median_before_seconds']:.2f} | {r['median_after_seconds']:.2f} | "
              f"{r['median_after_over_before']:.2f} | {'yes' if r['same_widths'] else 'NO'} |")


if __name__ == "__main__":
    main()

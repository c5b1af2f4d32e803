#!/usr/bin/python3
"""The quickstart (examples/pipelines/quickstart.toml) run by two builds in interleaved rounds,
alternating which build goes first, so that this VM's drift falls on both alike: final test
accuracy, each epoch's training images/s, and wall time per run.

Usage: /usr/bin/python3 bench/quickstart_before_after.py --before OLD/bin/gearhost
           --before-commit REV [--after build/bin/gearhost] [--rounds 6] [--threads 2]
Writes bench/results/quickstart_before_after.json. The older build is built from a worktree of
REV (cmake targets gearhost and the plugins the quickstart loads, or everything).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rounds  # noqa: E402

ROOT = rounds.ROOT
PIPELINE = os.path.join(ROOT, "examples/pipelines/quickstart.toml")


def read_run(out):
    """Images/s per training epoch and the final clean accuracy of the run folder `out`."""
    with open(os.path.join(out, "metrics.csv")) as f:
        rows = [r for r in csv.DictReader(f)
                if r.get("kind") == "train" and r.get("images_per_second")]
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return {"images_per_second_by_epoch": [round(float(r["images_per_second"])) for r in rows],
            "final_clean_accuracy": summary_accuracy(summary)}


def summary_accuracy(summary):
    """The final weights' clean test accuracy in a run's summary.json."""
    accuracy = summary.get("final", {}).get("clean_accuracy")
    if accuracy is None:
        raise SystemExit("quickstart_before_after: no final.clean_accuracy in summary.json")
    return round(float(accuracy), 4)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="the older build's gearhost")
    parser.add_argument("--before-commit", required=True, help="the older build's commit")
    parser.add_argument("--after", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    after_commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True, check=True).stdout.strip()
    builds = {"before": args.before, "after": args.after}
    in_order = []

    def run_one(name, r):
        start = time.perf_counter()
        result = rounds.gearhost_run(builds[name], PIPELINE, ([f"run.threads={args.threads}"], []),
                                     read_run)
        in_order.append({"round": r + 1, "build": name,
                         "wall_seconds": round(time.perf_counter() - start, 1), **result})
        return in_order[-1]

    runs = rounds.interleaved(
        list(builds), args.rounds, run_one,
        lambda x: (f"{x['wall_seconds']:.1f} s, {x['images_per_second_by_epoch']} img/s, "
                   f"accuracy {x['final_clean_accuracy']}"))
    pairs = list(zip(runs["before"], runs["after"]))
    rate = [statistics.median(a["images_per_second_by_epoch"]) /
            statistics.median(b["images_per_second_by_epoch"]) for b, a in pairs]
    wall = [b["wall_seconds"] / a["wall_seconds"] for b, a in pairs]
    record = rounds.save("quickstart_before_after", {
        "what": (f"{os.path.relpath(PIPELINE, ROOT)} run by the build of {args.before_commit} and "
                 f"by {after_commit}, interleaved, {args.rounds} rounds alternating which goes "
                 f"first, {args.threads} threads, one machine"),
        "command": ("build/bin/gearhost --log-level warn run examples/pipelines/quickstart.toml "
                    f"run.threads={args.threads} --out DIR, for each build in turn"),
        "before_commit": args.before_commit, "after_commit": after_commit,
        "final_clean_accuracy": {name: sorted({x["final_clean_accuracy"] for x in runs[name]})
                                 for name in builds},
        "median_paired_ratio_images_per_second_after_over_before":
            round(statistics.median(rate), 3),
        "paired_ratio_range": [round(min(rate), 3), round(max(rate), 3)],
        "median_paired_ratio_wall_before_over_after": round(statistics.median(wall), 3),
        "runs": in_order,
    })
    print(json.dumps({k: v for k, v in record.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()

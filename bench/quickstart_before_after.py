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
import platform
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.path.join(ROOT, "examples/pipelines/quickstart.toml")


def run(gearhost, threads):
    """Wall seconds, images/s per epoch and the final clean accuracy of one quickstart run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        start = time.perf_counter()
        subprocess.run([gearhost, "--log-level", "warn", "run", PIPELINE, f"run.threads={threads}",
                        "--out", out], check=True, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = [r for r in csv.DictReader(f)
                    if r.get("kind") == "train" and r.get("images_per_second")]
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
    return {"wall_seconds": round(wall, 1),
            "images_per_second_by_epoch": [round(float(r["images_per_second"])) for r in rows],
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
    parser.add_argument("--out",
                        default=os.path.join(ROOT, "bench/results/quickstart_before_after.json"))
    args = parser.parse_args()
    after_commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True, check=True).stdout.strip()
    builds = {"before": args.before, "after": args.after}
    runs = []
    for r in range(args.rounds):
        order = ("before", "after") if r % 2 == 0 else ("after", "before")
        for name in order:
            result = {"round": r + 1, "build": name, **run(builds[name], args.threads)}
            runs.append(result)
            print(f"round {r + 1} {name:6s} {result['wall_seconds']:6.1f} s "
                  f"{result['images_per_second_by_epoch']} img/s "
                  f"accuracy {result['final_clean_accuracy']}", flush=True)

    def of(name, r):
        return next(x for x in runs if x["round"] == r and x["build"] == name)

    rounds = range(1, args.rounds + 1)
    rate = {r: statistics.median(of("after", r)["images_per_second_by_epoch"]) /
            statistics.median(of("before", r)["images_per_second_by_epoch"]) for r in rounds}
    wall = {r: of("before", r)["wall_seconds"] / of("after", r)["wall_seconds"] for r in rounds}
    accuracy = {name: sorted({x["final_clean_accuracy"] for x in runs if x["build"] == name})
                for name in builds}
    result = {
        "what": (f"{os.path.relpath(PIPELINE, ROOT)} run by the build of {args.before_commit} and "
                 f"by {after_commit}, interleaved, {args.rounds} rounds alternating which goes "
                 f"first, {args.threads} threads, one machine"),
        "command": ("build/bin/gearhost --log-level warn run examples/pipelines/quickstart.toml "
                    f"run.threads={args.threads} --out DIR, for each build in turn"),
        "before_commit": args.before_commit, "after_commit": after_commit,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "date": time.strftime("%Y-%m-%d"),
        "final_clean_accuracy": accuracy,
        "median_paired_ratio_images_per_second_after_over_before":
            round(statistics.median(rate.values()), 3),
        "paired_ratio_range": [round(min(rate.values()), 3), round(max(rate.values()), 3)],
        "median_paired_ratio_wall_before_over_after": round(statistics.median(wall.values()), 3),
        "runs": runs,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The GEARnn paper's table re-measured with GEAR's ERA and AugMix, 3 seeds per row, in one run.

Rows (examples/pipelines; every train stage's epochs scaled by run.epoch_scale, default 0.05 of
the paper's CIFAR-10 schedule):
  gearnn2      clean backbone -> OSG -> clean grown net -> ERA           40 + 1 + 40 + 40 epochs
  gearnn1      ERA backbone -> OSG on ERA data -> ERA grown net          40 + 1 + 40
  small_din    the grown widths (gearnn2, seed 1) from scratch, clean     160
  small_daug   the same with AugMix (3 chains, JSD)                       160
  small_dera   the same with ERA (Small(D_ERA), the reviewers' baseline)  160
Each row is a seed group (gearhost run --seeds 3); every run ends with clean accuracy and the 15
corruptions x 5 severities. Energy comes from [meter] plugin = "auto": on a machine without
sensors it is the CPU-utilisation estimate, and the table says "(est.)".

Usage: /usr/bin/python3 bench/gearnn_table.py [--gearhost build/bin/gearhost] [--seeds 3]
           [--epoch-scale 0.05] [--limit-train 0] [--limit-test 0] [--jobs 1]
           [--out bench/runs/gearnn-table]
Full scale on a GPU:
  /usr/bin/python3 bench/gearnn_table.py --epoch-scale 1 --out runs/gearnn-table-full
Writes bench/results/gearnn_table.json, bench/results/gearnn_table.md (the report's table with
the paper's ratios) and the report page in the output folder.
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
PIPELINES = os.path.join(ROOT, "examples", "pipelines")

# The paper's CIFAR-10 VGG-19 rows (Quadro RTX 6000; Jetson Xavier NX in brackets), as the
# reviews quote them: training minutes and robust accuracy.
PAPER = {
    "time_ratio_small_daug_over_gearnn2": {"quadro": 215 / 53, "jetson_mean": 2.3},
    "time_ratio_small_daug_over_gearnn1": {"quadro": 215 / 86},
    "robust_gap_gearnn2_minus_small_daug_pp": {"quadro": 83.77 - 85.73, "jetson": -2.28},
    "robust_gap_gearnn1_minus_small_daug_pp": {"quadro": 82.86 - 85.73},
}
TARGET = "GEARnn-2 at >= 2.3x less training time than Small(D_aug), robust accuracy within 1 pp"


def group_run(gearhost, pipeline, out, seeds, overrides, jobs):
    if os.path.exists(out):
        shutil.rmtree(out)
    cmd = [gearhost, "run", pipeline, *overrides, "--seeds", str(seeds), "--jobs", str(jobs),
           "--out", out, "--log-level", "warn"]
    print("+", " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd),
          file=sys.stderr)
    started = time.time()
    subprocess.run(cmd, check=True)
    with open(os.path.join(out, "group.json")) as f:
        group = json.load(f)
    group["bench_wall_seconds"] = time.time() - started
    return group


def stat(group, key):
    value = group["final"].get(key)
    return None if value is None else {k: value[k] for k in ("mean", "std", "min", "max", "n")}


def train_seconds(group):
    """Mean over seeds of the summed train and grow stage times."""
    total = 0.0
    for stage in group["stages"]:
        if stage["kind"] in ("train", "grow"):
            total += stage["wall_seconds"]["mean"]
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build", "bin", "gearhost"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--epoch-scale", type=float, default=0.05)
    parser.add_argument("--limit-train", type=int, default=0,
                        help="train on the first N images only (0 = all 60,000)")
    parser.add_argument("--limit-test", type=int, default=0,
                        help="evaluate on the first N test images only (0 = all 10,000)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "runs", "gearnn-table"))
    parser.add_argument("--rows", default="gearnn2,gearnn1,small_din,small_daug,small_dera")
    parser.add_argument("--reuse", default="",
                        help="rows to read from an earlier run in --out instead of running them")
    args = parser.parse_args()
    common = [f"run.epoch_scale={args.epoch_scale}", "run.threads=0"]
    if args.limit_train:
        common.append(f"data.limit_train={args.limit_train}")
    if args.limit_test:
        common.append(f"data.limit_test={args.limit_test}")
    os.makedirs(args.out, exist_ok=True)
    rows = args.rows.split(",")
    groups = {}
    gearnn2_dir = os.path.join(args.out, "gearnn2")
    widths_from = os.path.join(gearnn2_dir, "seed-1", "summary.json")
    reused = [r for r in args.reuse.split(",") if r]
    for row in reused:
        with open(os.path.join(args.out, row, "group.json")) as f:
            groups[row] = json.load(f)
    rows = [r for r in rows if r not in reused]
    for row in rows:
        out = os.path.join(args.out, row)
        if row in ("gearnn2", "gearnn1"):
            pipeline, extra = os.path.join(PIPELINES, f"{row}.toml"), []
        else:
            base = "small_din" if row == "small_din" else "small_daug"
            pipeline = os.path.join(PIPELINES, f"{base}.toml")
            extra = [f"model.widths_from={widths_from}", f"run.name={row}"]
            if row == "small_daug":
                extra.append("stage.0.augmentation.name=augmix")
        groups[row] = group_run(args.gearhost, pipeline, out, args.seeds, common + extra,
                                args.jobs)

    table_md = os.path.join(args.out, "table.md")
    rows = [r for r in args.rows.split(",")]
    subprocess.run([args.gearhost, "report", *[os.path.join(args.out, r) for r in rows],
                    "--html", os.path.join(args.out, "report.html"), "--markdown", table_md,
                    "--quiet"], check=True)
    with open(table_md) as f:
        table = f.read().replace(ROOT + os.sep, "")  # no machine paths in results

    figures = {}
    for row in rows:
        g = groups[row]
        figures[row] = {
            "clean_accuracy": stat(g, "clean_accuracy"),
            "robust_accuracy": stat(g, "corruptions.robust_accuracy"),
            "size_percent": stat(g, "size_percent"),
            "params": stat(g, "params"),
            "train_seconds_mean": train_seconds(g),
            "energy_joules": g.get("energy_joules"),
            "status": g["status"],
        }
    ours = {}
    if "gearnn2" in figures and "small_daug" in figures:
        g2, daug = figures["gearnn2"], figures["small_daug"]
        ours["time_ratio_small_daug_over_gearnn2"] = daug["train_seconds_mean"] / g2[
            "train_seconds_mean"]
        ours["robust_gap_gearnn2_minus_small_daug_pp"] = 100 * (
            g2["robust_accuracy"]["mean"] - daug["robust_accuracy"]["mean"])
        if g2["energy_joules"] and daug["energy_joules"]:
            ours["energy_ratio_small_daug_over_gearnn2"] = (
                daug["energy_joules"]["mean"] / g2["energy_joules"]["mean"])
    if "gearnn1" in figures and "small_daug" in figures:
        g1, daug = figures["gearnn1"], figures["small_daug"]
        ours["time_ratio_small_daug_over_gearnn1"] = daug["train_seconds_mean"] / g1[
            "train_seconds_mean"]
        ours["robust_gap_gearnn1_minus_small_daug_pp"] = 100 * (
            g1["robust_accuracy"]["mean"] - daug["robust_accuracy"]["mean"])
    met = None
    if "time_ratio_small_daug_over_gearnn2" in ours:
        met = (ours["time_ratio_small_daug_over_gearnn2"] >= 2.3 and
               ours["robust_gap_gearnn2_minus_small_daug_pp"] >= -1.0)
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "epoch_scale": args.epoch_scale,
        "limit_train": args.limit_train,
        "limit_test": args.limit_test,
        "seeds": args.seeds,
        "reused_rows": reused,
        "rows": figures,
        "gear_ratios": ours,
        "paper_ratios": PAPER,
        "target": TARGET,
        "target_met": met,
    }
    with open(os.path.join(ROOT, "bench", "results", "gearnn_table.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    lines = [table.rstrip(), "", "| ratio | GEAR (this machine) | paper |", "|---|---|---|"]
    for key, value in ours.items():
        paper = PAPER.get(key, {})
        paper_text = ", ".join(f"{k}: {v:.2f}" for k, v in paper.items()) or "-"
        lines.append(f"| {key} | {value:.2f} | {paper_text} |")
    lines.append("")
    lines.append(f"Target: {TARGET}: {'met' if met else 'missed' if met is not None else 'n/a'}")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(ROOT, "bench", "results", "gearnn_table.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

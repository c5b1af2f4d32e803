"""Plots a run folder: accuracy per epoch, and each channel group's width after every stage.

    /usr/bin/python3 examples/python/plot_run.py RUN_FOLDER [--out plot.png]

Reads summary.json and metrics.csv (what gearhost and gear.run write); needs Debian's
python3-matplotlib. Works on a finished run and on one still going.
"""

import argparse
import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, no display needed
import matplotlib.pyplot as plt  # noqa: E402


def load(run):
    summary = json.loads((run / "summary.json").read_text())
    with open(run / "metrics.csv", newline="") as f:
        epochs = list(csv.DictReader(f))
    return summary, epochs


def plot(run, out):
    summary, epochs = load(run)
    fig, (acc, widths) = plt.subplots(1, 2, figsize=(12, 4.5))

    # Accuracy against the epoch count over the whole run, one colour per stage.
    x = range(1, len(epochs) + 1)
    for column, style in [("train_accuracy", "--"), ("val_accuracy", "-")]:
        acc.plot(x, [float(row[column]) for row in epochs], style, label=column.replace("_", " "))
    for i, row in enumerate(epochs[1:], start=1):
        if row["stage"] != epochs[i - 1]["stage"]:
            acc.axvline(i + 0.5, color="grey", lw=0.8)  # a grow stage or a new train stage
    if "final" in summary:
        acc.axhline(summary["final"]["clean_accuracy"], color="k", lw=0.8, ls=":",
                    label=f"test {summary['final']['clean_accuracy']:.4f}")
    acc.set(xlabel="epoch", ylabel="accuracy", title=f"{summary['name']} ({summary['status']})")
    acc.legend()

    # Widths per group after each stage: growth shows as steps.
    stages = summary["stages"]
    groups = (summary.get("final") or {}).get("groups") or [f"group {i}"
                                                            for i in range(len(stages[0]["widths"]))]
    labels = [f"{s['index']}:{s['kind']}" for s in stages]
    for g, name in enumerate(groups):
        widths.plot(labels, [s["widths"][g] for s in stages], marker="o", label=name)
    widths.set(xlabel="stage", ylabel="channels", title=f"widths ({summary['architecture']})")
    widths.legend(fontsize="small", ncol=2)

    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder (with summary.json)")
    parser.add_argument("--out", type=Path, help="image to write (default: RUN/plot.png)")
    args = parser.parse_args()
    plot(args.run, args.out or args.run / "plot.png")

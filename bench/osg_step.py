#!/usr/bin/python3
"""OSG's growth step in epoch-equivalents of the grown net, and what its cost is made of.

Firefly's step (the paper's setting: K = 70 fresh candidates per group, one candidate epoch,
one scoring pass over the training split) is two passes over the data through the candidate
network, every layer 2C + K channels wide (each of its C channels split into two children, plus
K fresh ones). One epoch-equivalent is one training epoch of the grown net, so the step costs

    (candidate seconds per batch + scoring seconds per batch) / grown training seconds per batch

epoch-equivalents, whatever the size of the training split. This script measures the three
per-batch times with gearhost in one run per width (VGG-11 on Fashion-MNIST: a backbone epoch,
the OSG step on --batches batches, two epochs of the grown net, the same batches and threads),
once scoring every group from its weight gradients, once scoring at the taps the groups that
allow it (`tap_scores`), both with the consumers reading both children of every split, and once
at the taps with the consumers reading each split pair's mean (`average_pairs`; both are the
defaults), and splits the candidate network's multiply-accumulates
(gearhost's `candidate_macs`) into the blocks of each convolution: old and split channels to old
and split channels, and everything that touches the K fresh channels.

Usage: /usr/bin/python3 bench/osg_step.py [--gearhost build/bin/gearhost] [--widths 0.125,0.5]
           [--candidates 70] [--batches 12] [--threads 0] [--repeats 1]
Writes bench/results/osg_step.json.
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eager_nets import VGG11, scaled  # noqa: E402

BATCH = 128
VAL_SPLIT = 0.05

PIPELINE = """
[run]
name = "osg-step"
seed = 1
device = "cpu"
threads = {threads}

[data]
plugin = "fashion-mnist"
batch_size = {batch}
val_split = {val_split}
limit_train = {limit}

[model]
architecture = "vgg11"
width = {width}

[[stage]]
name = "backbone"
kind = "train"
epochs = 1
lr = 0.05

[[stage]]
name = "osg"
kind = "grow"
strategy = "osg"
gamma = 0.9
candidates = {candidates}
batches = {batches}
tap_scores = {tap_scores}
average_pairs = {average_pairs}

[[stage]]
name = "grown"
kind = "train"
epochs = 2
lr = 0.05
"""


def vgg11_convs(widths, size=28, in_channels=1, inputs=None):
    """(input channels, output channels, plane side) of each 3x3 conv of architectures/vgg at
    group widths `widths`, as bench/eager_nets.Vgg lays them out. Each conv reads the previous
    one's channels (`in_channels` for the first) unless `inputs` gives them per conv."""
    convs, c, i = [], in_channels, 0
    for item in VGG11:
        if item == "M":
            size = size // 2 if size > 1 else size
        else:
            convs.append((inputs[i] if inputs else c, widths[i], size))
            c = widths[i]
            i += 1
    return convs


def candidate_blocks(backbone, k):
    """MACs per sample of the candidate net's convs, by block: rows and columns of old channels
    and split children (2C) against those of the K fresh channels."""
    rows = [2 * c + k for c in backbone]
    blocks = {"split_to_split": 0, "fresh_rows": 0, "fresh_columns": 0, "fresh_to_fresh": 0}
    for layer, (_, _, side) in enumerate(vgg11_convs(rows)):
        cin_old = 1 if layer == 0 else 2 * backbone[layer - 1]
        cin_fresh = 0 if layer == 0 else k
        cout_old, cout_fresh = 2 * backbone[layer], k
        taps = 9 * side * side
        blocks["split_to_split"] += taps * cin_old * cout_old
        blocks["fresh_rows"] += taps * cin_old * cout_fresh
        blocks["fresh_columns"] += taps * cin_fresh * cout_old
        blocks["fresh_to_fresh"] += taps * cin_fresh * cout_fresh
    return blocks


def images_per_second(metrics_csv, stage_epochs):
    with open(metrics_csv) as f:
        rows = [r for r in csv.DictReader(f) if r.get("images_per_second")]
    return [float(r["images_per_second"]) for r in rows][-stage_epochs:]


def measure(gearhost, width, tap_scores, average_pairs, args, workdir):
    limit = int(round(args.batches * BATCH / (1 - VAL_SPLIT))) + 1
    tag = f"{width}_{'taps' if tap_scores else 'weights'}_{'means' if average_pairs else 'halves'}"
    pipeline = os.path.join(workdir, f"osg_step_{tag}.toml")
    with open(pipeline, "w") as f:
        f.write(PIPELINE.format(threads=args.threads, batch=BATCH, val_split=VAL_SPLIT,
                                limit=limit, width=width, candidates=args.candidates,
                                batches=args.batches,
                                tap_scores="true" if tap_scores else "false",
                                average_pairs="true" if average_pairs else "false"))
    out = os.path.join(workdir, f"run_{tag}")
    cmd = [gearhost, "run", pipeline, "--out", out]
    print("$", " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd),
          flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
        sys.exit(f"gearhost failed with exit code {proc.returncode}")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    grow = next(s for s in summary["stages"] if s["kind"] == "grow")
    m = grow["metrics"]
    # The options must have reached the stage (an earlier version of this script dropped them).
    if (m["tap_scored_groups"] > 0) != tap_scores:
        sys.exit(f"tap_scores = {tap_scores} but {m['tap_scored_groups']} groups scored at taps")
    if (m["pair_averaged_groups"] > 0) != average_pairs:
        sys.exit(f"average_pairs = {average_pairs} but {m['pair_averaged_groups']} groups averaged")
    # The grown net's second epoch (the first one also warms the allocator up).
    grown_rate = images_per_second(os.path.join(out, "metrics.csv"), 1)[-1]
    train = BATCH / grown_rate
    candidate = m["candidate_seconds"] / m["candidate_steps"]
    scoring = m["scoring_seconds"] / args.batches
    backbone = [scaled(c, width) for c in VGG11 if c != "M"]
    blocks = candidate_blocks(backbone, args.candidates)
    conv_total = sum(blocks.values())
    return {
        "width": width,
        "tap_scores": tap_scores,
        "tap_scored_groups": int(m["tap_scored_groups"]),
        "average_pairs": average_pairs,
        "pair_averaged_groups": int(m["pair_averaged_groups"]),
        # Pair averaging is the same network: the losses agree to float rounding.
        "candidate_loss": m["candidate_loss"],
        "scoring_loss": m["scoring_loss"],
        "backbone_widths": backbone,
        "grown_widths": summary["final"]["widths"],
        "candidates": args.candidates,
        "batches": args.batches,
        "candidate_seconds_per_batch": round(candidate, 4),
        "scoring_seconds_per_batch": round(scoring, 4),
        "grown_train_seconds_per_batch": round(train, 4),
        "epoch_equivalents": round((candidate + scoring) / train, 2),
        "candidate_macs": int(m["candidate_macs"]),
        "grown_macs": int(summary["final"]["macs"]),
        "mac_ratio": round(m["candidate_macs"] / summary["final"]["macs"], 2),
        "candidate_conv_mac_shares": {k: round(v / conv_total, 3) for k, v in blocks.items()},
    }


def median_row(repeats):
    """The first repeat's record with each per-batch time the median over the repeats, and the
    epoch-equivalents of those medians; each repeat's times kept under "repeats"."""
    timed = ("candidate_seconds_per_batch", "scoring_seconds_per_batch",
             "grown_train_seconds_per_batch")
    row = dict(repeats[0])
    for key in timed:
        row[key] = round(statistics.median(r[key] for r in repeats), 4)
    row["epoch_equivalents"] = round((row["candidate_seconds_per_batch"] +
                                      row["scoring_seconds_per_batch"]) /
                                     row["grown_train_seconds_per_batch"], 2)
    row["epoch_equivalents_each"] = [r["epoch_equivalents"] for r in repeats]
    row["repeats"] = [{k: r[k] for k in timed} for r in repeats]
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--widths", default="0.125,0.5")
    parser.add_argument("--candidates", type=int, default=70)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each configuration, interleaved; medians are reported")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/osg_step.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        # Scoring from the weights or at the taps, with consumers reading both split children or
        # each pair's mean (the default since pair averaging).
        modes = [(False, False), (True, False), (True, True)]
        configs = [(float(w), taps, means) for w in args.widths.split(",") for taps, means in modes]
        runs = {c: [] for c in configs}
        for repeat in range(args.repeats):
            folder = os.path.join(workdir, f"repeat{repeat}")
            os.makedirs(folder)
            for width, taps, means in configs:
                runs[(width, taps, means)].append(
                    measure(args.gearhost, width, taps, means, args, folder))
        rows = [median_row(runs[c]) for c in configs]
    for r in rows:
        print(f"width {r['width']}, tap_scores {r['tap_scores']}, "
              f"average_pairs {r['average_pairs']}: "
              f"candidate {r['candidate_seconds_per_batch']} s, scoring "
              f"{r['scoring_seconds_per_batch']} s, grown train "
              f"{r['grown_train_seconds_per_batch']} s per batch -> {r['epoch_equivalents']} "
              f"epoch-equivalents; MACs {r['mac_ratio']}x the grown net's; conv MAC shares "
              f"{r['candidate_conv_mac_shares']}")
    with open(args.out, "w") as f:
        json.dump({"what": "OSG growth step (one candidate epoch + one scoring pass) in training "
                           "epochs of the grown net, VGG-11 on Fashion-MNIST, batch 128",
                   "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                   "threads": args.threads, "repeats": args.repeats, "rows": rows}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

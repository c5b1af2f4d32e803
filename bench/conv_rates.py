#!/usr/bin/python3
"""Is any of a net's convolutions slow for its shape? Each convolution of an architecture
(recorded from its eager twin, bench/eager_nets.py, width 0.25, 28x28x1) is timed alone, forward
plus the backward a training step needs, at batch 64 on one thread, in its faster layout, and its
rate (GFLOP/s, 2 FLOPs per multiply-add, three products per convolution with an input gradient,
two without) is set beside that of a large reference convolution (256 channels, 3x3, 14x14) timed
the same way in the same run. A convolution far below the reference is a shape oneDNN handles
badly, which a rewrite (VGG's 3x3 layers on 1x1 planes as the 1x1 convolution of their centre
taps, the one-channel stem on GEAR's own kernel) can win back; convolutions at the reference rate
can only get faster with a faster convolution algorithm.

Usage: /usr/bin/python3 bench/conv_rates.py [--architectures resnet18,vgg11,mobilenet_v2]
           [--repeats 3]
Writes bench/results/conv_rates.json (medians over the repeats, each repeat timing every
convolution once, in order).
"""
import argparse
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv_ceiling as cc  # noqa: E402
import eager_nets  # noqa: E402
import rounds  # noqa: E402

BATCH = 64
REFERENCE = ((256, 14, 14), (256, 256, 3, 3), (1, 1), (1, 1), 1, False)
WHAT = ("every convolution of each architecture timed alone (forward + backward), its rate beside "
        "a 256-channel 3x3 reference convolution's in the same run")
SLOW = 0.75  # a convolution below this fraction of the reference rate counts as slow


def flops(conv, input_grad):
    (shape, w, stride, padding, groups, _bias) = conv
    out_h = (shape[1] + 2 * padding[0] - w[2]) // stride[0] + 1
    out_w = (shape[2] + 2 * padding[1] - w[3]) // stride[1] + 1
    macs = BATCH * w[0] * w[1] * w[2] * w[3] * out_h * out_w  # w[1] is already in / groups
    return 2 * macs * (3 if input_grad else 2)


def timed(conv, input_grad):
    """Seconds and layout of the faster layout's forward + backward."""
    times = {cl: cc.time_conv(conv, BATCH, cl, True, input_grad) for cl in (False, True)}
    layout = min(times, key=times.get)
    return times[layout], "channels_last" if layout else "contiguous"


def describe(conv):
    (shape, w, stride, padding, groups, _bias) = conv
    return (f"{w[1] * groups}->{w[0]} {w[2]}x{w[3]} s{stride[0]} g{groups} "
            f"at {shape[1]}x{shape[2]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--architectures", default="resnet18,vgg11,mobilenet_v2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    archs = args.architectures.split(",")
    convs = {a: cc.recorded_convs(eager_nets.build(a)) for a in archs}

    samples = {"reference": []}
    layouts = {}
    for r in range(args.repeats):
        samples["reference"].append(timed(REFERENCE, True)[0])
        for a in archs:
            for i, conv in enumerate(convs[a]):
                seconds, layout = timed(conv, i > 0)
                samples.setdefault(f"{a}/{i}", []).append(seconds)
                layouts[f"{a}/{i}"] = layout
        print(f"repeat {r + 1}: reference {samples['reference'][-1] * 1e3:.1f} ms", flush=True)

    reference_rate = flops(REFERENCE, True) / statistics.median(samples["reference"]) / 1e9
    result = {"what": WHAT, "batch": BATCH, "threads": 1, "repeats": args.repeats,
              "torch": torch.__version__,
              "reference": {"conv": describe(REFERENCE), "gflops": round(reference_rate, 1)},
              "architectures": {}}
    for a in archs:
        rows, total, slow = [], 0.0, 0.0
        for i, conv in enumerate(convs[a]):
            seconds = statistics.median(samples[f"{a}/{i}"])
            rate = flops(conv, i > 0) / seconds / 1e9
            total += seconds
            if rate < SLOW * reference_rate:
                slow += seconds
            rows.append({"conv": describe(conv), "layout": layouts[f"{a}/{i}"],
                         "ms": round(seconds * 1e3, 2), "gflops": round(rate, 1),
                         "of_reference": round(rate / reference_rate, 2)})
        result["architectures"][a] = {
            "convolutions": rows, "total_ms": round(total * 1e3, 1),
            "share_of_time_below_75pct_of_reference": round(slow / total, 3)}
        print(f"{a}: {total * 1e3:.1f} ms, {slow / total:.1%} of it in convolutions below "
              f"{SLOW:.0%} of the reference's {reference_rate:.1f} GFLOP/s")
        for row in rows:
            print(f"  {row['conv']:28s} {row['layout']:13s} {row['ms']:7.2f} ms "
                  f"{row['gflops']:6.1f} GFLOP/s ({row['of_reference']:.2f})")
    rounds.save("conv_rates", result)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The convolutions' own ceiling: how fast a training step could be if everything in it but its
convolutions cost nothing, beside the measured steps of GEAR and of PyTorch eager.

Each architecture's convolutions are recorded (input, weight, stride, padding, groups) by hooks
on its eager net (bench/eager_nets.py, layer for layer the plugins' nets, width 0.25, batch 128,
28x28x1). Every convolution is then timed alone at its shape: forward, then the backward the step
needs (the weight gradient, and the input gradient unless the input is the data), each in both
layouts, and the faster layout counted. Two ways of using the two cores are timed, and the faster
one is the ceiling:
  intra_op     batch 128 on 2 intra-op threads (oneDNN splits each op);
  batch_split  batch 64 on 1 thread, counted as the time of a whole batch, i.e. two shares running
               side by side with no interference (an upper bound on what a batch split can do).
The ceiling in images/s is 128 / (sum of the per-convolution times). Nothing below it can be
bought by fusing or removing the other work; only faster convolutions move it.

The same is done for OSG's growth step (VGG-11 x0.125 and x0.5, K = 70): the candidate phase's
convolutions (every layer 2C + K wide, weight and input gradients), the scoring pass's (input
gradients only, none into the first layer, as tap scoring runs it), and, as a what-if, the
candidate net with Firefly's pair averaging (the next layer reads C + K channels), against the
grown net's measured training step (gearhost, the widths OSG grew in bench/results/osg_step.json):
the step cannot cost fewer epoch-equivalents than (candidate + scoring ceiling seconds) / (grown
training seconds). gearhost's own candidate and scoring seconds per batch are measured beside
them (bench/osg_step.py's pipeline, tap scores, split pairs' means, 12 batches).

Usage: /usr/bin/python3 bench/conv_ceiling.py [--repeats 3] [--architectures vgg11,resnet18,...]
           [--osg-widths 0.125,0.5] [--gearhost build/bin/gearhost]
Writes bench/results/conv_ceiling.json. Each repeat measures every runner once, interleaved;
medians are reported.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eager_nets  # noqa: E402
import osg_step  # noqa: E402
import train_throughput as tt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH, SIZE, K = 128, 28, 70
WARMUP, TIMED = 2, 5


def recorded_convs(net):
    """(input shape without batch, weight shape, stride, padding, groups, bias) per Conv2d call of
    one forward pass, in call order; the first one reads the data."""
    convs = []

    def hook(module, inputs, _output):
        convs.append((tuple(inputs[0].shape[1:]), tuple(module.weight.shape), module.stride,
                      module.padding, module.groups, module.bias is not None))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net.eval()(torch.zeros(2, 1, SIZE, SIZE))
    for h in handles:
        h.remove()
    return convs


def vgg_convs(cin_per_layer, cout_per_layer):
    """VGG-11's 3x3 convs (28x28 input) at the given channel counts, as recorded_convs gives them."""
    return [((cin, side, side), (cout, cin, 3, 3), (1, 1), (1, 1), 1, False)
            for cin, cout, side in osg_step.vgg11_convs(cout_per_layer, SIZE, inputs=cin_per_layer)]


def time_conv(conv, batch, channels_last, weight_grad, input_grad):
    (shape, wshape, stride, padding, groups, bias) = conv
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(batch, *shape).contiguous(memory_format=fmt).requires_grad_(input_grad)
    w = torch.randn(*wshape).contiguous(memory_format=fmt).requires_grad_(weight_grad)
    b = torch.zeros(wshape[0], requires_grad=weight_grad) if bias else None
    wanted = [t for t in (x, w, b) if t is not None and t.requires_grad]
    grad = None
    seconds = []
    for i in range(WARMUP + TIMED):
        start = time.perf_counter()
        y = F.conv2d(x, w, b, stride, padding, 1, groups)
        if wanted:
            if grad is None:
                grad = torch.randn_like(y)
            torch.autograd.grad(y, wanted, grad)
        if i >= WARMUP:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def ceiling(convs, weight_grad=True, skip_first_backward=False):
    """Seconds per batch of 128 of the convolutions alone, each in its faster layout, in the
    better of intra-op (batch 128, 2 threads) and a free batch split (batch 64, 1 thread). The
    first convolution reads the data, so it needs no input gradient (and no backward at all with
    `skip_first_backward`)."""
    best = float("inf")
    for batch, threads in ((BATCH, 2), (BATCH // 2, 1)):
        torch.set_num_threads(threads)
        total = 0.0
        for i, conv in enumerate(convs):
            skip = i == 0 and skip_first_backward
            wg, ig = weight_grad and not skip, i > 0
            total += min(time_conv(conv, batch, cl, wg, ig) for cl in (False, True))
        best = min(best, total)
    return best


def eager_step_seconds(arch, channels_last, steps=4):
    """Median seconds of one eager SGD training step on a fixed batch (no data path)."""
    torch.set_num_threads(2)
    torch.manual_seed(1)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    net = eager_nets.build(arch).to(memory_format=fmt).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    x = torch.randn(BATCH, 1, SIZE, SIZE).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (BATCH,))
    seconds = []
    for i in range(2 + steps):
        start = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
        if i >= 2:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def paired_worker(arch):
    """In one process, seconds apart: eager's step in its faster layout and the same net's
    convolutions alone; prints them as JSON."""
    convs = recorded_convs(eager_nets.build(arch))
    eager = min(eager_step_seconds(arch, cl) for cl in (False, True))
    conv = ceiling(convs)
    data = data_seconds()
    print(json.dumps({"eager_step_s": eager, "conv_s": conv, "data_s": data,
                      "speedup_bound": eager / conv,
                      "speedup_bound_with_data": (eager + data) / conv}))


def data_seconds():
    """Seconds per batch of train_throughput's batched data path (crop + flip), 2 threads."""
    images, labels = tt.load_fashion(BATCH * 20)
    start = time.perf_counter()
    for _ in tt.batched_data(images, labels):
        pass
    return (time.perf_counter() - start) / 20


def paired(arch):
    env = dict(os.environ, GLIBC_TUNABLES=tt.RETAIN_TUNABLES)
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--paired-worker", arch],
                          env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def architecture_runners(args):
    runners = {}
    for arch in args.architectures.split(","):
        convs = recorded_convs(eager_nets.build(arch))
        # The drift of this VM can move minutes-apart runs by 2x; this pair is seconds apart.
        runners[f"{arch}/paired"] = lambda a=arch: paired(a)
        runners[f"{arch}/conv_ceiling"] = lambda c=convs: BATCH / ceiling(c)
        for fmt in ("contiguous", "channels_last"):
            for par in ("auto", "intra_op"):
                runners[f"{arch}/gear_{fmt}_{par}"] = (
                    lambda a=arch, f=fmt, p=par: tt.gear(args.gearhost, a, 2, memory_format=f,
                                                         parallelism=p))
        runners[f"{arch}/eager"] = lambda a=arch: tt.python("python_batched", a, 2,
                                                            tt.RETAIN_TUNABLES)
        runners[f"{arch}/eager_channels_last"] = lambda a=arch: tt.python(
            "python_batched_channels_last", a, 2, tt.RETAIN_TUNABLES)
    return runners


def grown_widths(width):
    with open(os.path.join(ROOT, "bench/results/osg_step.json")) as f:
        rows = json.load(f)["rows"]
    return next(r["grown_widths"] for r in rows
                if r["width"] == width and r["tap_scores"] and r.get("average_pairs"))


def gear_osg_step(gearhost, width):
    """gearhost's candidate and scoring seconds per batch (bench/osg_step.py's run with its
    defaults: tap scores, consumers reading split pairs' means)."""
    options = argparse.Namespace(candidates=K, batches=12, threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        row = osg_step.measure(gearhost, width, True, True, options, tmp)
    return {"candidate_s": row["candidate_seconds_per_batch"],
            "scoring_s": row["scoring_seconds_per_batch"]}


def osg_runners(args):
    runners = {}
    for width in [float(w) for w in args.osg_widths.split(",") if w]:
        backbone = [eager_nets.scaled(c, width) for c in eager_nets.VGG11 if c != "M"]
        rows = [2 * c + K for c in backbone]
        candidate = vgg_convs([1] + rows[:-1], rows)
        averaged = vgg_convs([1] + [c + K for c in backbone[:-1]], rows)
        grown = grown_widths(width)
        for prefix, convs in (("", candidate), ("pair_averaged_", averaged)):
            runners[f"osg{width}/{prefix}candidate_ceiling_s"] = lambda c=convs: ceiling(c)
            runners[f"osg{width}/{prefix}scoring_ceiling_s"] = lambda c=convs: ceiling(
                c, weight_grad=False, skip_first_backward=True)
        runners[f"osg{width}/grown_conv_ceiling_s"] = lambda g=grown: ceiling(
            vgg_convs([1] + g[:-1], g))
        widths = "[" + ",".join(str(w) for w in grown) + "]"
        runners[f"osg{width}/gear_step"] = lambda w=width: gear_osg_step(args.gearhost, w)
        runners[f"osg{width}/grown_gear_train_s"] = lambda w=widths: BATCH / tt.gear(
            args.gearhost, "vgg11", 2, extra=(f"model.widths={w}",))
    return runners


def each_best(samples, prefix):
    """Per repeat, the best of the runners whose names start with `prefix`."""
    runs = [v for k, v in samples.items() if k.startswith(prefix)]
    return [max(values) for values in zip(*runs)]


def per_repeat(samples, prefix, first, second):
    """Per repeat, (first + second seconds) / the grown net's training seconds."""
    return [round((a + b) / t, 2) for a, b, t in zip(
        samples[prefix + first], samples[prefix + second], samples[prefix + "grown_gear_train_s"])]


def summarise(samples, args, repeats):
    """Medians and per-repeat ratios of `samples` (runner -> one value per repeat), written to
    args.out; returns the architectures' and OSG's summaries."""
    median = {k: statistics.median(v) for k, v in samples.items()}
    architectures = {}
    for arch in args.architectures.split(","):
        entry = {}
        if f"{arch}/paired_speedup_bound" in samples:
            entry.update({
                "paired_eager_step_s": round(median[f"{arch}/paired_eager_step_s"], 4),
                "paired_conv_s": round(median[f"{arch}/paired_conv_s"], 4),
                "speedup_bound_over_eager": round(median[f"{arch}/paired_speedup_bound"], 3),
                "speedup_bound_each": [round(v, 3) for v in samples[f"{arch}/paired_speedup_bound"]],
                "paired_data_s": round(median[f"{arch}/paired_data_s"], 4),
                "speedup_bound_with_data_path": round(
                    median[f"{arch}/paired_speedup_bound_with_data"], 3),
                "speedup_bound_with_data_path_each": [
                    round(v, 3) for v in samples[f"{arch}/paired_speedup_bound_with_data"]],
            })
        if f"{arch}/conv_ceiling" in samples:
            gear = {k.split("/")[1]: v for k, v in median.items()
                    if k.startswith(arch + "/gear_")}
            eager = max(median[f"{arch}/eager"], median[f"{arch}/eager_channels_last"])
            best_gear = max(gear.values())
            entry.update({
                "conv_ceiling_images_per_second": round(median[f"{arch}/conv_ceiling"]),
                "gear_best_images_per_second": round(best_gear),
                "gear_best_runner": max(gear, key=gear.get),
                "eager_best_images_per_second": round(eager),
                "gear_best_vs_eager": round(best_gear / eager, 3),
                "ceiling_vs_eager": round(median[f"{arch}/conv_ceiling"] / eager, 3),
                "gear_share_of_ceiling": round(best_gear / median[f"{arch}/conv_ceiling"], 3),
                "target_1_25x_eager_images_per_second": round(1.25 * eager),
                # Per repeat (runners of one repeat are minutes apart, repeats further): the drift
                # of this VM moves the medians more than it moves these.
                "gear_best_vs_eager_each": [round(g / e, 3) for g, e in zip(
                    each_best(samples, arch + "/gear_"), each_best(samples, arch + "/eager"))],
                "ceiling_vs_eager_each": [round(c / e, 3) for c, e in zip(
                    samples[f"{arch}/conv_ceiling"], each_best(samples, arch + "/eager"))],
            })
        if entry:
            architectures[arch] = entry
    osg = {}
    for width in [w for w in args.osg_widths.split(",") if w]:
        if f"osg{float(width)}/grown_gear_train_s" not in samples:
            continue
        m = {k.split("/")[1]: v for k, v in median.items() if k.startswith(f"osg{float(width)}/")}
        train = m["grown_gear_train_s"]
        osg[width] = {
            **{k: round(v, 4) for k, v in m.items()},
            "grown_widths": grown_widths(float(width)),
            "epoch_equivalents_floor": round(
                (m["candidate_ceiling_s"] + m["scoring_ceiling_s"]) / train, 2),
            "pair_averaged_epoch_equivalents_floor": round(
                (m["pair_averaged_candidate_ceiling_s"] + m["pair_averaged_scoring_ceiling_s"])
                / train, 2),
            "gear_epoch_equivalents": round(
                (m["gear_step_candidate_s"] + m["gear_step_scoring_s"]) / train, 2),
            "gear_candidate_share_of_ceiling": round(
                m["candidate_ceiling_s"] / m["gear_step_candidate_s"], 3),
            "gear_scoring_share_of_ceiling": round(
                m["scoring_ceiling_s"] / m["gear_step_scoring_s"], 3),
            "grown_gear_share_of_conv_ceiling": round(m["grown_conv_ceiling_s"] / train, 3),
            "epoch_equivalents_floor_each": per_repeat(
                samples, f"osg{float(width)}/", "candidate_ceiling_s", "scoring_ceiling_s"),
            "pair_averaged_epoch_equivalents_floor_each": per_repeat(
                samples, f"osg{float(width)}/", "pair_averaged_candidate_ceiling_s",
                "pair_averaged_scoring_ceiling_s"),
            "gear_epoch_equivalents_each": per_repeat(
                samples, f"osg{float(width)}/", "gear_step_candidate_s", "gear_step_scoring_s"),
        }
    result = {
        "what": "training step of the convolutions alone (each timed at its shape, faster layout, "
                "best of intra-op at batch 128 x 2 threads and a batch split of 2 x 64 x 1 "
                "thread) against GEAR's and eager PyTorch's measured training throughput, width "
                "0.25, Fashion-MNIST 28x28, batch 128, 2 threads; and OSG's step floor in "
                "epoch-equivalents of the grown net (K = 70)",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "torch": torch.__version__},
        "repeats": repeats,
        "architectures": architectures,
        "osg": osg,
        "medians": median,
        "samples": samples,
        "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    return architectures, osg


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--paired-worker":
        return paired_worker(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gearhost", default=os.path.join(ROOT, "build/bin/gearhost"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--architectures", default="vgg11,resnet18,mobilenet_v2")
    parser.add_argument("--osg-widths", default="0.125,0.5")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/results/conv_ceiling.json"))
    parser.add_argument("--only", default="",
                        help="run only the runners whose names contain this (e.g. 'paired'); "
                             "the summary then has only what they measure")
    args = parser.parse_args()
    runners = {**architecture_runners(args), **osg_runners(args)}
    runners = {k: v for k, v in runners.items() if args.only in k}
    samples = {}
    for r in range(args.repeats):
        for name, fn in runners.items():
            value = fn()
            for key, v in (value.items() if isinstance(value, dict) else [("", value)]):
                full = f"{name}_{key}" if key else name
                samples.setdefault(full, []).append(round(v, 5))
                print(f"repeat {r + 1}: {full:52s} {v:10.4f}", flush=True)
        # Written after every repeat, so a run cut short keeps what it measured.
        architectures, osg = summarise(samples, args, r + 1)
    print(json.dumps({"architectures": architectures, "osg": osg}, indent=1))


if __name__ == "__main__":
    sys.exit(main())

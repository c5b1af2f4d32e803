#!/usr/bin/python3
"""Overhead of a growth strategy written in Python against the same rule in C++, on one growth
step inside gearhost.

The rule: split channels drawn uniformly from all growable channels, gamma = 0.5, function
preserving. Python: examples/python/random_split.py (`python:random_split.RandomSplit`). C++:
the `net2wider` plugin with noise = 0 (the same draws, one duplicate() per group). Each run is a
pipeline with one grow stage on 256 Fashion-MNIST images; the two strategies alternate, repeated,
and the medians are reported: the grow stage's wall time from stages.json (the step itself) and
the whole process's wall time (which adds starting Python and importing torch and gear inside
gearhost, once per run).

Usage: /usr/bin/python3 bench/python_growth.py [--repeats 5]
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [("vgg11", 0.25), ("resnet18", 0.25), ("mobilenet_v2", 0.5)]
STRATEGIES = {
    "python": 'strategy = "python:random_split.RandomSplit"\ngamma = 0.5\n',
    "cpp": 'strategy = "net2wider"\ngamma = 0.5\nnoise = 0.0\n',
}


def pipeline(architecture, width, strategy):
    return f"""[run]
seed = 1
device = "cpu"
threads = 2

[data]
plugin = "fashion-mnist"
limit_train = 256
limit_test = 64

[model]
architecture = "{architecture}"
width = {width}

[[stage]]
kind = "grow"
{STRATEGIES[strategy]}"""


def one_run(gearhost, folder, architecture, width, strategy):
    path = os.path.join(folder, f"{strategy}.toml")
    with open(path, "w") as f:
        f.write(pipeline(architecture, width, strategy))
    out = os.path.join(folder, f"run-{strategy}")
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([gearhost, "--log-level", "warn", "run", path, "--out", out], check=True)
    process = time.perf_counter() - start
    with open(os.path.join(out, "stages.json")) as f:
        stage = json.load(f)[0]
    return stage["wall_seconds"], process, stage["params_before"], stage["params_after"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    gearhost = os.path.join(ROOT, "build/bin/gearhost")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(os.path.join(ROOT, "examples/python/random_split.py"), folder)
        for architecture, width in CASES:
            samples = {s: {"step": [], "process": []} for s in STRATEGIES}
            params = {}
            for _ in range(args.repeats):
                for strategy in STRATEGIES:  # alternate: the machine's noise hits both alike
                    step, process, before, after = one_run(gearhost, folder, architecture, width,
                                                           strategy)
                    samples[strategy]["step"].append(step)
                    samples[strategy]["process"].append(process)
                    params[strategy] = (before, after)
            row = {"architecture": architecture, "width": width, "params": params}
            for strategy, values in samples.items():
                row[strategy] = {k: statistics.median(v) for k, v in values.items()}
            row["step_overhead_seconds"] = row["python"]["step"] - row["cpp"]["step"]
            row["process_overhead_seconds"] = row["python"]["process"] - row["cpp"]["process"]
            results.append(row)
            print(f"{architecture} x{width}: grow step python {row['python']['step']*1e3:.1f} ms"
                  f" vs C++ {row['cpp']['step']*1e3:.1f} ms; whole run "
                  f"{row['python']['process']:.2f} s vs {row['cpp']['process']:.2f} s")
    report = {
        "benchmark": "python_growth",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "repeats": args.repeats,
        "rule": "uniform random split, gamma 0.5 (python:random_split.RandomSplit vs net2wider "
                "noise 0)",
        "results": results,
    }
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/python_growth.json"), "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()

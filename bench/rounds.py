"""What the side-by-side benchmarks share: configurations run in interleaved rounds, and the
result record written to bench/results/ without machine paths."""
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def interleaved(names, repeats, run_one, describe):
    """Runs run_one(name, r) for every name in `repeats` rounds; round r starts at the r-th name,
    so the machine's drift falls on all configurations alike. Prints describe(result) per run to
    stderr and returns {name: [result per round]}."""
    rows = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            row = run_one(name, r)
            rows[name].append(row)
            print(f"round {r + 1}/{repeats} {name}: {describe(row)}", file=sys.stderr)
    return rows


def gearhost_run(gearhost, pipeline, arguments, read):
    """Runs `gearhost run pipeline *arguments --out DIR --log-level warn` in a fresh temporary run
    folder and returns read(DIR), before the folder is removed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        subprocess.run([gearhost, "run", pipeline, *arguments[0], "--out", out,
                        "--log-level", "warn", *arguments[1]], check=True,
                       stdout=subprocess.DEVNULL)
        return read(out)


def gearhost_rounds(gearhost, pipeline, common, configs, repeats, read, describe):
    """Runs `gearhost run pipeline *common *overrides --out DIR *flags` for every
    configs[name] = (overrides, flags), in interleaved rounds, each in a fresh temporary run
    folder that read(DIR) turns into that run's result before it is removed. Returns
    {name: [result per round]}."""
    def run_one(name, r):
        overrides, flags = configs[name]
        return gearhost_run(gearhost, pipeline, ([*common, *overrides], flags), read)
    return interleaved(list(configs), repeats, run_one, describe)


def save(name, fields):
    """Writes bench/results/<name>.json: the date, the machine (architecture and cores only), then
    `fields`. Returns the record."""
    record = {"date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", **fields}
    with open(os.path.join(ROOT, "bench", "results", f"{name}.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return record

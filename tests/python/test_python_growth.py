"""Growth strategies written in Python: `strategy = "python:module.Class"` inside gearhost and
inside gear.run, recorded like a C++ strategy; errors reach the user with the traceback and the
pipeline position, before training where they can."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gear
from conftest import REPO, TRAIN_ONE_EPOCH, run_gearhost, tiny_pipeline

EXAMPLE = REPO / "examples" / "python" / "random_split.py"

GROW = """
[[stage]]
kind = "grow"
strategy = "python:{target}"
{options}
"""

FAILING = '''
import gear


class Exploding(gear.GrowthStrategy):
    def grow(self, net, context):
        net.widen("conv1", 2)
        return helper(net)


def helper(net):
    raise ValueError(f"exploded at widths {list(net.widths.values())[:2]}")
'''


def pipeline_with_growth(folder, target, options="gamma = 0.5", module=EXAMPLE):
    shutil.copy(module, folder / module.name) if isinstance(module, Path) else None
    text = tiny_pipeline(TRAIN_ONE_EPOCH + GROW.format(target=target, options=options) +
                         TRAIN_ONE_EPOCH)
    path = folder / "grow.toml"
    path.write_text(text)
    return path, text


class FakeContext:
    """What RandomSplit uses of gear.GrowthContext, for calling it outside a run."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)

    def exceeds_budget(self, net):
        return ""


def test_the_example_strategy_keeps_the_function_and_grows_by_gamma():
    import importlib.util
    spec = importlib.util.spec_from_file_location("random_split", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=1)
    net.eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        reference = net(x)
        before = sum(net.widths.values())
        result = module.RandomSplit(gamma=0.5).grow(net, FakeContext(3))
        torch.testing.assert_close(net(x), reference, rtol=1e-4, atol=1e-5)
    assert sum(net.widths.values()) == before + int(0.5 * before)
    assert sum(result.split.values()) == int(0.5 * before)


def check_grow_record(summary):
    grow = summary["stages"][1]
    assert grow["kind"] == "grow"
    assert grow["strategy"] == "python:random_split.RandomSplit"
    before, after = grow["widths_before"], grow["widths_after"]
    new = sum(after.values()) - sum(before.values())
    assert new == int(0.5 * sum(before.values()))
    assert grow["kept"] == {"split": new, "fresh": 0}
    assert all(after[g] - before[g] == grow["split"][g] for g in before)
    assert grow["params_after"] > grow["params_before"]
    assert summary["final"]["widths"] == list(after.values())
    assert summary["status"] == "completed"


def test_gearhost_runs_a_python_strategy(tmp_path):
    path, _ = pipeline_with_growth(tmp_path, "random_split.RandomSplit")
    code, output = run_gearhost("run", path, "--out", tmp_path / "run")
    assert code == 0, output
    check_grow_record(json.loads((tmp_path / "run" / "summary.json").read_text()))
    # The example plot script reads the same run folder.
    plot = subprocess.run([sys.executable, str(REPO / "examples/python/plot_run.py"),
                           str(tmp_path / "run"), "--out", str(tmp_path / "plot.png")],
                          capture_output=True, text=True)
    assert plot.returncode == 0, plot.stderr
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gear_run_runs_a_python_strategy_in_process(tmp_path):
    path, _ = pipeline_with_growth(tmp_path, "random_split.RandomSplit")
    summary = gear.run(str(path), out=str(tmp_path / "run"), log_level="warn")
    check_grow_record(summary)


def test_a_raising_strategy_stops_the_run_with_its_traceback(tmp_path):
    (tmp_path / "exploding.py").write_text(FAILING)
    path, text = pipeline_with_growth(tmp_path, "exploding.Exploding", options="", module=None)
    code, output = run_gearhost("run", path, "--out", tmp_path / "run")
    assert code == 1, output
    grow_line = text.splitlines().index('kind = "grow"')  # 0-based line of the table's first key
    assert f"grow.toml:{grow_line}" in output  # the [[stage]] header of the grow stage
    assert "stage 1" in output
    assert "Traceback (most recent call last)" in output
    assert "exploding.py\", line 12, in helper" in output
    assert "ValueError: exploded at widths [8, 18]" in output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert len(summary["stages"]) == 1  # the finished training stage is kept
    with pytest.raises(gear.PluginError, match="exploded at widths"):
        gear.run(str(path), out=str(tmp_path / "run2"), log_level="off")


def test_option_and_import_errors_stop_before_training(tmp_path):
    path, text = pipeline_with_growth(tmp_path, "random_split.RandomSplit", options="gamm = 0.5")
    code, output = run_gearhost("run", path, "--out", tmp_path / "run")
    assert code == 2, output
    line = text.splitlines().index("gamm = 0.5") + 1
    assert f"grow.toml:{line}:{len('gamm = ') + 1}" in output  # the value
    assert "random_split.RandomSplit takes no option 'gamm' (did you mean 'gamma'?)" in output
    assert "epoch" not in output  # nothing trained

    path, _ = pipeline_with_growth(tmp_path, "random_splat.RandomSplit")
    code, output = run_gearhost("run", path, "--out", tmp_path / "run2")
    assert code == 2, output
    assert "cannot import Python module 'random_splat'" in output

    path, _ = pipeline_with_growth(tmp_path, "random_split.RandomSplat")
    with pytest.raises(gear.ConfigError, match="did you mean 'RandomSplit'"):
        gear.run(str(path), out=str(tmp_path / "run3"), log_level="off")

    path, _ = pipeline_with_growth(tmp_path, "random_split.RandomSplit", options="gamma = -1.0")
    code, output = run_gearhost("run", path, "--out", tmp_path / "run4")
    assert code == 1, output
    assert "gamma must be > 0, got -1.0" in output and "Traceback" in output


SCORING = '''
import torch
import torch.nn.functional as F

import gear

lent = []  # what the strategy kept of its call, for the test to look at afterwards


class GradientSplit(gear.GrowthStrategy):
    """Splits, in every growable group, the channel whose filter has the largest gradient."""

    def __init__(self, batches=2):
        self.batches = batches

    def grow(self, net, context):
        seen = []
        net.train()

        def step(images, labels):
            if len(seen) == self.batches:
                return
            seen.append(images.shape[0])
            F.cross_entropy(net(images), labels).backward()

        context.for_each_batch(step)
        # Score every group first: widening a group replaces its consumers' weights (and grads).
        state = net.state_dict(keep_vars=True)
        best = {}
        for group in (g["name"] for g in net.groups if g["growable"]):
            weight = next(t for t in net.tied_tensors(group) if t.role == "producer_weight")
            best[group] = int(state[weight.name].grad.flatten(1).norm(dim=1).argmax())
        for group, channel in best.items():
            net.duplicate(group, [channel])
        split = {group: 1 for group in best}
        for p in net.parameters():
            p.grad = None
        lent.extend([net, context])
        return {"split": split, "metrics": {
            "batches": len(seen), "batch_size": seen[0], "channels": context.sample_shape[0],
            "params_cap": context.budget["params"], "cpu": float(context.device == "cpu")}}
'''


def test_a_strategy_scores_on_the_training_batches_with_autograd(tmp_path):
    (tmp_path / "scoring.py").write_text(SCORING)
    text = tiny_pipeline(TRAIN_ONE_EPOCH + GROW.format(target="scoring.GradientSplit",
                                                       options="batches = 3"),
                         model='architecture = "vgg11"\nwidth = 0.125\n'
                               'budget = { params = 10000000 }')
    path = tmp_path / "score.toml"
    path.write_text(text)
    summary = gear.run(str(path), out=str(tmp_path / "run"), log_level="warn")
    grow = summary["stages"][1]
    assert grow["metrics"] == {"batches": 3, "batch_size": 64, "channels": 1,
                               "params_cap": 10000000, "cpu": 1.0}
    assert all(n == 1 for n in grow["split"].values())
    assert grow["kept"] == {"split": len(grow["split"]), "fresh": 0}
    # The net and context were lent for the call only: kept references now refuse to work.
    import scoring
    net, context = scoring.lent
    with pytest.raises(RuntimeError, match="no longer valid"):
        net.widths
    with pytest.raises(RuntimeError, match="one grow\\(\\) call"):
        context.generator


SHARDED = '''
import torch

import gear


class ShardCounter(gear.GrowthStrategy):
    """Grows nothing; reports the shares it was given and what a sum across ranks made of 1."""

    def grow(self, net, context):
        shares, sizes = [], []

        def step(images, labels, share):
            shares.append(share)
            sizes.append(images.shape[0])

        context.for_each_shard(step, 2)
        ones = torch.ones(3, dtype=torch.float64)
        context.sum_across_ranks([ones])
        return {"split": {}, "metrics": {
            "steps": len(shares), "share": shares[0], "share_total": sum(shares),
            "local_batch": sizes[0], "summed_one": float(ones[0])}}
'''


def test_a_python_strategy_shards_its_passes_over_ranks(tmp_path):
    (tmp_path / "sharded.py").write_text(SHARDED)
    path = tmp_path / "sharded.toml"
    path.write_text(tiny_pipeline(GROW.format(target="sharded.ShardCounter", options="")))
    one = gear.run(str(path), out=str(tmp_path / "one"), log_level="warn")["stages"][0]
    assert one["metrics"] == {"steps": 2, "share": 1.0, "share_total": 2.0, "local_batch": 64,
                              "summed_one": 1.0}
    assert one["data_passes"]["sharded"] is False
    code, output = run_gearhost("run", path, "--out", tmp_path / "two", "--nproc", "2",
                                "run.threads=1")
    assert code == 0, output
    two = json.loads((tmp_path / "two" / "stages.json").read_text())[0]
    assert two["metrics"] == {"steps": 2, "share": 0.5, "share_total": 1.0, "local_batch": 32,
                              "summed_one": 2.0}
    assert two["data_passes"]["sharded"] is True
    assert two["data_passes"]["samples"] == 2 * 32
    assert two["data_passes"]["sums_across_ranks"] == 1

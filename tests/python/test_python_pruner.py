"""Pruners written in Python: `pruner = "python:module.Class"` in a prune stage inside gearhost,
recorded like a C++ pruner from what the net lost; errors reach the user with the traceback and
the pipeline position, and options are checked against the class before anything runs."""

import json
import shutil

import torch

import gear
from conftest import REPO, TRAIN_ONE_EPOCH, run_gearhost, tiny_pipeline

EXAMPLE = REPO / "examples" / "python" / "bn_scale_prune.py"

PRUNE = """
[[stage]]
kind = "prune"
pruner = "python:{target}"
target = {{ params = {fraction} }}
{options}
"""


def pipeline_with_pruner(folder, target="bn_scale_prune.BnScalePrune", options="",
                         fraction=0.4, module=EXAMPLE):
    if module.parent != folder:
        shutil.copy(module, folder / module.name)
    path = folder / "prune.toml"
    path.write_text(tiny_pipeline(TRAIN_ONE_EPOCH + PRUNE.format(
        target=target, fraction=fraction, options=options)))
    return path


def test_the_example_removes_the_smallest_batchnorm_scales_first():
    net = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=3)
    gamma = [t.tensor for t in net.tied_tensors("conv2") if t.role == "norm_weight"][0]
    with torch.no_grad():
        gamma.fill_(1.0)
        gamma[5] = 1e-4  # the globally smallest scale
    kept = gamma.detach().clone()
    width = net.widths["conv2"]

    class Context:
        target = {"measure": "params", "fraction": 0.001}

    import importlib.util
    spec = importlib.util.spec_from_file_location("bn_scale_prune", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before = net.params
    result = module.BnScalePrune().prune(net, Context())
    assert net.widths["conv2"] == width - 1  # channel 5 went first; one channel met 0.1 %
    after = [t.tensor for t in net.tied_tensors("conv2") if t.role == "norm_weight"][0]
    assert torch.equal(after.detach(), torch.cat([kept[:5], kept[6:]]))
    assert result.bound_by == "target"
    assert net.params < before


def test_a_python_pruner_runs_in_a_prune_stage_and_is_recorded(tmp_path):
    pipeline = pipeline_with_pruner(tmp_path)
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 0, output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    prune = summary["stages"][1]
    assert prune["pruner"] == "python:bn_scale_prune.BnScalePrune"
    assert prune["freed_params_fraction"] >= 0.4
    assert prune["bound_by"] == "target"
    removed = sum(prune["removed"].values())
    assert removed == sum(prune["widths_before"].values()) - sum(prune["widths_after"].values())
    assert summary["final"]["params"] == prune["params_after"]
    assert "cost" in summary["final"]


def test_an_unknown_option_is_an_error_at_its_line_before_running(tmp_path):
    pipeline = pipeline_with_pruner(tmp_path, options="min_chanels = 3")
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 2, output
    assert "stage.1.min_chanels" in output and "min_channels" in output, output
    assert not (tmp_path / "run").exists()


def test_a_raising_pruner_names_itself_and_shows_the_traceback(tmp_path):
    module = tmp_path / "exploding.py"
    module.write_text(
        "import gear\n\n\nclass Exploding(gear.Pruner):\n"
        "    def prune(self, net, context):\n"
        "        raise RuntimeError('pruner exploded at ' + context.target['measure'])\n")
    pipeline = pipeline_with_pruner(tmp_path, target="exploding.Exploding", module=module)
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 1, output
    assert "pruner exploded at params" in output, output
    assert "Traceback" in output and "exploding.py" in output, output
    assert "prune.toml:" in output, output


def test_a_class_that_is_no_pruner_is_refused(tmp_path):
    module = tmp_path / "notone.py"
    module.write_text("import gear\n\n\nclass Grower(gear.GrowthStrategy):\n    pass\n")
    pipeline = pipeline_with_pruner(tmp_path, target="notone.Grower", module=module)
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 2, output
    assert "not a subclass of gear.Pruner" in output, output


SHARDED = '''
import torch

import gear


class ShardedScores(gear.Pruner):
    """Removes conv1's first channel; reports its shares and what a sum across ranks made of 1."""

    def prune(self, net, context):
        shares, sizes = [], []

        def step(images, labels, share):
            shares.append(share)
            sizes.append(images.shape[0])

        context.for_each_shard(step, 3)
        ones = torch.ones(2, dtype=torch.float32)
        context.sum_across_ranks([ones])
        net.select("conv1", list(range(1, net.widths["conv1"])))
        return gear.PruneResult(bound_by="target", metrics={
            "steps": len(shares), "share_total": sum(shares), "local_batch": sizes[0],
            "summed_one": float(ones[0])})
'''


def test_a_python_pruner_scores_its_share_on_each_rank(tmp_path):
    (tmp_path / "sharded_scores.py").write_text(SHARDED)
    path = tmp_path / "sharded.toml"
    path.write_text(tiny_pipeline(PRUNE.format(target="sharded_scores.ShardedScores",
                                               fraction=0.01, options="")))
    code, output = run_gearhost("run", path, "--out", tmp_path / "one", "run.threads=1")
    assert code == 0, output
    one = json.loads((tmp_path / "one" / "stages.json").read_text())[0]
    assert one["metrics"] == {"steps": 3, "share_total": 3.0, "local_batch": 64,
                              "summed_one": 1.0}
    code, output = run_gearhost("run", path, "--out", tmp_path / "two", "--nproc", "2",
                                "run.threads=1")
    assert code == 0, output
    two = json.loads((tmp_path / "two" / "stages.json").read_text())[0]
    assert two["metrics"] == {"steps": 3, "share_total": 1.5, "local_batch": 32,
                              "summed_one": 2.0}
    assert two["data_passes"] == {**two["data_passes"], "sharded": True, "samples": 3 * 32,
                                  "sums_across_ranks": 1}
    assert two["widths_after"] == one["widths_after"]

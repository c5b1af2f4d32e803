"""gear.create_model and gear.Net: the same nets gearhost builds, and the channel-group surgery
from Python."""

import json

import pytest
import torch

import gear
from conftest import TRAIN_ONE_EPOCH, run_gearhost, tiny_pipeline


def test_a_model_created_in_python_is_the_one_gearhost_starts_from(tmp_path):
    pipeline = tmp_path / "seeded.toml"
    pipeline.write_text(tiny_pipeline(TRAIN_ONE_EPOCH, seed=5))
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 0, output
    initial = gear.load_checkpoint(str(tmp_path / "run" / "checkpoints" / "initial.pt"))
    created = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=5)
    other_seed = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=6)
    assert created.widths == initial.widths
    expected = initial.state_dict()
    assert expected.keys() == created.state_dict().keys()
    for name, tensor in created.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
    x = torch.randn(4, 1, 28, 28)
    created.eval(), initial.eval(), other_seed.eval()
    assert torch.equal(created(x), initial(x))
    assert not torch.equal(other_seed(x), initial(x))
    # The trained weights load too, at the recorded widths.
    trained = gear.load_checkpoint(str(tmp_path / "run" / "checkpoints" / "last.pt"))
    assert trained.widths == initial.widths
    assert not torch.equal(trained.state_dict()["conv0.weight"],
                           expected["conv0.weight"])


def test_counts_match_the_full_size_references():
    resnet = gear.create_model("resnet18", [3, 32, 32], 10)
    assert resnet.params == 11_173_962
    assert resnet.macs == 555_422_720
    assert gear.create_model("mobilenet_v1", [3, 32, 32], 10).params == 3_217_226
    assert gear.create_model("mobilenet_v2", [3, 32, 32], 10).params == 2_236_682


def test_widen_and_select_keep_the_function_on_every_group():
    torch.manual_seed(0)
    net = gear.create_model("resnet18", [3, 16, 16], 10, width=0.125, seed=1)
    net.eval()
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        reference = net(x)
        for group in net.group_names:
            if not next(g for g in net.groups if g["name"] == group)["growable"]:
                continue
            before = net.widths[group]
            params = net.params
            # New channels with random incoming weights and the default zero outgoing weights.
            net.widen(group, 2, init=lambda tied, n: None if tied.role == "consumer_weight"
                      or tied.role.startswith("norm") else
                      torch.randn(list(tied.tensor.shape[:tied.dim]) + [n * tied.block]
                                  + list(tied.tensor.shape[tied.dim + 1:])))
            assert net.widths[group] == before + 2
            assert net.params > params
            torch.testing.assert_close(net(x), reference, rtol=1e-4, atol=1e-5)
            net.select(group, list(range(before)))
            assert net.widths[group] == before and net.params == params
            torch.testing.assert_close(net(x), reference, rtol=1e-4, atol=1e-5)


def test_duplicate_preserves_the_function_and_reports_the_new_channels():
    net = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=2)
    net.eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        reference = net(x)
        new = net.duplicate("conv3", [0, 0, 5])
        assert new == [32, 33, 34]
        torch.testing.assert_close(net(x), reference, rtol=1e-4, atol=1e-5)


def test_tied_tensors_alias_the_parameters():
    net = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125)
    tied = net.tied_tensors("conv0")
    roles = {t.role for t in tied}
    assert {"producer_weight", "norm_weight", "norm_mean", "consumer_weight"} <= roles
    weight = next(t for t in tied if t.role == "producer_weight")
    with torch.no_grad():
        weight.tensor.zero_()
    assert net.state_dict()[weight.name].abs().sum() == 0


def test_state_dict_round_trip_and_shape_errors():
    a = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=1)
    b = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=2)
    b.load_state_dict(a.state_dict())
    for name, tensor in a.state_dict().items():
        assert torch.equal(tensor, b.state_dict()[name])
    wide = gear.create_model("vgg11", [1, 28, 28], 10, width=0.25)
    with pytest.raises(ValueError, match="different widths"):
        wide.load_state_dict(a.state_dict())


@pytest.mark.parametrize("architecture,shape", [("mobilenet_v2", [3, 32, 32]),
                                                 ("vgg11", [1, 28, 28]),
                                                 ("resnet18", [1, 28, 28])])
def test_torchscript_export_runs_without_gear(tmp_path, architecture, shape):
    # GEAR's own kernels (one-pass evaluation norms, one-channel stem convolutions, VGG's 2x2 max
    # pool) are invisible to the tracer: the export must record torch's ops instead.
    net = gear.create_model(architecture, shape, 10, width=0.25, seed=3)
    path = tmp_path / "net.pt"
    net.torchscript(str(path))
    loaded = torch.jit.load(str(path))
    x = torch.randn(2, *shape)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))
    assert net.training is False


def test_options_are_validated_like_a_pipeline():
    with pytest.raises(gear.ConfigError, match="did you mean 'width'"):
        gear.create_model("vgg11", [1, 28, 28], widht=0.5)
    with pytest.raises(gear.ConfigError, match="did you mean 'vgg11'"):
        gear.create_model("vgg1", [1, 28, 28])
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        gear.create_model("vgg11", [28, 28])
    net = gear.create_model("resnet18", [3, 64, 64], 10, width=0.125, stem_stride=1)
    assert net.macs > gear.create_model("resnet18", [3, 64, 64], 10, width=0.125).macs


def test_load_checkpoint_takes_the_runs_architecture_options(tmp_path):
    pipeline = tmp_path / "strided.toml"
    pipeline.write_text(tiny_pipeline('\n[[stage]]\nkind = "evaluate"\n',
                                      model='architecture = "resnet18"\nwidth = 0.125\n'
                                            'stem_stride = 2'))
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 0, output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    checkpoint = str(tmp_path / "run" / "checkpoints" / "initial.pt")
    net = gear.load_checkpoint(checkpoint)
    assert net.macs == summary["final"]["macs"]
    assert gear.load_checkpoint(checkpoint, stem_stride=1).macs > net.macs  # arguments win


def test_grow_runs_a_registered_strategy_on_a_net_from_python():
    torch.manual_seed(0)
    net = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=1)
    net.eval()
    x = torch.randn(3, 1, 28, 28)
    before = net(x)
    widths = net.widths
    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (64,))
    record = gear.grow(net, "net2wider", images, labels, batch_size=32, seed=3, gamma=0.5)
    assert record["strategy"] == "net2wider"
    assert net.widths != widths
    assert record["widths_after"] == net.widths
    assert record["params_after"] == net.params > record["params_before"]
    net.eval()
    # Net2Wider replication keeps the function.
    assert torch.allclose(net(x), before, atol=1e-4)
    # Options are validated like a stage's; unknown strategies say what exists.
    with pytest.raises(gear.ConfigError, match="gamma"):
        gear.grow(net, "net2wider", images, labels, gamma=-1.0)
    with pytest.raises(gear.ConfigError, match="did you mean 'net2wider'"):
        gear.grow(net, "net2wider2", images, labels)
    with pytest.raises(gear.ConfigError, match="budget.flops"):
        gear.grow(net, "net2wider", images, labels, budget={"flops": 1})
    # A params budget binds.
    capped = gear.create_model("vgg11", [1, 28, 28], 10, width=0.125, seed=1)
    record = gear.grow(capped, "net2wider", images, labels, gamma=1.0,
                       budget={"params": capped.params + 500})
    assert record["bound_by"] == "params"
    assert capped.params <= record["params_before"] + 500


def test_a_pruned_checkpoint_loads_at_its_smaller_widths(tmp_path):
    pipeline = tmp_path / "pruned.toml"
    pipeline.write_text(tiny_pipeline(TRAIN_ONE_EPOCH + """
[[stage]]
kind = "prune"
pruner = "l1"
target = { params = 0.5 }
""", model='architecture = "resnet18"\nwidth = 0.125'))
    code, output = run_gearhost("run", pipeline, "--out", tmp_path / "run")
    assert code == 0, output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    pruned = gear.load_checkpoint(str(tmp_path / "run" / "checkpoints" / "stage1.pt"))
    trained = gear.load_checkpoint(str(tmp_path / "run" / "checkpoints" / "last.pt"))
    assert list(pruned.widths.values()) == summary["final"]["widths"]
    assert pruned.params == summary["final"]["params"] < trained.params
    pruned.eval()
    assert pruned(torch.randn(2, 1, 28, 28)).shape == (2, 10)

"""gear.list_plugins, gear.describe and gear.run, including the errors the CLI reports."""

import json

import pytest

import gear
from conftest import TRAIN_ONE_EPOCH, tiny_pipeline


def test_list_plugins_names_every_kind_with_its_library():
    listed = gear.list_plugins()
    plugins = {p["name"]: p for p in listed}
    assert plugins["vgg11"]["kind"] == "architecture"
    assert plugins["fashion-mnist"]["kind"] == "dataset"
    assert plugins["osg"]["kind"] == "growth"
    # The Python bridge serves two kinds under one family name.
    assert {p["kind"] for p in listed if p["name"] == "python:"} == {"growth", "pruner"}
    assert plugins["corruptions"]["kind"] == "evaluator"
    assert plugins["cross_entropy"]["kind"] == "objective"
    assert plugins["l1"]["kind"] == "pruner"
    assert plugins["vgg11"]["library"].endswith("gear_vgg.so")
    assert gear.list_plugins(refused=True) == []


def test_kinds_come_from_the_registry_and_the_stage_table():
    kinds = gear.component_kinds()
    for kind in ("architecture", "dataset", "augmentation", "growth", "evaluator", "objective",
                 "offload_policy"):
        assert kind in kinds and kinds[kind], kind
    assert gear.stage_kinds() == ["train", "grow", "evaluate", "prune", "search", "offload", "split"]
    for kind in gear.stage_kinds():
        assert gear.describe(kind)["kind"] == "host table"


def test_describe_gives_the_option_schema():
    osg = gear.describe("osg")
    gamma = next(o for o in osg["options"] if o["name"] == "gamma")
    assert gamma["type"] == "float" and not gamma["required"]
    assert gamma["doc"]
    grow = gear.describe("grow")
    assert grow["kind"] == "host table"
    assert any(o["name"] == "strategy" and o["required"] for o in grow["options"])
    bridge = gear.describe("python:")
    assert any(o["name"] == "*" and o["type"] == "any" for o in bridge["options"])
    with pytest.raises(gear.ConfigError, match="did you mean 'osg'"):
        gear.describe("osgg")


def test_run_returns_the_summary_and_writes_the_run_folder(tmp_path):
    pipeline = tmp_path / "tiny.toml"
    pipeline.write_text(tiny_pipeline(TRAIN_ONE_EPOCH + '\n[[stage]]\nkind = "evaluate"\n'))
    out = tmp_path / "run"
    summary = gear.run(str(pipeline), overrides=["stage.0.lr=0.02"], out=str(out),
                       log_level="warn")
    assert summary["status"] == "completed"
    assert summary == json.loads((out / "summary.json").read_text())
    assert 0.5 < summary["final"]["clean_accuracy"] <= 1.0  # 2000 real images, one epoch
    assert summary["stages"][0]["kind"] == "train"
    assert "lr = 0.02" in (out / "pipeline.resolved.toml").read_text()
    for name in ["initial.pt", "last.pt", "best.pt"]:
        assert (out / "checkpoints" / name).exists()


def test_syntax_error_carries_file_line_and_column(tmp_path):
    pipeline = tmp_path / "broken.toml"
    pipeline.write_text('[run]\nseed = 1\n\n[data]\nbatch_size = = 3\n')
    with pytest.raises(gear.ConfigError) as caught:
        gear.run(str(pipeline))
    error = caught.value
    assert (error.file, error.line, error.column) == (str(pipeline), 5, 14)
    assert "TOML syntax error" in str(error)


def test_validation_errors_carry_the_key_and_position(tmp_path):
    pipeline = tmp_path / "typo.toml"
    pipeline.write_text(tiny_pipeline(TRAIN_ONE_EPOCH.replace("epochs = 1", "epohcs = 1")))
    with pytest.raises(gear.ConfigError) as caught:
        gear.run(str(pipeline))
    assert caught.value.key == "stage.0.epohcs"
    assert caught.value.line == tiny_pipeline(TRAIN_ONE_EPOCH).splitlines().index("epochs = 1") + 1
    assert caught.value.column == len("epohcs = ") + 1  # the value
    assert "did you mean 'epochs'" in str(caught.value)
    good = tmp_path / "good.toml"
    good.write_text(tiny_pipeline(TRAIN_ONE_EPOCH))
    with pytest.raises(gear.ConfigError, match="out of range") as caught:
        gear.run(str(good), overrides=["data.val_split=2"])
    assert caught.value.key == "data.val_split"
    assert "data.val_split=2" in caught.value.file  # the override, not the file, is at fault


def test_bad_data_is_a_data_error(tmp_path):
    pipeline = tmp_path / "nodata.toml"
    pipeline.write_text(tiny_pipeline(TRAIN_ONE_EPOCH, extra_data=f'path = "{tmp_path}/none"'))
    with pytest.raises((gear.DataError, gear.ConfigError), match="none"):
        gear.run(str(pipeline), out=str(tmp_path / "run"), log_level="off")


def test_channels_last_trains_like_contiguous_on_vgg_and_on_resnet(tmp_path):
    # ResNet's stage shortcuts are the strided 1x1 convolutions whose channels-last backward
    # LibTorch 1.13 gets wrong; the plugin runs them as a subsample and a stride-1 1x1, so the
    # host accepts channels-last for it and it trains like the contiguous run.
    # One epoch on 2000 images: VGG reaches about 0.7, ResNet about 0.33 (chance is 0.1).
    for model, least in (('architecture = "vgg11"\nwidth = 0.125', 0.5),
                         ('architecture = "resnet18"\nwidth = 0.125', 0.2)):
        name = model.split('"')[1]
        pipeline = tmp_path / f"{name}.toml"
        pipeline.write_text(tiny_pipeline(TRAIN_ONE_EPOCH + '\n[[stage]]\nkind = "evaluate"\n',
                                          model=model))
        nchw = gear.run(str(pipeline), out=str(tmp_path / f"{name}_nchw"), log_level="warn")
        nhwc = gear.run(str(pipeline), overrides=["run.memory_format=channels_last"],
                        out=str(tmp_path / f"{name}_nhwc"), log_level="warn")
        # The same seed and data: the layouts differ only by floating-point summation order.
        assert abs(nhwc["final"]["clean_accuracy"] - nchw["final"]["clean_accuracy"]) < 0.05, name
        assert nhwc["final"]["clean_accuracy"] > least, name

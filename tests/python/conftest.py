"""Shared fixtures of the Python tests. ctest runs them with /usr/bin/python3 -m pytest and sets
PYTHONPATH to build/python and GEARHOST to the built gearhost."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FASHION = Path("/usr/share/datasets/fashion-mnist")


def gearhost_path():
    path = os.environ.get("GEARHOST", str(REPO / "build" / "bin" / "gearhost"))
    if not Path(path).exists():
        pytest.skip(f"gearhost not built at {path}")
    return path


def run_gearhost(*args, cwd=None):
    """Runs gearhost; returns (exit code, stdout + stderr)."""
    done = subprocess.run([gearhost_path(), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)
    return done.returncode, done.stdout + done.stderr


def tiny_pipeline(stages, seed=1, model='architecture = "vgg11"\nwidth = 0.125', extra_data=""):
    """A pipeline on the first 2000 training and 200 test images of the real Fashion-MNIST."""
    return f"""[run]
seed = {seed}
device = "cpu"
threads = 2

[data]
plugin = "fashion-mnist"
batch_size = 64
limit_train = 2000
limit_test = 200
val_split = 0.1
{extra_data}
[model]
{model}
{stages}"""


TRAIN_ONE_EPOCH = """
[[stage]]
kind = "train"
epochs = 1
"""


@pytest.fixture(scope="session", autouse=True)
def fashion_mnist():
    if not (FASHION / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("Fashion-MNIST missing: apt-get install dataset-fashion-mnist")
    return FASHION

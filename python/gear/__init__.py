"""GEAR from Python: run pipelines, build and edit growable nets, apply the augmentation ops and
corruptions, and write growth strategies in Python (``strategy = "python:module.Class"``).

Tensors cross without copies: ``gear`` works on ``torch.Tensor`` objects from Debian's
python3-torch, which shares its LibTorch with GEAR.
"""

import os as _os
import sys as _sys

import torch as _torch  # registers torch's Python types before the extension uses them


class ConfigError(ValueError):
    """Bad input: a pipeline, an override or an option. ``file``, ``line`` and ``column`` locate
    the value (0 when unknown); ``key`` is its dotted path ("stage.1.gamma")."""

    def __init__(self, message, file="", line=0, column=0, key=""):
        super().__init__(message)
        self.file, self.line, self.column, self.key = file, line, column, key


class DataError(RuntimeError):
    """A dataset could not be read (missing, truncated or malformed files)."""


class PluginError(RuntimeError):
    """A plugin failed while running; the message names the plugin, its library and the pipeline
    position, and for a Python growth strategy carries its traceback."""


class GrowthStrategy:
    """Base class of growth strategies written in Python.

    A pipeline names a subclass with ``strategy = "python:module.Class"``; the stage table's
    other keys are passed to the constructor as keyword arguments. ``grow(net, context)`` widens
    ``net`` through its channel groups (``net.widen``, ``net.duplicate``, ``net.select``) and
    returns a :class:`GrowthResult`, a dict with the same fields, or None (every new channel is
    then recorded as fresh). ``net`` and ``context`` are valid during the call only.
    """

    def grow(self, net, context):
        raise NotImplementedError(f"{type(self).__name__}.grow(net, context) is not implemented")


class Pruner:
    """Base class of pruners written in Python.

    A pipeline names a subclass with ``pruner = "python:module.Class"`` in a prune or search
    stage; the stage table's other keys are passed to the constructor as keyword arguments.
    ``prune(net, context)`` removes channels through ``net.select`` until ``context.target``
    (``{"measure": "params" | "macs" | "bytes", "fraction": f}``) is met, and returns a
    :class:`PruneResult`, a dict with the same fields, or None (the target was met). The host
    records the channels removed from the widths. ``net`` and ``context`` are valid during the
    call only.
    """

    def prune(self, net, context):
        raise NotImplementedError(f"{type(self).__name__}.prune(net, context) is not implemented")


class PruneResult:
    """What a pruning step did: what stopped it (``"target"``, or ``"floor"`` when the pruner's
    floors stopped it first) and any figures of the pruner's own."""

    def __init__(self, bound_by="target", metrics=None):
        self.bound_by = bound_by
        self.metrics = dict(metrics or {})


class GrowthResult:
    """What a growth step did, as recorded in stages.json: new channels per group (a list in
    group order or a dict by group name) split into copies (``split``) and fresh ones
    (``fresh``), what bounded the growth, and any figures of the strategy's own."""

    def __init__(self, split=None, fresh=None, bound_by="gamma", metrics=None):
        self.split = split if split is not None else []
        self.fresh = fresh if fresh is not None else []
        self.bound_by = bound_by
        self.metrics = dict(metrics or {})


# The python: growth bridge finds this module's entry point with dlsym, so the extension's one
# exported symbol must be global; every other symbol of it is hidden.
_flags = _sys.getdlopenflags()
_sys.setdlopenflags(_flags | _os.RTLD_GLOBAL)
try:
    from . import _gear
finally:
    _sys.setdlopenflags(_flags)

from ._gear import (  # noqa: E402
    Net,
    GrowthContext,
    PruningContext,
    TiedTensor,
    augment,
    corrupt,
    corruption_names,
    create_model,
    component_kinds,
    describe,
    grow,
    list_plugins,
    load_checkpoint,
    load_plugins,
    run,
    stage_kinds,
)
from . import ops  # noqa: E402


def _torchscript(self, path, example=None):
    """Saves the net as TorchScript (eval mode, traced on `example`, by default one zero sample
    of its input shape) to `path`: loadable with torch.jit.load or LibTorch, without GEAR."""
    if example is None:
        if not self.input_shape:
            raise ValueError("this net's input shape is unknown: pass example=<a batch>")
        example = _torch.zeros(1, *self.input_shape)
    net = self

    class Traced(_torch.nn.Module):
        def forward(self, images):
            return net.forward(images)

    module = Traced()
    # The net's tensors become the traced module's state rather than constants of the graph.
    for name, tensor in self.state_dict(keep_vars=True).items():
        module.register_buffer(name.replace(".", "_"), tensor)
    was_training = self.training
    self.eval()
    try:
        with _torch.no_grad():
            traced = _torch.jit.trace(module, example)
        traced.save(str(path))
    finally:
        self.train(was_training)
    return traced


Net.torchscript = _torchscript

__version__ = _gear.__version__

__all__ = [
    "ConfigError", "DataError", "PluginError", "GrowthStrategy", "GrowthResult", "Pruner",
    "PruneResult", "Net", "GrowthContext", "PruningContext", "TiedTensor", "augment", "component_kinds", "corrupt", "corruption_names",
    "create_model", "describe", "grow", "list_plugins", "load_checkpoint", "load_plugins", "run",
    "stage_kinds", "ops",
]

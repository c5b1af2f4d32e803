"""Network slimming's criterion, a pruner written in Python: a channel's score is the |gamma| of
its BatchNorm (averaged over the group's norms when it has several), one ranking over all
growable groups, channels removed from the smallest until the parameters removed reach the
target. Run it with
    gearhost run examples/python/bn_scale_prune.toml
"""

import torch

import gear


class BnScalePrune(gear.Pruner):
    def __init__(self, min_channels=2):
        if min_channels < 1:
            raise ValueError(f"min_channels must be >= 1, got {min_channels}")
        self.min_channels = min_channels

    def prune(self, net, context):
        target = context.target
        if target["measure"] != "params":
            raise ValueError(f"BnScalePrune counts params, not {target['measure']}")
        ranked = []
        for group in net.groups:
            if not group["growable"]:
                continue
            norms = [t.tensor.detach().abs() for t in net.tied_tensors(group["name"])
                     if t.role == "norm_weight"]
            if norms:
                scores = torch.stack(norms).mean(0)
                ranked += [(float(s), group["name"], c) for c, s in enumerate(scores)]
        ranked.sort()
        before = net.params
        goal = target["fraction"] * before
        removed = {}  # group -> original indices removed
        for _, group, channel in ranked:
            if before - net.params >= goal:
                break
            if net.widths[group] - 1 < self.min_channels:
                continue
            # The group's current index of the original channel, after earlier removals.
            gone = removed.setdefault(group, set())
            index = channel - sum(1 for g in gone if g < channel)
            net.select(group, [i for i in range(net.widths[group]) if i != index])
            gone.add(channel)
        met = before - net.params >= goal
        return gear.PruneResult(bound_by="target" if met else "floor",
                                metrics={"freed_fraction": (before - net.params) / before})

"""Random split, a growth rule written in Python (the "random split" ablation of GEARnn's OSG).

Each new channel is a function-preserving copy (net.duplicate) of a channel drawn uniformly from
all growable channels, so the net grows by `gamma` of its growable width and its outputs do not
change. The same rule as the C++ `net2wider` strategy with noise = 0. Run it with
    gearhost run examples/python/random_split.toml
"""

import torch

import gear


class RandomSplit(gear.GrowthStrategy):
    def __init__(self, gamma=0.5):
        if gamma <= 0:
            raise ValueError(f"gamma must be > 0, got {gamma}")
        self.gamma = gamma

    def grow(self, net, context):
        groups = [g["name"] for g in net.groups if g["growable"]]
        widths = [net.widths[g] for g in groups]
        count = int(self.gamma * sum(widths))
        # Uniform over all channels: a group in proportion to its width, then one of its channels.
        weights = torch.tensor(widths, dtype=torch.float)
        picks = torch.multinomial(weights, count, replacement=True, generator=context.generator)
        split = torch.bincount(picks, minlength=len(groups)).tolist()
        for group, width, n in zip(groups, widths, split):
            if n:
                sources = torch.randint(width, (n,), generator=context.generator).tolist()
                net.duplicate(group, sources)
        # This example only reports a budget it exceeds; osg and net2wider fit the growth to it.
        over = context.exceeds_budget(net)
        return gear.GrowthResult(split=dict(zip(groups, split)), bound_by=over or "gamma")

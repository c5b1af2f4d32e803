"""gear.augment runs whole augmentation policies; gear.corrupt the 15 corruptions."""

import pytest
import torch

import gear


def images(n=8, channels=3, size=32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8, generator=generator)


@pytest.mark.parametrize("policy", ["standard", "augmix", "era"])
def test_policies_are_seeded(policy):
    batch = images()
    a = gear.augment(policy, batch, seed=3)
    b = gear.augment(policy, batch, seed=3)
    c = gear.augment(policy, batch, seed=4)
    views_a = a if isinstance(a, list) else [a]
    views_b = b if isinstance(b, list) else [b]
    views_c = c if isinstance(c, list) else [c]
    for x, y in zip(views_a, views_b):
        assert torch.equal(x, y)
    assert any(not torch.equal(x, y) for x, y in zip(views_a, views_c))
    assert all(v.shape == batch.shape for v in views_a)


def test_standard_crop_padding_and_flip_follow_their_options():
    batch = images(4)
    flipped = gear.augment("standard", batch, seed=0, padding=0, flip=False)
    assert torch.equal(flipped, batch)  # no padding, no flip: the identity
    with pytest.raises(gear.ConfigError, match="did you mean 'padding'"):
        gear.augment("standard", batch, padidng=2)


def test_augmix_with_consistency_gives_the_clean_view_first():
    batch = images(4)
    views = gear.augment("augmix", batch, seed=1, jsd=True, crop=False, flip=False)
    assert isinstance(views, list) and len(views) == 3
    clean = views[0] if views[0].dtype == torch.uint8 else (views[0] * 255).round().byte()
    assert torch.equal(clean, batch)  # without crop and flip the clean view is the input
    assert not torch.equal(views[1], views[0])
    single = gear.augment("augmix", batch, seed=1, jsd=False)
    assert isinstance(single, torch.Tensor) and single.shape == batch.shape


@pytest.mark.parametrize("name", gear.corruption_names())
def test_corruptions_are_seeded_and_grow_with_severity(name):
    batch = images(4, seed=1)
    mild = gear.corrupt(name, batch, 1, seed=7)
    assert mild.shape == batch.shape and mild.dtype == torch.uint8
    assert torch.equal(mild, gear.corrupt(name, batch, 1, seed=7))
    severe = gear.corrupt(name, batch, 5, seed=7)
    change = lambda x: (x.float() - batch.float()).abs().mean().item()
    assert change(severe) > 0


def test_corruption_names_and_errors():
    assert len(gear.corruption_names()) == 15
    with pytest.raises(ValueError, match="gaussian_noise"):
        gear.corrupt("gausian_noise", images(1), 3)
    with pytest.raises(ValueError, match="severity"):
        gear.corrupt("fog", images(1), 6)

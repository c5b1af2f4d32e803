"""gear.ops against Pillow, the reference AugMix's augmentations.py calls: each op on the same
image and magnitude. Lookup-table ops must match exactly, resampling ops within one grey level."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageOps

import gear

BILINEAR = Image.BILINEAR


def known_image(channels, size=32, seed=0):
    """Smooth gradients, a bright square and noise: every op has something to act on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    planes = [(x * 5 + y * 2) % 200 + 20, (y * 7) % 180 + 40, (x * y) % 150 + 60][:channels]
    image = np.stack(planes, axis=-1).astype(np.int64)
    image[size // 4:size // 2, size // 3:2 * size // 3] = 235
    image += rng.integers(-15, 16, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def to_pil(array):
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def to_batch(array):
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def from_pil(image, channels):
    out = np.asarray(image)
    return out[..., None] if channels == 1 else out


def affine(m):
    return lambda img: img.transform(img.size, Image.AFFINE, m, resample=BILINEAR)


# (op, magnitude, Pillow reference, exact?)
CASES = [
    ("autocontrast", 0, ImageOps.autocontrast, True),
    ("equalize", 0, ImageOps.equalize, True),
    ("posterize", 2, lambda img: ImageOps.posterize(img, 2), True),
    ("posterize", 4, lambda img: ImageOps.posterize(img, 4), True),
    ("solarize", 128, lambda img: ImageOps.solarize(img, 128), True),
    ("solarize", 200, lambda img: ImageOps.solarize(img, 200), True),
    ("rotate", 17, lambda img: img.rotate(17, resample=BILINEAR), False),
    ("rotate", -30, lambda img: img.rotate(-30, resample=BILINEAR), False),
    ("shear_x", 0.21, affine((1, 0.21, 0, 0, 1, 0)), False),
    ("shear_y", -0.3, affine((1, 0, 0, -0.3, 1, 0)), False),
    ("translate_x", 7, affine((1, 0, 7, 0, 1, 0)), False),
    ("translate_y", -5, affine((1, 0, 0, 0, 1, -5)), False),
    ("color", 0.4, lambda img: ImageEnhance.Color(img).enhance(0.4), False),
    ("contrast", 1.7, lambda img: ImageEnhance.Contrast(img).enhance(1.7), False),
    ("brightness", 0.6, lambda img: ImageEnhance.Brightness(img).enhance(0.6), False),
    ("sharpness", 1.9, lambda img: ImageEnhance.Sharpness(img).enhance(1.9), False),
]


@pytest.mark.parametrize("channels", [3, 1])
@pytest.mark.parametrize("name,magnitude,reference,exact", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_op_matches_pillow(name, magnitude, reference, exact, channels):
    image = known_image(channels)
    ours = getattr(gear.ops, name)(to_batch(image), magnitude)[0].permute(1, 2, 0).numpy()
    theirs = from_pil(reference(to_pil(image)), channels)
    difference = np.abs(ours.astype(int) - theirs.astype(int))
    if exact:
        assert difference.max() == 0, f"{name}({magnitude}): {np.count_nonzero(difference)} differ"
    else:
        assert difference.max() <= 1, f"{name}({magnitude}): off by up to {difference.max()}"
    assert not np.array_equal(ours, image) or name in ("color",) and channels == 1


def test_every_augmix_op_is_exposed():
    assert set(gear.ops.names) == {c[0] for c in CASES}


def test_per_sample_magnitudes_apply_to_their_own_image():
    image = to_batch(known_image(3))
    batch = image.repeat(3, 1, 1, 1)
    out = gear.ops.rotate(batch, torch.tensor([0.0, 17.0, -30.0]))
    assert torch.equal(out[0], image[0])
    assert torch.equal(out[1], gear.ops.rotate(image, 17.0)[0])
    assert torch.equal(out[2], gear.ops.rotate(image, -30.0)[0])


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="uint8 images"):
        gear.ops.equalize(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="2 magnitudes for 3 images"):
        gear.ops.rotate(torch.zeros(3, 3, 8, 8, dtype=torch.uint8), torch.tensor([1.0, 2.0]))

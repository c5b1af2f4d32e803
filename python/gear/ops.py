"""The AugMix operations, one function each, on uint8 batches ``[N, C, H, W]``: the same kernels
the ``augmix`` and ``era`` augmentation plugins run.

``magnitude`` is a float or a per-sample tensor ``[N]`` in the op's natural unit:

=================  =====================================================================
autocontrast       ignored
equalize           ignored
posterize          bits kept, 0..8
rotate             degrees, counter-clockwise, about the centre
solarize           threshold: pixels >= it are inverted
shear_x, shear_y   shear factor (Pillow's affine coefficient)
translate_x, _y    pixels; content moves left / up for positive values
color, contrast,   enhance factor (PIL.ImageEnhance): 1 keeps the image, 0 gives the
brightness,        degenerate image (grey, mean grey, black, smoothed)
sharpness
=================  =====================================================================
"""

import torch as _torch

from . import _gear

names = tuple(_gear.augmix_op_names())


def _make(name):
    def op(images, magnitude=0.0):
        if not isinstance(magnitude, _torch.Tensor):
            magnitude = _torch.tensor([float(magnitude)], dtype=_torch.float64)
        return _gear.apply_augmix_op(name, images, magnitude)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Applies AugMix's {name} to uint8 images [N, C, H, W] (see gear.ops)."
    return op


for _name in names:
    globals()[_name] = _make(_name)

__all__ = list(names)

#!/usr/bin/python3
"""Writes the reference's outputs of the six deterministic corruptions (defocus_blur, zoom_blur,
brightness, contrast, pixelate, jpeg_compression) at every severity on fixed 28, 32 and 64 px
images: the golden data of golden_test.cpp. Run with /usr/bin/python3 (Debian's numpy, scipy and
Pillow).

The functions are an independent re-implementation of hendrycks/robustness
ImageNet-C/create_c/make_cifar_c.py (the 32 px table) and make_tinyimagenet_c.py (the 64 px
table), written as the reference writes them. The reference also calls cv2 and skimage, which
are not installed here; the few functions it uses are re-implemented below from those libraries'
definitions (marked "cv2:" and "skimage:"). 28 px images (Fashion-MNIST) have no reference
table: they use the 32 px table with pixel quantities (the defocus radius, the pixelate size)
scaled by 28/32, GEAR's documented construction (plugins/robustness/corruptions/README.md).

Output (next to this script, in golden/):
  cases.txt  one case per line: corruption severity channels height width input_offset
             output_offset margin_offset
  cases.bin.gz  the uint8 images, CHW, at those byte offsets (gzip): the input, the reference's
             output (np.uint8 of its float result), and a 0/1 image marking the values whose
             float result lies within MARGIN of an integer, where truncating a float32 result
             (GEAR's) and a float64 one (the reference's) may differ by one (all 0 for pixelate
             and jpeg_compression, whose results are integers)
  defocus_float.txt  defocus_blur's float results before truncation on the noise images (28 and
             32 px), one case per line: severity channels height width input_offset
             float_offset (input_offset into cases.bin, float_offset into defocus_float.bin)
  defocus_float.bin.gz  those results, float32 little-endian, CHW (gzip). The 32 px table's
             alias sigma 0.2 moves values by under 0.15 grey levels from those of a plain
             disk: too little to show after truncation, so it is checked here.
"""
import gzip
import os
from io import BytesIO

import numpy as np
from PIL import Image
from scipy.ndimage import correlate, correlate1d
from scipy.ndimage import zoom as scizoom

HERE = os.path.dirname(os.path.abspath(__file__))

# Grey levels. GEAR computes in float32: its results of at most 255 after at most ~30 roundings
# are within 30 * 255 * 6e-8 < 5e-4 of the exact value, so a truncation can only differ from
# the reference's where the exact result is this close to an integer (4x that bound).
MARGIN = 2e-3

# Severity tables, (32 px table, 64 px table), copied from the two reference scripts.
DEFOCUS = ([(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)],
           [(0.5, 0.6), (1, 0.1), (1.5, 0.1), (2.5, 0.01), (3, 0.1)])
ZOOM = ([np.arange(1, 1.06, 0.01), np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01),
         np.arange(1, 1.21, 0.01), np.arange(1, 1.26, 0.01)],) * 2
BRIGHTNESS = ([.05, .1, .15, .2, .3], [.1, .2, .3, .4, .5])
CONTRAST = ([.75, .5, .4, .3, 0.15], [.4, .3, .2, .1, .05])
PIXELATE = ([0.95, 0.9, 0.85, 0.75, 0.65], [0.9, 0.8, 0.7, 0.6, 0.5])
JPEG = ([80, 65, 58, 50, 40], [65, 58, 50, 40, 25])


def table(tables, size, severity):
    return tables[1 if size >= 48 else 0][severity - 1]


def table_size(size):
    return 64 if size >= 48 else 32


# ---- cv2 and skimage functions the reference calls -------------------------------------------

def cv2_get_gaussian_kernel(ksize, sigma):
    """cv2: getGaussianKernel(ksize, sigma > 0, CV_32F): exp(-(i - (ksize-1)/2)^2 / (2 sigma^2)),
    computed in double, scaled to sum 1, stored as float."""
    i = np.arange(ksize, dtype=np.float64) - (ksize - 1) * 0.5
    k = np.exp(-(i * i) / (2.0 * sigma * sigma))
    return (k / k.sum()).astype(np.float32)


def cv2_gaussian_blur(img, ksize, sigma):
    """cv2: GaussianBlur(img, (k, k), sigmaX=sigma) of a float32 image: sigmaY = sigmaX, the
    separable kernel applied along rows then columns (correlation, anchor at the centre), border
    BORDER_DEFAULT = BORDER_REFLECT_101 (SciPy's "mirror": d c b | a b c d)."""
    k = cv2_get_gaussian_kernel(ksize, sigma)
    out = correlate1d(img.astype(np.float32), k, axis=1, mode="mirror")
    return correlate1d(out, k, axis=0, mode="mirror")


def cv2_filter2d(img, kernel):
    """cv2: filter2D(img, -1, kernel): correlation (not convolution) with the kernel anchored at
    its centre, border BORDER_REFLECT_101, the output in the input's depth (float64 here)."""
    return correlate(img, kernel.astype(np.float64), mode="mirror")


def skimage_rgb2hsv(rgb):
    """skimage: color.rgb2hsv, as skimage.color.colorconv._rgb2hsv defines it."""
    out = np.empty_like(rgb)
    out_v = rgb.max(-1)
    delta = rgb.ptp(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out_s = delta / out_v
        out_s[delta == 0.] = 0.
        idx = rgb[..., 0] == out_v  # red is max
        out[idx, 0] = (rgb[idx, 1] - rgb[idx, 2]) / delta[idx]
        idx = rgb[..., 1] == out_v  # green is max
        out[idx, 0] = 2. + (rgb[idx, 2] - rgb[idx, 0]) / delta[idx]
        idx = rgb[..., 2] == out_v  # blue is max
        out[idx, 0] = 4. + (rgb[idx, 0] - rgb[idx, 1]) / delta[idx]
        out_h = (out[..., 0] / 6.) % 1.
        out_h[delta == 0.] = 0.
    out[..., 0] = out_h
    out[..., 1] = out_s
    out[..., 2] = out_v
    out[np.isnan(out)] = 0
    return out


def skimage_hsv2rgb(hsv):
    """skimage: color.hsv2rgb, as skimage.color.colorconv.hsv2rgb defines it."""
    hi = np.floor(hsv[..., 0] * 6)
    f = hsv[..., 0] * 6 - hi
    p = hsv[..., 2] * (1 - hsv[..., 1])
    q = hsv[..., 2] * (1 - f * hsv[..., 1])
    t = hsv[..., 2] * (1 - (1 - f) * hsv[..., 1])
    v = hsv[..., 2]
    hi = np.stack([hi, hi, hi], axis=-1).astype(np.uint8) % 6
    return np.choose(hi, np.stack([np.stack((v, t, p), axis=-1),
                                   np.stack((q, v, p), axis=-1),
                                   np.stack((p, v, t), axis=-1),
                                   np.stack((p, q, v), axis=-1),
                                   np.stack((t, p, v), axis=-1),
                                   np.stack((v, p, q), axis=-1)]))


# ---- the reference's corruptions (x: a PIL image; they return float [0, 255] or PIL) ---------

def disk(radius, alias_blur=0.1, dtype=np.float32):
    if radius <= 8:
        L = np.arange(-8, 8 + 1)
        ksize = 3
    else:
        L = np.arange(-radius, radius + 1)
        ksize = 5
    X, Y = np.meshgrid(L, L)
    aliased_disk = np.array((X ** 2 + Y ** 2) <= radius ** 2, dtype=dtype)
    aliased_disk /= np.sum(aliased_disk)
    # supersample disk to antialias
    return cv2_gaussian_blur(aliased_disk, ksize, alias_blur)


def clipped_zoom(img, zoom_factor):
    h = img.shape[0]
    ch = int(np.ceil(h / zoom_factor))
    top = (h - ch) // 2
    img = scizoom(img[top:top + ch, top:top + ch], (zoom_factor, zoom_factor, 1), order=1)
    trim_top = (img.shape[0] - h) // 2
    return img[trim_top:trim_top + h, trim_top:trim_top + h]


def as_hwc(x):
    a = np.array(x)
    return a[:, :, None] if a.ndim == 2 else a


def defocus_blur(x, severity, size):
    c = table(DEFOCUS, size, severity)
    x = as_hwc(x) / 255.
    # 28 px: the radius in pixels scales with the image (GEAR's construction).
    kernel = disk(radius=c[0] * size / table_size(size), alias_blur=c[1])
    channels = [cv2_filter2d(x[:, :, d], kernel) for d in range(x.shape[2])]
    channels = np.array(channels).transpose((1, 2, 0))
    return np.clip(channels, 0, 1) * 255


def zoom_blur(x, severity, size):
    c = table(ZOOM, size, severity)
    x = (as_hwc(x) / 255.).astype(np.float32)
    out = np.zeros_like(x)
    for zoom_factor in c:
        out += clipped_zoom(x, zoom_factor)
    x = (x + out) / (len(c) + 1)
    return np.clip(x, 0, 1) * 255


def brightness(x, severity, size):
    c = table(BRIGHTNESS, size, severity)
    x = as_hwc(x) / 255.
    grey = x.shape[2] == 1
    if grey:
        # The reference has only RGB images; a grey image is its RGB image with R = G = B
        # (saturation 0), which hsv2rgb returns with R = G = B again.
        x = np.repeat(x, 3, axis=2)
    x = skimage_rgb2hsv(x)
    x[:, :, 2] = np.clip(x[:, :, 2] + c, 0, 1)
    x = skimage_hsv2rgb(x)
    if grey:
        x = x[:, :, :1]
    return np.clip(x, 0, 1) * 255


def contrast(x, severity, size):
    c = table(CONTRAST, size, severity)
    x = as_hwc(x) / 255.
    means = np.mean(x, axis=(0, 1), keepdims=True)
    return np.clip((x - means) * c + means, 0, 1) * 255


def jpeg_compression(x, severity, size):
    c = table(JPEG, size, severity)
    output = BytesIO()
    x.save(output, "JPEG", quality=c)
    return Image.open(output)


def pixelate(x, severity, size):
    c = table(PIXELATE, size, severity)
    # The reference writes int(32 * c) / int(64 * c); 28 px uses int(28 * c).
    x = x.resize((int(size * c), int(size * c)), Image.BOX)
    return x.resize((size, size), Image.BOX)


CORRUPTIONS = {"defocus_blur": defocus_blur, "zoom_blur": zoom_blur, "brightness": brightness,
               "contrast": contrast, "pixelate": pixelate, "jpeg_compression": jpeg_compression}


# ---- fixed images ----------------------------------------------------------------------------

def smooth(size, channels):
    """A smooth scene with edges. Every channel varies non-linearly and nowhere is flat, so the
    filters' exact outputs are rarely integers (where truncation would make float rounding
    visible)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) * (32.0 / size)
    planes = [
        120 + 90 * np.sin(xx / 4.3 + 0.4) * np.cos(yy / 5.9 - 0.2) + 0.7 * xx,
        35 + 5.3 * xx + 1.9 * yy + 9 * np.sin(xx * yy / 37.0),
        250 - 6.1 * yy + 12 * np.cos(xx / 2.7) - 0.05 * (xx - 16) ** 2,
    ][:channels]
    img = np.stack(planes, axis=2)
    square = (xx > 9) & (xx < 19) & (yy > 7) & (yy < 17)
    img[square] = 255 - 0.4 * img[square]
    return np.clip(img, 0, 255).astype(np.uint8)


def test_images():
    rng = np.random.RandomState(20261204)
    for size, channels in ((32, 3), (28, 1)):
        yield smooth(size, channels)
        yield rng.randint(0, 256, (size, size, channels)).astype(np.uint8)
    # One 64 px image, smooth above and noise below, keeps the golden file small.
    mixed = smooth(64, 3)
    mixed[32:] = rng.randint(0, 256, (32, 64, 3))
    yield mixed


def to_pil(hwc):
    return Image.fromarray(hwc[:, :, 0], "L") if hwc.shape[2] == 1 else Image.fromarray(hwc, "RGB")


def to_chw(result):
    # np.uint8 of the float results truncates, as the reference's saving code does.
    return np.uint8(as_hwc(result)).transpose(2, 0, 1).copy()


def near_integer(result):
    if isinstance(result, Image.Image):
        return np.zeros_like(to_chw(result))
    r = as_hwc(result).astype(np.float64)
    return np.uint8(np.abs(r - np.round(r)) < MARGIN).transpose(2, 0, 1).copy()


def write_golden(stem, lines, blob):
    """golden/<stem>.txt (one case per line) and golden/<stem>.bin.gz (the bytes they index)."""
    with gzip.GzipFile(os.path.join(HERE, "golden", stem + ".bin.gz"), "wb", mtime=0) as f:
        f.write(bytes(blob))
    with open(os.path.join(HERE, "golden", stem + ".txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    blob = bytearray()
    lines = []
    inputs = []  # (image, its offset in blob)
    for hwc in test_images():
        size, channels = hwc.shape[0], hwc.shape[2]
        input_offset = len(blob)
        inputs.append((hwc, input_offset))
        blob += hwc.transpose(2, 0, 1).tobytes()
        for name, fn in CORRUPTIONS.items():
            for severity in range(1, 6):
                result = fn(to_pil(hwc), severity, size)
                out = to_chw(result)
                assert out.shape == (channels, size, size), (name, out.shape)
                lines.append(f"{name} {severity} {channels} {size} {size} {input_offset} "
                             f"{len(blob)} {len(blob) + out.size}")
                blob += out.tobytes()
                blob += near_integer(result).tobytes()
    floats = bytearray()
    float_lines = []
    for hwc, input_offset in inputs:
        size, channels = hwc.shape[0], hwc.shape[2]
        # defocus_blur before truncation at 28 and 32 px; the smooth scenes are left out, the
        # noise images are enough here.
        if size == 64 or input_offset == 0 or float(hwc.std()) < 50:
            continue
        for severity in range(1, 6):
            result = as_hwc(defocus_blur(to_pil(hwc), severity, size))
            float_lines.append(f"{severity} {channels} {size} {size} {input_offset} {len(floats)}")
            floats += result.transpose(2, 0, 1).astype("<f4").tobytes()
    write_golden("defocus_float", float_lines, floats)
    write_golden("cases", lines, blob)
    print(f"{len(lines)} cases, {len(blob)} bytes")


if __name__ == "__main__":
    main()

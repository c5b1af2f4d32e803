#include <gear/device_profile.h>
#include <gear/plugin.h>

#include "codec_steps.h"
#include "color_steps.h"
#include "filter_steps.h"
#include "geometry_steps.h"

GEAR_PLUGIN("gear-devices", "0.1.0",
            "Device steps: codecs, ISP colour and tone, denoise and sharpen, sensor noise and "
            "geometry, composed into device profiles") {
  using namespace gear::plugins::devices;
  using gear::DeviceStep;
  r.add<DeviceStep, JpegStep>("jpeg",
                              "libjpeg encode + decode at a quality, chroma subsampling "
                              "and DCT method");
  r.add<DeviceStep, WebpStep>("webp", "libwebp encode + decode, lossy at a quality or lossless");
  r.add<DeviceStep, PngStep>("png",
                             "libpng encode + decode: lossless, the output equals the input");
  r.add<DeviceStep, ResizeStep>("resize",
                                "down-sample by a scale and back to H x W with chosen kernels");
  r.add<DeviceStep, WhiteBalanceStep>("white_balance",
                                      "per-channel gains with seeded per-image jitter; grey "
                                      "images take the luma-weighted gain");
  r.add<DeviceStep, ColorMatrixStep>("color_matrix",
                                     "a 3 x 3 colour matrix on RGB values; grey images take its "
                                     "luma scale");
  r.add<DeviceStep, GammaStep>("gamma", "out = 255 (x / 255)^gamma");
  r.add<DeviceStep, ToneCurveStep>("tone_curve",
                                   "blend toward the S-curve 3x^2 - 2x^3 (strength > 0) or its "
                                   "inverse (< 0)");
  r.add<DeviceStep, DenoiseStep>("denoise", "separable Gaussian low-pass, edges replicated");
  r.add<DeviceStep, UnsharpStep>("unsharp",
                                 "unsharp masking: x + amount (x - blur x) above a threshold");
  r.add<DeviceStep, SensorNoiseStep>("sensor_noise",
                                     "Poisson shot noise at a full-well capacity plus Gaussian "
                                     "read noise, seeded per image");
  r.add<DeviceStep, ShiftStep>("shift",
                               "sub-pixel translation with per-image jitter, bilinear, edges "
                               "replicated");
  r.add<DeviceStep, CropStep>("crop",
                              "cut a fraction of H and W (centred or random) and resize back "
                              "bilinearly");
  r.add<DeviceStep, ToRgbStep>("to_rgb", "grey images replicated into 3 channels");
  r.add<DeviceStep, ToGreyStep>("to_grey", "colour images to luma 0.299 R + 0.587 G + 0.114 B");
}

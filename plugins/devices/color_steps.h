#pragma once

/// @file
/// Colour and tone steps of an image signal processor: white balance, a colour matrix, gamma, a
/// tone curve and the channel conversions. They run on the images' device; grey images get the
/// luma (BT.601: 0.299 R + 0.587 G + 0.114 B) version of each colour operation.

#include <gear/config.h>
#include <gear/device_profile.h>
#include <gear/options.h>

#include <cstdint>
#include <vector>

namespace gear::plugins::devices {

struct WhiteBalanceOptions {
  std::vector<double> gains = {1.0, 1.0, 1.0};
  double jitter = 0.0;
};

/// `white_balance`: out_c = x_c * g_c, each image's gains g = gains * (U(1 - jitter, 1 + jitter)
/// per channel, seeded per image). A grey sensor sees luminance, so a grey image is scaled by the
/// luma-weighted gain 0.299 g_r + 0.587 g_g + 0.114 g_b.
class WhiteBalanceStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit WhiteBalanceStep(const Config& config);
  explicit WhiteBalanceStep(WhiteBalanceOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<WhiteBalanceOptions>& binder();
  WhiteBalanceOptions options_;
};

struct ColorMatrixOptions {
  std::vector<double> matrix = {1, 0, 0, 0, 1, 0, 0, 0, 1};
};

/// `color_matrix`: out = M x on RGB values in [0, 255] (M row-major), clamped and rounded. A grey
/// image is scaled by (0.299, 0.587, 0.114) M (1, 1, 1)^T: the luma of M applied to a grey pixel.
class ColorMatrixStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit ColorMatrixStep(const Config& config);
  explicit ColorMatrixStep(ColorMatrixOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<ColorMatrixOptions>& binder();
  ColorMatrixOptions options_;
};

struct GammaOptions {
  double gamma = 1.0;
};

/// `gamma`: out = 255 (x / 255)^gamma, through a 256-entry table (exactly the identity at 1).
class GammaStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit GammaStep(const Config& config);
  explicit GammaStep(GammaOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<GammaOptions>& binder();
  GammaOptions options_;
};

struct ToneCurveOptions {
  double strength = 0.3;
};

/// `tone_curve`: with x in [0, 1] and s = strength, out = (1 - s) x + s (3x^2 - 2x^3) for s >= 0
/// (an S-curve: more contrast in the mid-tones) and out = (1 - |s|) x + |s| (1/2 - sin(asin(1 -
/// 2x) / 3)) for s < 0 (the inverse S-curve, which flattens the mid-tones); s = 0 is the identity.
class ToneCurveStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit ToneCurveStep(const Config& config);
  explicit ToneCurveStep(ToneCurveOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

  /// The curve on [0, 1] for `strength` (what the table samples; the tests check it).
  static double curve(double x, double strength);

 private:
  static const OptionBinder<ToneCurveOptions>& binder();
  ToneCurveOptions options_;
};

/// `to_rgb`: a grey image replicated into 3 channels; colour images unchanged.
class ToRgbStep final : public DeviceStep {
 public:
  static OptionSchema schema() { return {}; }
  explicit ToRgbStep(const Config& = {}) {}
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  int64_t output_channels(int64_t channels) const override { return channels == 1 ? 3 : channels; }
};

/// `to_grey`: a colour image to its luma 0.299 R + 0.587 G + 0.114 B; grey images unchanged.
class ToGreyStep final : public DeviceStep {
 public:
  static OptionSchema schema() { return {}; }
  explicit ToGreyStep(const Config& = {}) {}
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  int64_t output_channels(int64_t channels) const override { return channels == 3 ? 1 : channels; }
};

}  // namespace gear::plugins::devices

#pragma once

/// @file
/// Geometry steps: a resampling round trip, a sub-pixel translation and a crop, each mapping back
/// to the input's H x W. They run on the images' device.

#include <gear/config.h>
#include <gear/device_profile.h>
#include <gear/options.h>

#include <string>

namespace gear::plugins::devices {

struct ResizeOptions {
  double scale = 0.75;
  std::string down = "bilinear";
  std::string up = "bilinear";
  bool antialias = true;
};

/// `resize`: interpolate down to round(H scale) x round(W scale) (at least 1) with kernel `down`,
/// then back to H x W with kernel `up` (align_corners false for bilinear and bicubic), rounded
/// and clamped to uint8. `antialias` widens the bilinear and bicubic down-sampling kernel to the
/// scale (LibTorch's antialias, as PIL resizes); nearest and area down-sampling have none.
class ResizeStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit ResizeStep(const Config& config);
  explicit ResizeStep(ResizeOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<ResizeOptions>& binder();
  ResizeOptions options_;
};

struct ShiftOptions {
  double dx = 0.0;
  double dy = 0.0;
  double jitter = 0.0;
};

/// `shift`: out(y, x) = in(y - dy', x - dx') by bilinear interpolation with edges replicated, where
/// dx' = dx + U(-jitter, jitter) and dy' likewise, drawn per image (positive dx moves the content
/// right, positive dy down). An integer shift moves pixels exactly.
class ShiftStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit ShiftStep(const Config& config);
  explicit ShiftStep(ShiftOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<ShiftOptions>& binder();
  ShiftOptions options_;
};

struct CropOptions {
  double fraction = 0.05;
  bool random = false;
};

/// `crop`: keep a window of H - round(fraction H) by W - round(fraction W) pixels (centred, or at
/// a uniform random integer offset per image when `random`) and resize it back to H x W
/// bilinearly (align_corners false). fraction 0 is the identity.
class CropStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit CropStep(const Config& config);
  explicit CropStep(CropOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<CropOptions>& binder();
  CropOptions options_;
};

}  // namespace gear::plugins::devices

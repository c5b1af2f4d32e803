#pragma once

/// @file
/// Filter and noise steps: the ISP's denoiser and sharpener, and the sensor's shot and read
/// noise.

#include <gear/config.h>
#include <gear/device_profile.h>
#include <gear/options.h>

namespace gear::plugins::devices {

struct DenoiseOptions {
  double sigma = 0.6;
};

/// `denoise`: a separable Gaussian low-pass over H and W (radius ceil(3 sigma), normalised
/// weights, edges replicated); a constant image stays constant.
class DenoiseStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit DenoiseStep(const Config& config);
  explicit DenoiseStep(DenoiseOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;

 private:
  static const OptionBinder<DenoiseOptions>& binder();
  DenoiseOptions options_;
};

struct UnsharpOptions {
  double sigma = 1.0;
  double amount = 0.5;
  double threshold = 0.0;
};

/// `unsharp`: unsharp masking, out = x + amount (x - blur(x)) where |x - blur(x)| > threshold
/// and x elsewhere, blur being denoise's Gaussian at `sigma`.
class UnsharpStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit UnsharpStep(const Config& config);
  explicit UnsharpStep(UnsharpOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<UnsharpOptions>& binder();
  UnsharpOptions options_;
};

struct SensorNoiseOptions {
  double full_well = 2000.0;
  double read = 1.5;
};

/// `sensor_noise`: x' = Poisson(x / 255 * full_well) / full_well * 255 + N(0, read^2), per pixel
/// and channel, each image from its own std::mt19937_64 seeded from the generator; full_well = 0
/// leaves out the shot noise. The variance added at level x is read^2 + 255 x / full_well.
class SensorNoiseStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit SensorNoiseStep(const Config& config);
  explicit SensorNoiseStep(SensorNoiseOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<SensorNoiseOptions>& binder();
  SensorNoiseOptions options_;
};

}  // namespace gear::plugins::devices

#include "filter_steps.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "step_support.h"

namespace gear::plugins::devices {
namespace {

std::string positive_sigma_error(double sigma) { return sigma > 0 ? "" : "must be positive"; }

}  // namespace

// ---- denoise ------------------------------------------------------------------------------

const OptionBinder<DenoiseOptions>& DenoiseStep::binder() {
  static const OptionBinder<DenoiseOptions> binder = [] {
    using O = DenoiseOptions;
    OptionBinder<O> b;
    b.bind("sigma", &O::sigma, "Gaussian standard deviation in pixels, in (0, 5]")
        .range(0.0, 5.0)
        .check(positive_sigma_error);
    return b;
  }();
  return binder;
}

OptionSchema DenoiseStep::schema() { return binder().schema(); }

DenoiseStep::DenoiseStep(const Config& config) : DenoiseStep(binder().read(config)) {}

DenoiseStep::DenoiseStep(DenoiseOptions options) : options_(options) {
  check_options("denoise", binder().schema(options_));
  if (!(options_.sigma > 0)) throw std::invalid_argument("denoise: sigma must be positive");
}

torch::Tensor DenoiseStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("denoise", images);
  return to_uint8(gaussian_blur(images.to(torch::kFloat), options_.sigma));
}

// ---- unsharp ------------------------------------------------------------------------------

const OptionBinder<UnsharpOptions>& UnsharpStep::binder() {
  static const OptionBinder<UnsharpOptions> binder = [] {
    using O = UnsharpOptions;
    OptionBinder<O> b;
    b.bind("sigma", &O::sigma, "standard deviation of the blur that is subtracted, in (0, 5]")
        .range(0.0, 5.0)
        .check(positive_sigma_error);
    b.bind("amount", &O::amount, "gain of the detail x - blur(x) added back").range(0.0, 5.0);
    b.bind("threshold", &O::threshold,
           "details of at most this size (pixel levels) are left alone, so flat noise is not "
           "amplified")
        .range(0.0, 255.0);
    return b;
  }();
  return binder;
}

OptionSchema UnsharpStep::schema() { return binder().schema(); }

UnsharpStep::UnsharpStep(const Config& config) : UnsharpStep(binder().read(config)) {}

UnsharpStep::UnsharpStep(UnsharpOptions options) : options_(options) {
  check_options("unsharp", binder().schema(options_));
  if (!(options_.sigma > 0)) throw std::invalid_argument("unsharp: sigma must be positive");
}

bool UnsharpStep::lossless() const { return options_.amount == 0.0; }

torch::Tensor UnsharpStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("unsharp", images);
  const torch::Tensor x = images.to(torch::kFloat);
  const torch::Tensor detail = x - gaussian_blur(x, options_.sigma);
  const torch::Tensor kept = detail * (detail.abs() > options_.threshold);
  return to_uint8(x + options_.amount * kept);
}

// ---- sensor_noise -------------------------------------------------------------------------

const OptionBinder<SensorNoiseOptions>& SensorNoiseStep::binder() {
  static const OptionBinder<SensorNoiseOptions> binder = [] {
    using O = SensorNoiseOptions;
    OptionBinder<O> b;
    b.bind("full_well", &O::full_well,
           "electrons at full scale (255): fewer means more shot noise; 0 disables shot noise")
        .at_least(0.0);
    b.bind("read", &O::read, "standard deviation of the Gaussian read noise, in pixel levels")
        .range(0.0, 255.0);
    return b;
  }();
  return binder;
}

OptionSchema SensorNoiseStep::schema() { return binder().schema(); }

SensorNoiseStep::SensorNoiseStep(const Config& config) : SensorNoiseStep(binder().read(config)) {}

SensorNoiseStep::SensorNoiseStep(SensorNoiseOptions options) : options_(options) {
  check_options("sensor_noise", binder().schema(options_));
}

bool SensorNoiseStep::lossless() const { return options_.full_well == 0.0 && options_.read == 0.0; }

torch::Tensor SensorNoiseStep::apply(const torch::Tensor& images, torch::Generator& generator) {
  check_images("sensor_noise", images);
  const int64_t n = images.size(0);
  const int64_t per_image = images.numel() / std::max<int64_t>(n, 1);
  const std::vector<uint64_t> seeds = image_seeds(n, generator);
  const torch::Tensor input = images.to(torch::kCPU).contiguous();
  torch::Tensor output = torch::empty_like(input);
  const uint8_t* in = input.data_ptr<uint8_t>();
  uint8_t* out = output.data_ptr<uint8_t>();

  const double full_well = options_.full_well, read = options_.read;
  const bool shot = full_well > 0;
  // A uint8 pixel has 256 possible means: each Poisson's set-up is done once, not per pixel.
  using Poisson = std::poisson_distribution<int64_t>;
  std::vector<Poisson::param_type> electrons(256);
  if (shot)
    for (int v = 1; v < 256; ++v) electrons[v] = Poisson::param_type(v / 255.0 * full_well);

  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::mt19937_64 engine(seeds[static_cast<size_t>(i)]);
      Poisson poisson;
      std::normal_distribution<double> normal(0.0, read > 0 ? read : 1.0);
      const uint8_t* x = in + i * per_image;
      uint8_t* y = out + i * per_image;
      for (int64_t k = 0; k < per_image; ++k) {
        const int v = x[k];
        double level = v;
        // A pixel at 0 collects no electrons: Poisson(0) is 0 (and std::poisson_distribution
        // needs a positive mean).
        if (shot && v > 0)
          level = static_cast<double>(poisson(engine, electrons[v])) / full_well * 255.0;
        if (read > 0) level += normal(engine);
        y[k] = static_cast<uint8_t>(std::nearbyint(std::min(255.0, std::max(0.0, level))));
      }
    }
  });
  return output.to(images.device());
}

}  // namespace gear::plugins::devices

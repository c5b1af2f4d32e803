#include "color_steps.h"

#include <torch/torch.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "step_support.h"

namespace gear::plugins::devices {
namespace {

// The luma weights as a [3] float tensor on `device`.
torch::Tensor luma_tensor(const torch::Device& device) {
  return torch::tensor({kLumaWeights[0], kLumaWeights[1], kLumaWeights[2]},
                       torch::TensorOptions().dtype(torch::kDouble))
      .to(device, torch::kFloat);
}

std::string positive_gains_error(const std::vector<double>& gains) {
  std::string error = list_size_error(gains.size(), 3);
  for (double g : gains)
    if (error.empty() && !(g > 0)) error = "gains must be positive";
  return error;
}

}  // namespace

// ---- white_balance ------------------------------------------------------------------------

const OptionBinder<WhiteBalanceOptions>& WhiteBalanceStep::binder() {
  static const OptionBinder<WhiteBalanceOptions> binder = [] {
    using O = WhiteBalanceOptions;
    OptionBinder<O> b;
    b.bind("gains", &O::gains, "gains of R, G and B, each in (0, 4]")
        .range(0.0, 4.0)
        .check(positive_gains_error);
    b.bind("jitter", &O::jitter,
           "each image's gains are multiplied by independent U(1 - jitter, 1 + jitter) factors")
        .range(0.0, 1.0)
        .check([](double j) { return j < 1.0 ? "" : "must be below 1 (gains stay positive)"; });
    return b;
  }();
  return binder;
}

OptionSchema WhiteBalanceStep::schema() { return binder().schema(); }

WhiteBalanceStep::WhiteBalanceStep(const Config& config)
    : WhiteBalanceStep(binder().read(config)) {}

WhiteBalanceStep::WhiteBalanceStep(WhiteBalanceOptions options) : options_(std::move(options)) {
  check_options("white_balance", binder().schema(options_));
  const std::string error = positive_gains_error(options_.gains);
  if (!error.empty()) throw std::invalid_argument("white_balance: " + error);
  if (options_.jitter >= 1.0) throw std::invalid_argument("white_balance: jitter must be below 1");
}

bool WhiteBalanceStep::lossless() const {
  return options_.jitter == 0 && options_.gains == std::vector<double>{1.0, 1.0, 1.0};
}

torch::Tensor WhiteBalanceStep::apply(const torch::Tensor& images, torch::Generator& generator) {
  check_images("white_balance", images);
  const int64_t n = images.size(0);
  torch::Tensor gains = torch::tensor(options_.gains, torch::TensorOptions().dtype(torch::kDouble))
                            .view({1, 3})
                            .repeat({n, 1});
  if (options_.jitter > 0) {
    const std::vector<uint64_t> seeds = image_seeds(n, generator);
    auto g = gains.accessor<double, 2>();
    for (int64_t i = 0; i < n; ++i) {
      std::mt19937_64 engine(seeds[static_cast<size_t>(i)]);
      for (int64_t c = 0; c < 3; ++c)
        g[i][c] *= uniform(engine, 1.0 - options_.jitter, 1.0 + options_.jitter);
    }
  }
  torch::Tensor g = gains.to(images.device(), torch::kFloat);
  if (images.size(1) == 1) g = g.matmul(luma_tensor(images.device())).view({n, 1});
  return to_uint8(images.to(torch::kFloat) * g.view({n, g.size(1), 1, 1}));
}

// ---- color_matrix -------------------------------------------------------------------------

const OptionBinder<ColorMatrixOptions>& ColorMatrixStep::binder() {
  static const OptionBinder<ColorMatrixOptions> binder = [] {
    using O = ColorMatrixOptions;
    OptionBinder<O> b;
    b.bind("matrix", &O::matrix,
           "3 x 3 colour matrix, row-major: out_r = m0 r + m1 g + m2 b, ... on values in "
           "[0, 255]")
        .range(-16.0, 16.0)
        .check([](const std::vector<double>& m) { return list_size_error(m.size(), 9); });
    return b;
  }();
  return binder;
}

OptionSchema ColorMatrixStep::schema() { return binder().schema(); }

ColorMatrixStep::ColorMatrixStep(const Config& config) : ColorMatrixStep(binder().read(config)) {}

ColorMatrixStep::ColorMatrixStep(ColorMatrixOptions options) : options_(std::move(options)) {
  check_options("color_matrix", binder().schema(options_));
  const std::string error = list_size_error(options_.matrix.size(), 9);
  if (!error.empty()) throw std::invalid_argument("color_matrix: matrix " + error);
}

bool ColorMatrixStep::lossless() const {
  return options_.matrix == ColorMatrixOptions{}.matrix;  // the identity
}

torch::Tensor ColorMatrixStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("color_matrix", images);
  const torch::Tensor m =
      torch::tensor(options_.matrix, torch::TensorOptions().dtype(torch::kDouble))
          .view({3, 3})
          .to(images.device(), torch::kFloat);
  const torch::Tensor x = images.to(torch::kFloat);
  if (images.size(1) == 1) {
    // A grey pixel v is the colour (v, v, v); M maps it to v * M 1, whose luma is the scale.
    const torch::Tensor scale = luma_tensor(images.device()).matmul(m.sum(1));
    return to_uint8(x * scale);
  }
  // [N, H, W, 3] x M^T: each pixel's colour vector times the matrix.
  return to_uint8(x.permute({0, 2, 3, 1}).matmul(m.t()).permute({0, 3, 1, 2}));
}

// ---- gamma --------------------------------------------------------------------------------

const OptionBinder<GammaOptions>& GammaStep::binder() {
  static const OptionBinder<GammaOptions> binder = [] {
    using O = GammaOptions;
    OptionBinder<O> b;
    b.bind("gamma", &O::gamma, "exponent: out = 255 (x / 255)^gamma; above 1 darkens")
        .range(0.2, 5.0);
    return b;
  }();
  return binder;
}

OptionSchema GammaStep::schema() { return binder().schema(); }

GammaStep::GammaStep(const Config& config) : GammaStep(binder().read(config)) {}

GammaStep::GammaStep(GammaOptions options) : options_(options) {
  check_options("gamma", binder().schema(options_));
}

bool GammaStep::lossless() const { return options_.gamma == 1.0; }

torch::Tensor GammaStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("gamma", images);
  const double gamma = options_.gamma;
  return apply_lut(images, make_lut([gamma](double x) { return std::pow(x, gamma); }));
}

// ---- tone_curve ---------------------------------------------------------------------------

const OptionBinder<ToneCurveOptions>& ToneCurveStep::binder() {
  static const OptionBinder<ToneCurveOptions> binder = [] {
    using O = ToneCurveOptions;
    OptionBinder<O> b;
    b.bind("strength", &O::strength,
           "blend toward the S-curve 3x^2 - 2x^3 (> 0, more mid-tone contrast) or its inverse "
           "(< 0, less); 0 is the identity")
        .range(-1.0, 1.0);
    return b;
  }();
  return binder;
}

OptionSchema ToneCurveStep::schema() { return binder().schema(); }

ToneCurveStep::ToneCurveStep(const Config& config) : ToneCurveStep(binder().read(config)) {}

ToneCurveStep::ToneCurveStep(ToneCurveOptions options) : options_(options) {
  check_options("tone_curve", binder().schema(options_));
}

double ToneCurveStep::curve(double x, double strength) {
  if (strength >= 0) return (1 - strength) * x + strength * x * x * (3 - 2 * x);
  // The inverse of 3t^2 - 2t^3 on [0, 1] (the cubic's trigonometric root in that interval).
  const double inverse = 0.5 - std::sin(std::asin(1 - 2 * x) / 3);
  return (1 + strength) * x - strength * inverse;
}

bool ToneCurveStep::lossless() const { return options_.strength == 0.0; }

torch::Tensor ToneCurveStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("tone_curve", images);
  const double s = options_.strength;
  return apply_lut(images, make_lut([s](double x) { return curve(x, s); }));
}

// ---- to_rgb, to_grey ----------------------------------------------------------------------

torch::Tensor ToRgbStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("to_rgb", images);
  return images.size(1) == 1 ? images.repeat({1, 3, 1, 1}) : images.clone();
}

torch::Tensor ToGreyStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("to_grey", images);
  if (images.size(1) == 1) return images.clone();
  const torch::Tensor w = luma_tensor(images.device()).view({1, 3, 1, 1});
  return to_uint8((images.to(torch::kFloat) * w).sum(1, /*keepdim=*/true));
}

}  // namespace gear::plugins::devices

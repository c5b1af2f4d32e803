#include "step_support.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <limits>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <variant>

namespace gear::plugins::devices {
namespace {

std::string describe_tensor(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.scalar_type() << " [";
  for (int64_t d = 0; d < t.dim(); ++d) out << (d ? ", " : "") << t.size(d);
  out << "]";
  return out.str();
}

std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// The bounds error for `v`, or "".
std::string bounds_error(const OptionSpec& spec, double v) {
  if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max)) {
    std::string bounds = spec.min && spec.max
                             ? "in [" + number_text(*spec.min) + ", " + number_text(*spec.max) + "]"
                         : spec.min ? "at least " + number_text(*spec.min)
                                    : "at most " + number_text(*spec.max);
    return spec.name + " must be " + bounds + ", got " + number_text(v);
  }
  return "";
}

std::string choice_error(const OptionSpec& spec, const std::string& v) {
  if (spec.choices.empty()) return "";
  for (const auto& c : spec.choices)
    if (c == v) return "";
  std::string list;
  for (const auto& c : spec.choices) list += (list.empty() ? "\"" : ", \"") + c + "\"";
  return spec.name + " must be one of " + list + ", got \"" + v + "\"";
}

}  // namespace

void check_images(const std::string& step, const torch::Tensor& images) {
  if (!images.defined()) throw std::invalid_argument(step + ": got an undefined tensor");
  const bool shape_ok = images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3) &&
                        images.size(2) >= 1 && images.size(3) >= 1;
  if (images.scalar_type() != torch::kUInt8 || !shape_ok)
    throw std::invalid_argument(step + ": expected uint8 images [N, C, H, W] with C = 1 or 3 " +
                                "and H, W >= 1, got " + describe_tensor(images));
}

void check_options(const std::string& step, const OptionSchema& schema) {
  for (const OptionSpec& spec : schema.options()) {
    if (!spec.default_value) continue;
    std::string error;
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
            error = bounds_error(spec, static_cast<double>(value));
          } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                               std::is_same_v<T, std::vector<double>>) {
            for (auto v : value)
              if (error.empty()) error = bounds_error(spec, static_cast<double>(v));
          } else if constexpr (std::is_same_v<T, std::string>) {
            error = choice_error(spec, value);
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            for (const auto& v : value)
              if (error.empty()) error = choice_error(spec, v);
          }
        },
        *spec.default_value);
    if (!error.empty()) throw std::invalid_argument(step + ": " + error);
  }
}

std::vector<uint64_t> image_seeds(int64_t n, torch::Generator& generator) {
  if (n == 0) return {};
  const torch::Tensor seeds =
      torch::randint(0, int64_t{1} << 62, {n}, generator,
                     torch::TensorOptions().dtype(torch::kLong).device(generator.device()))
          .cpu()
          .contiguous();
  const int64_t* p = seeds.data_ptr<int64_t>();
  return std::vector<uint64_t>(p, p + n);
}

torch::Tensor to_uint8(const torch::Tensor& values) {
  return values.clamp(0, 255).round().to(torch::kUInt8);
}

torch::Tensor apply_lut(const torch::Tensor& images, const std::array<uint8_t, 256>& lut) {
  const torch::Tensor table =
      torch::from_blob(const_cast<uint8_t*>(lut.data()), {256}, torch::kUInt8)
          .to(images.device(), /*non_blocking=*/false, /*copy=*/true);
  return table.index_select(0, images.reshape({-1}).to(torch::kLong)).view(images.sizes());
}

torch::Tensor clamped_indices(int64_t n, int64_t offset_begin, int64_t count,
                              const torch::Device& device) {
  return torch::arange(offset_begin, offset_begin + count,
                       torch::TensorOptions().dtype(torch::kLong).device(device))
      .clamp(0, n - 1);
}

torch::Tensor gaussian_blur(const torch::Tensor& images, double sigma) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t radius = static_cast<int64_t>(std::ceil(3.0 * sigma));
  const torch::Tensor k =
      torch::arange(-radius, radius + 1, torch::TensorOptions().dtype(torch::kDouble));
  torch::Tensor weights = torch::exp(-k * k / (2.0 * sigma * sigma));
  weights = (weights / weights.sum()).to(images.options());
  // Each channel on its own: [N * C, 1, H, W], rows then columns, each pass reading through
  // clamped indices so that the border replicates however small the image is.
  torch::Tensor x = images.reshape({n * c, 1, h, w});
  x = x.index_select(2, clamped_indices(h, -radius, h + 2 * radius, x.device()));
  x = torch::conv2d(x, weights.view({1, 1, 2 * radius + 1, 1}));
  x = x.index_select(3, clamped_indices(w, -radius, w + 2 * radius, x.device()));
  x = torch::conv2d(x, weights.view({1, 1, 1, 2 * radius + 1}));
  return x.view({n, c, h, w});
}

torch::Tensor map_interleaved(const std::string& step, const torch::Tensor& images,
                              const std::function<std::string(uint8_t*, int, int, int)>& codec) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  // The codecs take int dimensions; libjpeg and libwebp have far smaller limits of their own.
  if (h > std::numeric_limits<int>::max() / (3 * w))
    throw std::invalid_argument(step + ": images of " + std::to_string(h) + " x " +
                                std::to_string(w) + " are too large");
  // A copy in any case: the buffer is rewritten in place and must never alias the caller's images.
  torch::Tensor hwc =
      images.to(torch::kCPU).permute({0, 2, 3, 1}).clone(torch::MemoryFormat::Contiguous);
  uint8_t* data = hwc.data_ptr<uint8_t>();
  std::vector<std::string> failures(static_cast<size_t>(n));
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      failures[static_cast<size_t>(i)] = codec(data + i * h * w * c, static_cast<int>(h),
                                               static_cast<int>(w), static_cast<int>(c));
  });
  for (int64_t i = 0; i < n; ++i)
    if (!failures[static_cast<size_t>(i)].empty())
      throw std::runtime_error(step + ": image " + std::to_string(i) + ": " +
                               failures[static_cast<size_t>(i)]);
  return hwc.permute({0, 3, 1, 2}).contiguous().to(images.device());
}

std::string list_size_error(size_t actual, size_t size) {
  return actual == size
             ? ""
             : "must hold " + std::to_string(size) + " values, got " + std::to_string(actual);
}

}  // namespace gear::plugins::devices

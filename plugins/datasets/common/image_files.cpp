#include "image_files.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <mutex>

#include "file_bytes.h"
#include "image_decode.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

// A 64x64 JPEG decodes in about 0.1 ms; smaller chunks would cost more to schedule.
constexpr int64_t kDecodeGrain = 8;
constexpr int64_t kStatisticsGrain = 64;

}  // namespace

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string size_text(const torch::Tensor& image) {
  return std::to_string(image.size(-1)) + "x" + std::to_string(image.size(-2));
}

torch::Tensor convert_channels(const torch::Tensor& image, int64_t channels) {
  const int64_t height = image.size(1), width = image.size(2);
  if (image.size(0) == channels) return image;
  if (channels == 3) return image.expand({3, height, width}).contiguous();
  const torch::Tensor rgb = image.contiguous();
  torch::Tensor grey = torch::empty({1, height, width}, torch::kUInt8);
  const int64_t plane = height * width;
  const uint8_t* r = rgb.data_ptr<uint8_t>();
  const uint8_t* g = r + plane;
  const uint8_t* b = g + plane;
  uint8_t* out = grey.data_ptr<uint8_t>();
  for (int64_t i = 0; i < plane; ++i)
    out[i] = static_cast<uint8_t>(
        (uint32_t{r[i]} * 19595 + uint32_t{g[i]} * 38470 + uint32_t{b[i]} * 7471 + 0x8000) >> 16);
  return grey;
}

torch::Tensor fit_image(const torch::Tensor& image, int64_t height, int64_t width, Fit fit) {
  namespace F = torch::nn::functional;
  const int64_t h = image.size(1), w = image.size(2);
  if (fit == Fit::kExact || (h == height && w == width)) return image;
  int64_t new_h = height, new_w = width;
  if (fit == Fit::kCrop) {
    if (height * w >= width * h) {  // height / h >= width / w: the height binds
      new_w = std::max(width, w * height / h);
    } else {
      new_h = std::max(height, h * width / w);
    }
  }
  torch::Tensor resized = F::interpolate(image.unsqueeze(0).to(torch::kFloat),
                                         F::InterpolateFuncOptions()
                                             .size(std::vector<int64_t>{new_h, new_w})
                                             .mode(torch::kBilinear)
                                             .align_corners(false)
                                             .antialias(true))
                              .squeeze(0);
  // torchvision's CenterCrop: int(round((size - target) / 2)), Python rounding half to even.
  const auto top = static_cast<int64_t>(std::nearbyint((new_h - height) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint((new_w - width) / 2.0));
  return resized.narrow(1, top, height)
      .narrow(2, left, width)
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8)
      .contiguous();
}

DecodedFiles decode_files(const LabelledFiles& list, const DecodeTarget& target) {
  const auto n = static_cast<int64_t>(list.files.size());
  const int64_t image_bytes = target.channels * target.height * target.width;
  DecodedFiles out;
  out.split.images = torch::empty({n, target.channels, target.height, target.width}, torch::kUInt8);
  out.split.labels = torch::tensor(list.labels, torch::kLong);
  uint8_t* const images = out.split.images.data_ptr<uint8_t>();
  // Exceptions must not leave a parallel region: each file's failure is kept, and the first in
  // list order is thrown afterwards.
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<uint8_t> colour(static_cast<size_t>(n), 0);
  at::parallel_for(0, n, kDecodeGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const fs::path& file = list.files[static_cast<size_t>(i)];
      try {
        torch::Tensor image = image_io::decode_image(image_io::read_bytes(file), file.string());
        colour[static_cast<size_t>(i)] = image.size(0) == 3;
        image = convert_channels(image, target.channels);
        if (image.size(1) != target.height || image.size(2) != target.width) {
          if (target.fit == Fit::kExact)
            throw DataError(
                file.string() + ": " + size_text(image) + " pixels (width x height), " +
                "expected " + std::to_string(target.width) + "x" + std::to_string(target.height) +
                (target.reference.empty() ? "" : " like " + target.reference) + target.advice);
          image = fit_image(image, target.height, target.width, target.fit);
        }
        std::memcpy(images + i * image_bytes, image.data_ptr<uint8_t>(),
                    static_cast<size_t>(image_bytes));
      } catch (const DataError& e) {
        errors[static_cast<size_t>(i)] = e.what();
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = file.string() + ": " + e.what();
      }
    }
  });
  for (const std::string& error : errors)
    if (!error.empty()) throw DataError(error);
  out.any_colour = std::find(colour.begin(), colour.end(), 1) != colour.end();
  return out;
}

std::pair<std::vector<double>, std::vector<double>> channel_statistics(
    const torch::Tensor& images) {
  const torch::Tensor x = images.contiguous();
  const int64_t n = x.size(0), channels = x.size(1), plane = x.size(2) * x.size(3);
  const uint8_t* data = x.data_ptr<uint8_t>();
  std::vector<uint64_t> counts(static_cast<size_t>(channels) * 256, 0);
  std::mutex counts_mutex;
  at::parallel_for(0, n, kStatisticsGrain, [&](int64_t begin, int64_t end) {
    std::vector<uint64_t> local(counts.size(), 0);
    for (int64_t i = begin; i < end; ++i)
      for (int64_t c = 0; c < channels; ++c) {
        const uint8_t* p = data + (i * channels + c) * plane;
        uint64_t* histogram = local.data() + c * 256;
        for (int64_t k = 0; k < plane; ++k) ++histogram[p[k]];
      }
    std::lock_guard<std::mutex> lock(counts_mutex);
    for (size_t k = 0; k < counts.size(); ++k) counts[k] += local[k];
  });
  std::vector<double> mean, std;
  const double total = static_cast<double>(n * plane);
  for (int64_t c = 0; c < channels; ++c) {
    const uint64_t* histogram = counts.data() + c * 256;
    double sum = 0;
    for (int v = 0; v < 256; ++v) sum += static_cast<double>(histogram[v]) * v;
    const double m = total > 0 ? sum / total : 0.0;
    double squares = 0;  // Two passes over the bins: no cancellation.
    for (int v = 0; v < 256; ++v) squares += static_cast<double>(histogram[v]) * (v - m) * (v - m);
    mean.push_back(m / 255.0);
    std.push_back(total > 0 ? std::sqrt(squares / total) / 255.0 : 0.0);
  }
  return {mean, std};
}

}  // namespace gear::plugins::datasets

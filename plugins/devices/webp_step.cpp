// webp: libwebp's simple encode and decode API, one image per task.
#include <torch/torch.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec_steps.h"
#include "step_support.h"

namespace gear::plugins::devices {
namespace {

// Encodes and decodes the interleaved RGB image at `rgb` in place. Returns an error message, or
// "" on success.
std::string round_trip_webp_rgb(uint8_t* rgb, int h, int w, bool lossless, float quality) {
  const int stride = 3 * w;
  uint8_t* encoded = nullptr;
  const size_t size = lossless ? WebPEncodeLosslessRGB(rgb, w, h, stride, &encoded)
                               : WebPEncodeRGB(rgb, w, h, stride, quality, &encoded);
  if (size == 0) {
    WebPFree(encoded);
    return "libwebp could not encode the image";
  }
  int decoded_w = 0, decoded_h = 0;
  const bool same_shape =
      WebPGetInfo(encoded, size, &decoded_w, &decoded_h) != 0 && decoded_w == w && decoded_h == h;
  const uint8_t* decoded =
      same_shape ? WebPDecodeRGBInto(encoded, size, rgb, static_cast<size_t>(stride) * h, stride)
                 : nullptr;
  WebPFree(encoded);
  return decoded == nullptr ? "libwebp could not decode its own stream" : "";
}

std::string round_trip_webp(uint8_t* pixels, int h, int w, int channels, bool lossless,
                            float quality) {
  if (channels == 3) return round_trip_webp_rgb(pixels, h, w, lossless, quality);
  // WebP has no grey format: code R = G = B and take the luma back, which returns each value
  // exactly when lossless (the channels come back equal) and otherwise folds whatever colour the
  // lossy coder introduced into the grey level the same way to_grey would.
  const size_t count = static_cast<size_t>(h) * w;
  std::vector<uint8_t> rgb(3 * count);
  for (size_t i = 0; i < count; ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pixels[i];
  std::string error = round_trip_webp_rgb(rgb.data(), h, w, lossless, quality);
  if (!error.empty()) return error;
  for (size_t i = 0; i < count; ++i) {
    const double luma = kLumaWeights[0] * rgb[3 * i] + kLumaWeights[1] * rgb[3 * i + 1] +
                        kLumaWeights[2] * rgb[3 * i + 2];
    pixels[i] = static_cast<uint8_t>(std::nearbyint(std::min(255.0, luma)));
  }
  return "";
}

}  // namespace

const OptionBinder<WebpOptions>& WebpStep::binder() {
  static const OptionBinder<WebpOptions> binder = [] {
    using O = WebpOptions;
    OptionBinder<O> b;
    b.bind("quality", &O::quality, "lossy quality factor of WebPEncodeRGB (ignored when lossless)")
        .range(1, 100);
    b.bind("lossless", &O::lossless,
           "encode with WebPEncodeLosslessRGB: the output equals the "
           "input");
    return b;
  }();
  return binder;
}

OptionSchema WebpStep::schema() { return binder().schema(); }

WebpStep::WebpStep(const Config& config) : WebpStep(binder().read(config)) {}

WebpStep::WebpStep(WebpOptions options) : options_(std::move(options)) {
  check_options("webp", binder().schema(options_));
}

bool WebpStep::lossless() const { return options_.lossless; }

torch::Tensor WebpStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("webp", images);
  if (images.size(2) > WEBP_MAX_DIMENSION || images.size(3) > WEBP_MAX_DIMENSION)
    throw std::invalid_argument("webp: images are limited to " +
                                std::to_string(WEBP_MAX_DIMENSION) + " pixels a side");
  const bool lossless = options_.lossless;
  const float quality = static_cast<float>(options_.quality);
  return map_interleaved("webp", images, [=](uint8_t* pixels, int h, int w, int c) {
    return round_trip_webp(pixels, h, w, c, lossless, quality);
  });
}

}  // namespace gear::plugins::devices

#pragma once

/// @file
/// Codec steps: each image encoded and decoded again in memory by the real library (libjpeg,
/// libwebp, libpng), on the CPU, one image per task of at::parallel_for.

#include <gear/config.h>
#include <gear/device_profile.h>
#include <gear/options.h>

#include <cstdint>
#include <string>

namespace gear::plugins::devices {

struct JpegOptions {
  int64_t quality = 85;
  std::string subsampling = "420";
  std::string dct = "islow";
  bool fancy_upsampling = true;
};

/// `jpeg`: a libjpeg(-turbo) baseline encode at `quality` with the chroma `subsampling` (colour
/// only), then a decode; the DCT method applies to both the encoder and the decoder, fancy
/// upsampling to the decoder's chroma upsampling.
class JpegStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit JpegStep(const Config& config);
  explicit JpegStep(JpegOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;

 private:
  static const OptionBinder<JpegOptions>& binder();
  JpegOptions options_;
};

struct WebpOptions {
  int64_t quality = 80;
  bool lossless = false;
};

/// `webp`: libwebp's simple API, WebPEncodeRGB at `quality` (or WebPEncodeLosslessRGB), then
/// WebPDecodeRGBInto. Grey images are encoded as R = G = B and read back as the luma of the
/// decoded RGB (exact when lossless, since the three channels come back equal).
class WebpStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit WebpStep(const Config& config);
  explicit WebpStep(WebpOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<WebpOptions>& binder();
  WebpOptions options_;
};

struct PngOptions {
  int64_t compression = 6;
};

/// `png`: libpng encode at zlib level `compression`, then decode: lossless, so the output equals
/// the input; it costs time, not pixels (a control, and a check of the pipeline's plumbing).
/// lossless() is true, as it is for `webp` with lossless = true and, in the other files, for
/// every step whose options make it the identity (gamma 1, strength 0, unit gains, ...).
class PngStep final : public DeviceStep {
 public:
  static OptionSchema schema();
  explicit PngStep(const Config& config);
  explicit PngStep(PngOptions options);
  torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) override;
  bool lossless() const override;

 private:
  static const OptionBinder<PngOptions>& binder();
  PngOptions options_;
};

}  // namespace gear::plugins::devices

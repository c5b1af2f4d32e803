#include "image_decode.h"

#include <gear/dataset.h>

#include <algorithm>
#include <cstdio>

#include "jpeg_decode.h"
#include "png_decode.h"

namespace gear::plugins {
namespace image_io {
namespace {

constexpr uint8_t kJpegMagic[] = {0xFF, 0xD8, 0xFF};
constexpr uint8_t kPngMagic[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

template <size_t N>
bool starts_with(const uint8_t* data, size_t size, const uint8_t (&magic)[N]) {
  return size >= N && std::equal(magic, magic + N, data);
}

// "ff d8 00 12": the first bytes, for a message about an unknown format.
std::string first_bytes(const std::vector<uint8_t>& bytes) {
  std::string out;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 4); ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    out += (out.empty() ? "" : " ") + std::string(hex);
  }
  return out;
}

}  // namespace

ImageFormat sniff_format(const uint8_t* data, size_t size) {
  if (starts_with(data, size, kJpegMagic)) return ImageFormat::kJpeg;
  if (starts_with(data, size, kPngMagic)) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

torch::Tensor decode_image(const std::vector<uint8_t>& bytes, const std::string& name_for_errors) {
  switch (sniff_format(bytes.data(), bytes.size())) {
    case ImageFormat::kJpeg:
      return decode_jpeg_native(bytes, name_for_errors);
    case ImageFormat::kPng:
      return decode_png(bytes, name_for_errors);
    case ImageFormat::kUnknown:
      break;
  }
  if (bytes.empty()) throw DataError(name_for_errors + ": not a JPEG or PNG image (empty file)");
  throw DataError(name_for_errors + ": not a JPEG or PNG image (it starts with " +
                  first_bytes(bytes) + ")");
}

}  // namespace image_io
}  // namespace gear::plugins

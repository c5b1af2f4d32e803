#include "image_writers.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace gear::test {
namespace {

void append(png_structp png, png_bytep data, png_size_t size) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + size);
}

void flush(png_structp) {}

[[noreturn]] void fail(png_structp, png_const_charp message) {
  throw std::runtime_error(std::string("libpng: ") + message);
}

int samples_per_pixel(int colour_type) {
  switch (colour_type) {
    case PNG_COLOR_TYPE_GRAY:
    case PNG_COLOR_TYPE_PALETTE:
      return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return 2;
    case PNG_COLOR_TYPE_RGB:
      return 3;
    default:
      return 4;
  }
}

}  // namespace

std::vector<uint8_t> encode_png(int width, int height, const std::vector<uint8_t>& samples,
                                const PngSpec& spec, const std::vector<uint16_t>& wide) {
  const int per_pixel = samples_per_pixel(spec.colour_type);
  const size_t count = static_cast<size_t>(width) * height * per_pixel;
  if ((spec.bit_depth == 16 ? wide.size() : samples.size()) != count)
    throw std::invalid_argument("encode_png: wrong sample count");
  // Packed rows: sub-byte depths put the first sample in the high bits; 16 bits big-endian.
  const size_t row_bits = static_cast<size_t>(width) * per_pixel * spec.bit_depth;
  std::vector<std::vector<uint8_t>> rows(height, std::vector<uint8_t>((row_bits + 7) / 8, 0));
  for (int y = 0; y < height; ++y)
    for (size_t i = 0; i < static_cast<size_t>(width) * per_pixel; ++i) {
      const size_t k = y * static_cast<size_t>(width) * per_pixel + i;
      if (spec.bit_depth == 16) {
        rows[y][2 * i] = static_cast<uint8_t>(wide[k] >> 8);
        rows[y][2 * i + 1] = static_cast<uint8_t>(wide[k]);
      } else {
        const size_t bit = i * spec.bit_depth;
        rows[y][bit / 8] |= static_cast<uint8_t>(samples[k] << (8 - spec.bit_depth - bit % 8));
      }
    }
  std::vector<png_bytep> pointers;
  for (auto& row : rows) pointers.push_back(row.data());

  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, &fail, nullptr);
  png_infop info = png_create_info_struct(png);
  try {
    png_set_write_fn(png, &out, &append, &flush);
    png_set_IHDR(png, info, width, height, spec.bit_depth, spec.colour_type,
                 spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (spec.colour_type == PNG_COLOR_TYPE_PALETTE) {
      std::vector<png_color> palette;
      for (size_t i = 0; i + 2 < spec.palette.size(); i += 3)
        palette.push_back({spec.palette[i], spec.palette[i + 1], spec.palette[i + 2]});
      png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
      if (!spec.palette_alpha.empty())
        png_set_tRNS(png, info, spec.palette_alpha.data(),
                     static_cast<int>(spec.palette_alpha.size()), nullptr);
    }
    png_set_compression_level(png, spec.compression);
    if (spec.compression == 0) png_set_filter(png, 0, PNG_FILTER_NONE);
    png_write_info(png, info);
    png_write_image(png, pointers.data());
    png_write_end(png, nullptr);
  } catch (...) {
    png_destroy_write_struct(&png, &info);
    throw;
  }
  png_destroy_write_struct(&png, &info);
  return out;
}

void write_png(const std::filesystem::path& file, const torch::Tensor& image, int compression) {
  const torch::Tensor hwc = image.permute({1, 2, 0}).contiguous();
  const uint8_t* data = hwc.data_ptr<uint8_t>();
  PngSpec spec;
  spec.colour_type = image.size(0) == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
  spec.compression = compression;
  const std::vector<uint8_t> bytes =
      encode_png(static_cast<int>(image.size(2)), static_cast<int>(image.size(1)),
                 std::vector<uint8_t>(data, data + hwc.numel()), spec);
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

torch::Tensor pattern_image(int64_t channels, int64_t height, int64_t width, int seed) {
  const torch::Tensor index = torch::arange(channels * height * width, torch::kLong);
  return ((index * 37 + seed * 101 + (index / width) * 11) % 256)
      .to(torch::kUInt8)
      .view({channels, height, width});
}

std::string data_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no error)";
}

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

}  // namespace gear::test

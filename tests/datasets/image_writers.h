#pragma once

/// @file
/// PNG files for the dataset tests, written with libpng's own encoder, and small helpers shared
/// by the dataset test files.

#include <gear/dataset.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace gear::test {

/// How encode_png stores the samples.
struct PngSpec {
  /// PNG_COLOR_TYPE_GRAY (0), RGB (2), PALETTE (3), GRAY_ALPHA (4) or RGB_ALPHA (6).
  int colour_type = 2;
  /// 1, 2, 4, 8 or 16.
  int bit_depth = 8;
  bool interlaced = false;
  /// 0 stores the data uncompressed (no filtering either), so the file's size depends only on
  /// the image's dimensions, not on its pixels.
  int compression = 6;
  /// PALETTE: RGB triples; `samples` then holds indices.
  std::vector<uint8_t> palette;
  /// tRNS chunk: one alpha per palette entry (PALETTE), else unused.
  std::vector<uint8_t> palette_alpha;
};

/// A PNG of `samples`, interleaved, one value per sample (16-bit samples as uint16 values in
/// `wide`, which then replaces `samples`).
std::vector<uint8_t> encode_png(int width, int height, const std::vector<uint8_t>& samples,
                                const PngSpec& spec = {}, const std::vector<uint16_t>& wide = {});

/// Writes `image` (uint8 [C, H, W], C = 1 or 3) to `file` as an 8-bit grey or RGB PNG, creating
/// the parent folders.
void write_png(const std::filesystem::path& file, const torch::Tensor& image, int compression = 6);

/// A deterministic uint8 [C, H, W] image whose pixels differ with `seed`.
torch::Tensor pattern_image(int64_t channels, int64_t height, int64_t width, int seed);

/// The DataError message `fn` throws, or "(no error)".
std::string data_error(const std::function<void()>& fn);

/// Whether `text` contains `part`, printing both when not (for EXPECT_TRUE).
::testing::AssertionResult contains(const std::string& text, const std::string& part);

}  // namespace gear::test

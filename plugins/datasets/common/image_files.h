#pragma once

/// @file
/// Datasets stored as one image file per sample (Tiny ImageNet, image folders): parallel JPEG
/// decoding into one uint8 tensor, and an on-disk cache of the decoded tensors so that only the
/// first run decodes.

#include <gear/dataset.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gear {

/// The files of one split and their labels (parallel).
struct LabelledFiles {
  std::vector<std::filesystem::path> files;
  std::vector<int64_t> labels;
};

/// Decodes every file of `list` (JPEG; greyscale ones come back as RGB) into uint8
/// [N, 3, height, width], in parallel. With `resize`, each image is resized (shorter side, then a
/// centre crop) to height x width; without, an image of another size is a DataError naming it.
DataSplit decode_files(const LabelledFiles& list, int64_t height, int64_t width, bool resize);

/// The size (height, width) of the JPEG `file`. Throws DataError naming it.
std::pair<int64_t, int64_t> image_size(const std::filesystem::path& file);

/// A cache of decoded splits: one file per distinct input, named by a hash of every file's path,
/// size and modification time and of `settings` (whatever else changes the decoded result).
class DecodedCache {
 public:
  /// `dir` empty: the default, $XDG_CACHE_HOME/gear/decoded or ~/.cache/gear/decoded.
  DecodedCache(std::filesystem::path dir, const std::vector<LabelledFiles>& splits,
               const std::string& settings);
  /// The cached splits, or nothing when absent, unreadable, truncated or of another version.
  std::optional<std::vector<DataSplit>> read() const;
  /// Writes `splits` atomically (temporary file, then rename). A cache that cannot be written is
  /// skipped: it only costs the next run a decode.
  void write(const std::vector<DataSplit>& splits) const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

/// Lower-case copy of `text` (file extensions).
std::string lower_case(std::string text);

}  // namespace gear

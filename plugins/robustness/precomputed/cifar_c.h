#pragma once

/// @file
/// Reader for the released CIFAR-10-C and CIFAR-100-C sets (Hendrycks & Dietterich 2019) and
/// sets laid out like them: a folder of `<corruption>.npy` image files plus `labels.npy`.

#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "corrupted_set.h"

namespace gear::plugins {
namespace robustness {

/// The severities of every released corruption benchmark, 1 (mild) to 5 (severe).
constexpr int kMinSeverity = 1;
constexpr int kMaxSeverity = 5;

/// Reads one CIFAR-C style folder. An image file holds uint8 [rows, H, W, C] or [rows, H, W]
/// (grey) in severity-major order: severity s is the block of rows/5 rows starting at
/// (s - 1) * rows/5. `labels.npy` holds one integer label per row.
///
/// The reader keeps the most recently read image file in memory (about 150 MB for CIFAR), so
/// asking for the five severities of one corruption in turn parses the file once; iterate
/// corruption-major to benefit. Nothing is cached beyond the reader's lifetime. Not
/// thread-safe: use one reader per thread.
class CifarCReader {
 public:
  /// Checks that `root` is a folder and reads its labels.npy. Throws DataError for a missing
  /// folder, a missing or unreadable labels file, or labels that are not 1-D integers.
  explicit CifarCReader(std::filesystem::path root);

  /// The corruptions present: names of the .npy files other than labels.npy, sorted.
  std::vector<std::string> corruptions() const;

  /// Images of `corruption` at `severity`, as uint8 [N, C, H, W], and their int64 labels.
  /// Throws DataError for a severity outside 1..5 (a user's pipeline names it), a missing file
  /// (naming the corruptions present), images that are not uint8 [rows, H, W(, C)], a row
  /// count not divisible by 5, or a labels count that differs from the row count.
  CorruptedSet read(const std::string& corruption, int severity);

  /// Frees the image file kept from the last read().
  void release();

 private:
  /// Makes `corruption`'s images the kept file, reading it unless it already is.
  void load(const std::string& corruption);

  std::filesystem::path root_;
  /// int64 [rows], shared by every corruption.
  torch::Tensor labels_;
  std::string loaded_name_;
  /// uint8 [rows, H, W, C] as stored in the file.
  torch::Tensor loaded_images_;
};

/// One-shot convenience: CifarCReader(root).read(corruption, severity).
CorruptedSet read_cifar_c(const std::filesystem::path& root, const std::string& corruption,
                          int severity);

}  // namespace robustness
}  // namespace gear::plugins

#pragma once

/// @file
/// A generic image folder: root/<class>/<image>.jpg, or root/train/<class>/... beside
/// root/test/<class>/... (or val/). Decoded once into uint8 tensors and cached on disk;
/// normalisation statistics computed from the training images.

#include <gear/config.h>
#include <gear/dataset.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gear {

class ImageFolder : public Dataset {
 public:
  explicit ImageFolder(const Config& options);
  /// `path`, `size`, `test_fraction`, `split_seed`, `cache`, `cache_dir`.
  static OptionSchema schema();

  DatasetInfo info() override;
  DataSplit load(SplitKind split) override;

 private:
  /// Lists, decodes (or reads the cache) and computes the statistics, once.
  void prepare();

  std::string path_;
  std::vector<int64_t> size_;
  double test_fraction_;
  int64_t split_seed_;
  bool cache_;
  std::string cache_dir_;
  std::optional<DatasetInfo> info_;
  DataSplit train_, test_;
};

}  // namespace gear

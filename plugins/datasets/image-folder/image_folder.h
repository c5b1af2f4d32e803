#pragma once

/// @file
/// A generic image folder: root/<class>/<image>, or root/train/<class>/<image> beside
/// root/test/<class>/... (or val/). JPEG and PNG images, recognised by content. Decoded once
/// into uint8 tensors (optionally resized and converted to 1 or 3 channels), kept in the on-disk
/// decoded-tensor cache; normalisation statistics computed from the training images.

#include <gear/config.h>
#include <gear/dataset.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image_files.h"

namespace gear::plugins::datasets {

class ImageFolder : public Dataset {
 public:
  explicit ImageFolder(const Config& options);
  /// `path`, `size`, `fit`, `channels`, `test_fraction`, `split_seed`, `cache`, `cache_dir`.
  static OptionSchema schema();

  /// Lists and decodes both splits (or reads them from the cache) on the first call.
  DatasetInfo info() override;
  DataSplit load(SplitKind split) override;

 private:
  /// Lists, decodes (or reads the cache) and computes the statistics, once.
  void prepare();
  /// The class names and both splits' files, by the folder layout.
  std::vector<std::string> list(LabelledFiles& train, LabelledFiles& test) const;

  std::string path_;
  std::vector<int64_t> size_;
  Fit fit_;
  int64_t channels_;
  double test_fraction_;
  int64_t split_seed_;
  bool cache_;
  std::string cache_dir_;
  std::optional<DatasetInfo> info_;
  DataSplit train_, test_;
};

}  // namespace gear::plugins::datasets

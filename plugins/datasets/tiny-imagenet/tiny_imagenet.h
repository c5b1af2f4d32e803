#pragma once

/// @file
/// Tiny ImageNet (tiny-imagenet-200): 200 WordNet classes of 64x64 JPEGs; the labelled `val`
/// split is the test split. A class's label is the position of its wnid in the sorted wnids.txt
/// list: the ImageFolder convention, which the Tiny-ImageNet-C reader of the corruptions
/// evaluator uses too (it numbers the sorted wnid folders).

#include <gear/config.h>
#include <gear/dataset.h>

#include <string>
#include <vector>

#include "image_files.h"

namespace gear::plugins::datasets {

class TinyImageNet : public Dataset {
 public:
  static constexpr int64_t kSide = 64;

  explicit TinyImageNet(const Config& options);
  /// `path`, `cache`, `cache_dir`.
  static OptionSchema schema();

  DatasetInfo info() override;
  /// Decodes the split in parallel (or reads it from the decoded-tensor cache).
  DataSplit load(SplitKind split) override;

 private:
  /// The sorted wnids of wnids.txt; throws DataError when the folder or the file is missing,
  /// empty or lists a wnid twice.
  std::vector<std::string> wnids() const;
  /// The split's files and labels: train/<wnid>/images/*.JPEG, or val/images/ as
  /// val/val_annotations.txt labels them (throws DataError naming the file and line).
  LabelledFiles list(SplitKind split, const std::vector<std::string>& wnids) const;

  std::string path_;
  bool cache_;
  std::string cache_dir_;
};

}  // namespace gear::plugins::datasets

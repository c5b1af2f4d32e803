#pragma once

/// @file
/// Tiny ImageNet (tiny-imagenet-200): 200 WordNet classes of 64x64 JPEGs; the labelled `val`
/// split is the test split. Labels are the positions of the wnids in sorted order, the
/// convention of the Tiny-ImageNet-C reader.

#include <gear/config.h>
#include <gear/dataset.h>

#include <string>
#include <vector>

#include "image_files.h"

namespace gear {

class TinyImageNet : public Dataset {
 public:
  explicit TinyImageNet(const Config& options);
  /// `path`, `cache`, `cache_dir`.
  static OptionSchema schema();

  DatasetInfo info() override;
  DataSplit load(SplitKind split) override;

 private:
  /// The sorted wnids of wnids.txt; throws DataError when the folder or the file is missing.
  std::vector<std::string> wnids() const;
  LabelledFiles list(SplitKind split, const std::vector<std::string>& wnids) const;

  std::string path_;
  bool cache_;
  std::string cache_dir_;
};

}  // namespace gear

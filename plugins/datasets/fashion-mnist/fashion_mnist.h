#pragma once

/// @file
/// The Fashion-MNIST dataset plugin (Xiao et al. 2017), read from its four IDX files.

#include <gear/config.h>
#include <gear/dataset.h>

#include <string>

namespace gear::plugins::datasets {

class FashionMnist : public Dataset {
 public:
  /// Where Debian's dataset-fashion-mnist package installs the files.
  static constexpr const char* kDefaultPath = "/usr/share/datasets/fashion-mnist";

  explicit FashionMnist(const Config& options);
  /// `path`: the folder holding the IDX files.
  static OptionSchema schema();

  DatasetInfo info() override;
  DataSplit load(SplitKind split) override;

 private:
  /// The existing file for `stem` (uncompressed preferred, else "<stem>.gz"); throws DataError.
  std::string find_file(const std::string& stem) const;

  std::string path_;
};

}  // namespace gear::plugins::datasets

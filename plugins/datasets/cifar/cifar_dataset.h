#pragma once

/// @file
/// CIFAR-10 and CIFAR-100 from their binary versions (cifar-10-binary.tar.gz,
/// cifar-100-binary.tar.gz): fixed-size records of label byte(s) and 3072 CHW pixel bytes.

#include <gear/config.h>
#include <gear/dataset.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gear::plugins::datasets {

/// Where a record's fields are: CIFAR-10 records are <label><pixels>, CIFAR-100 records are
/// <coarse label><fine label><pixels>.
struct CifarRecordFormat {
  /// The label bytes before the pixels, in record order: a name for messages and the number of
  /// classes each counts.
  std::vector<std::pair<std::string, int64_t>> labels = {{"label", 10}};
  /// Which of them is the label to use.
  size_t label_index = 0;
};

/// Reads the records of `files` (in order) into one split: the output is allocated once and each
/// record's pixels copied straight into place. Throws DataError naming the file for a missing
/// file, a size that is not a whole number of records, or a label byte out of range (naming the
/// record and the value).
DataSplit read_cifar_files(const std::vector<std::string>& files, const CifarRecordFormat& format);

/// The shared reader behind `cifar10` and `cifar100`.
class CifarDataset : public Dataset {
 public:
  DatasetInfo info() override;
  DataSplit load(SplitKind split) override;
  std::vector<ClassGroup> class_groups() override;

 protected:
  /// `fine` selects CIFAR-100's fine labels (ignored for CIFAR-10).
  CifarDataset(std::string name, std::string path, bool cifar100, bool fine);

 private:
  std::vector<std::string> files(SplitKind split) const;
  /// Class names from the meta file beside the data when there is one, else the standard ones;
  /// `coarse` chooses CIFAR-100's superclass names.
  std::vector<std::string> class_names(bool coarse) const;

  std::string name_, path_;
  bool cifar100_, fine_;
};

/// `cifar10`: option `path`.
class Cifar10 : public CifarDataset {
 public:
  explicit Cifar10(const Config& options);
  static OptionSchema schema();
};

/// `cifar100`: options `path` and `label` ("fine" or "coarse").
class Cifar100 : public CifarDataset {
 public:
  explicit Cifar100(const Config& options);
  static OptionSchema schema();
};

}  // namespace gear::plugins::datasets

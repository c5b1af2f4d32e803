#pragma once

/// @file
/// Dataset plugins decode a dataset once into uint8 tensors.

#include <torch/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gear/component_kind.h"
#include "gear/export.h"

namespace gear {

/// A data file is missing, truncated or malformed. The message names the file and the problem;
/// the host reports it as bad input (exit code 2).
class GEAR_EXPORT DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~DataError() override;
};

/// Static facts about a dataset.
struct DatasetInfo {
  int64_t num_classes = 0;
  /// One sample's shape [C, H, W].
  std::vector<int64_t> image_shape;
  std::vector<std::string> class_names;
  /// Per-channel normalisation statistics of the training images, in [0, 1] pixel units.
  std::vector<double> mean, std;
};

/// Which part of the dataset to load.
enum class SplitKind { kTrain, kTest };

/// Decoded images and labels, owned by the caller.
struct DataSplit {
  /// uint8 [N, C, H, W], contiguous, on the CPU.
  torch::Tensor images;
  /// int64 [N], values in [0, num_classes).
  torch::Tensor labels;
};

/// A named set of classes (CIFAR-100's superclasses), so a pipeline can ask for
/// `classes = ["vehicles_1"]` instead of listing every member class.
struct ClassGroup {
  std::string name;
  /// Member class names, as in DatasetInfo::class_names.
  std::vector<std::string> classes;
};

/// A dataset. The host calls info() first, then load() once per split, and keeps the tensors.
/// Class subsets (`data.classes`) are applied by the host to every dataset, after load().
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Facts about the dataset; may read file headers. Throws DataError on unreadable files.
  virtual DatasetInfo info() = 0;
  /// Decodes a whole split. Throws DataError naming the file on any problem.
  virtual DataSplit load(SplitKind split) = 0;
  /// Named groups of classes that `data.classes` may use besides class names; none by default.
  /// Called after info().
  virtual std::vector<ClassGroup> class_groups() { return {}; }
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::Dataset, "dataset", "decodes a dataset: [data] plugin = \"...\"");

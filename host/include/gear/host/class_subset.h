#pragma once

/// @file
/// `data.classes`: training and testing on a subset of a dataset's classes, for any dataset.

#include <cstdint>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/dataset.h"

namespace gear::host {

/// The classes a run keeps, in their new label order.
struct ClassSubset {
  /// Original label of each new label 0..k-1.
  std::vector<int64_t> original;
  /// Name of each new label.
  std::vector<std::string> names;
};

/// Resolves the entries of `requested`, each a class name of `info` (or its decimal label when
/// the dataset names no classes) or the name of one of `groups`, which stands for its members in
/// their order. Throws ConfigError at `data`'s `classes` key for an unknown name (with a
/// did-you-mean) or a class listed twice.
ClassSubset resolve_class_subset(const std::vector<std::string>& requested, const DatasetInfo& info,
                                 const std::vector<ClassGroup>& groups, const Config& data);

/// The samples of `split` whose class is in `subset`, in their original order, relabelled.
DataSplit restrict_to_classes(const DataSplit& split, const ClassSubset& subset,
                              int64_t num_classes);

}  // namespace gear::host

#pragma once

/// @file
/// `data.classes`: training and testing on a subset of a dataset's classes, for any dataset.

#include <cstdint>
#include <string>
#include <utility>
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

/// The samples of `split` whose class is in `subset`, in their original order: relabelled
/// 0..k-1 in the subset's order when `relabel`, else with their dataset labels.
DataSplit restrict_to_classes(const DataSplit& split, const ClassSubset& subset,
                              int64_t num_classes, bool relabel);

/// The rows of `labels` [N] (int64, values in [0, num_classes)) a seeded per-class split holds
/// out: round(fraction * n_c) of each class's n_c samples, drawn with a generator seeded with
/// `seed`. Returns {kept, held out}, each in one random order.
std::pair<torch::Tensor, torch::Tensor> stratified_split(const torch::Tensor& labels,
                                                         int64_t num_classes, double fraction,
                                                         uint64_t seed);

}  // namespace gear::host

#pragma once

/// @file
/// A figure over the seeds of a group (mean, sample standard deviation, range, count), or one
/// run's figure (n = 1, no deviation).

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace gear::report {

/// Mean and spread of one figure.
struct Stat {
  double mean = 0.0;
  /// Sample standard deviation (n - 1); empty when n < 2 or unknown.
  std::optional<double> std;
  double min = 0.0, max = 0.0;
  int n = 0;
  std::vector<double> values;
};

/// The statistics of `values` (empty optional for none).
std::optional<Stat> stat_of(const std::vector<double>& values);

/// One run's figure.
Stat single(double value);

/// A group.json statistics object {"mean","std","min","max","n","values"}; fields it lacks are
/// taken from `values` when present. Empty when it has neither a numeric mean nor values.
std::optional<Stat> stat_from_json(const nlohmann::json& object);

/// `stat` with every figure multiplied by `factor` (fractions to percent, seconds to ms).
Stat scaled(const Stat& stat, double factor);

}  // namespace gear::report

#include "stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gear::report {

std::optional<Stat> stat_of(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  Stat stat;
  stat.values = values;
  stat.n = static_cast<int>(values.size());
  stat.mean = std::accumulate(values.begin(), values.end(), 0.0) / stat.n;
  stat.min = *std::min_element(values.begin(), values.end());
  stat.max = *std::max_element(values.begin(), values.end());
  if (stat.n > 1) {
    double squares = 0.0;
    for (double v : values) squares += (v - stat.mean) * (v - stat.mean);
    // Sample deviation: the seeds are a sample of the runs the pipeline could produce.
    stat.std = std::sqrt(squares / (stat.n - 1));
  }
  return stat;
}

Stat single(double value) { return *stat_of({value}); }

std::optional<Stat> stat_from_json(const nlohmann::json& object) {
  if (!object.is_object())
    return object.is_number() ? std::optional<Stat>(single(object.get<double>())) : std::nullopt;
  std::vector<double> values;
  if (auto it = object.find("values"); it != object.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_number()) values.push_back(v.get<double>());
  std::optional<Stat> stat = stat_of(values);
  auto mean = object.find("mean");
  if (mean != object.end() && mean->is_number()) {
    if (!stat) stat = Stat{};
    stat->mean = mean->get<double>();
    // The group's own figures win over recomputing them: they are what the runner reported.
    if (auto it = object.find("std"); it != object.end() && it->is_number())
      stat->std = it->get<double>();
    if (auto it = object.find("min"); it != object.end() && it->is_number())
      stat->min = it->get<double>();
    else if (values.empty())
      stat->min = stat->mean;
    if (auto it = object.find("max"); it != object.end() && it->is_number())
      stat->max = it->get<double>();
    else if (values.empty())
      stat->max = stat->mean;
    if (auto it = object.find("n"); it != object.end() && it->is_number_integer())
      stat->n = it->get<int>();
    else if (values.empty())
      stat->n = 1;
  }
  return stat;
}

Stat scaled(const Stat& stat, double factor) {
  Stat out = stat;
  out.mean *= factor;
  if (out.std) *out.std *= std::fabs(factor);
  out.min *= factor;
  out.max *= factor;
  if (factor < 0) std::swap(out.min, out.max);
  for (double& v : out.values) v *= factor;
  return out;
}

}  // namespace gear::report

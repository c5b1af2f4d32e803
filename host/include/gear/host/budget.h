#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/growth_strategy.h"

namespace gear::host {

/// The [model] budget as validated: the caps in counts and bytes, plus each field as the user
/// wrote it ("8MiB" stays "8MiB"), so reports and the resolved pipeline show what was asked for.
struct BudgetSpec {
  Budget budget;
  /// Field name -> value as written (an integer or a size string), in kBudgetFields order.
  std::vector<std::pair<std::string, Value>> written;
  /// Position of the budget table (or of the override that made it).
  SourcePosition where;

  bool empty() const { return written.empty(); }
  /// `{ params = 2000000, bytes = "8MiB" }`, for the resolved pipeline.
  std::string toml() const;
  /// {"params": 2000000, "bytes": "8MiB"}, for stages.json and summary.json.
  nlohmann::json json() const;
};

/// The sub-keys of `budget`, in the order they are checked (cheapest measurement first).
const std::vector<std::string>& budget_fields();

/// Reads a byte size: "512MiB", "8 MB", "1.5GiB", "4096B" or a bare "4096". Units B, KB, MB, GB
/// are 1000-based, KiB, MiB, GiB 1024-based. Returns nullopt for anything else (including values
/// that are not positive or overflow int64).
std::optional<int64_t> parse_byte_size(const std::string& text);

/// Validates `[model] budget` (`node` may be null: no budget). `path` is "model.budget". Throws
/// ConfigError at the offending value for unknown sub-keys, wrong types, values <= 0 and bad
/// unit strings.
BudgetSpec read_budget(const toml::node* node, const std::string& path, const std::string& file);

}  // namespace gear::host

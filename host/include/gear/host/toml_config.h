#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "gear/config.h"

namespace gear::host {

/// Position of a node: file:line:column, or the command-line override that set it.
SourcePosition position_of(const toml::node& node, const std::string& file);

/// Validates `table` against `schema` and returns the Config with defaults filled in. `path` is
/// the table's dotted name for messages ("stage.1"). Keys in `skip` are left to the caller.
/// Throws ConfigError for unknown keys (with did-you-mean), wrong types, out-of-range values,
/// values outside `choices`, and missing required keys.
Config config_from_table(const toml::table& table, const std::string& path,
                         const OptionSchema& schema, const std::string& file,
                         const std::vector<std::string>& skip = {});

/// Applies "dotted.key=value" overrides to a parsed pipeline. A value that parses as TOML is
/// used as such ("2", "0.5", "true", "[1, 2]"); anything else is a string. Throws ConfigError
/// naming the override when its path does not fit the pipeline.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides);

}  // namespace gear::host

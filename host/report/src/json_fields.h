#pragma once

/// @file
/// Reading optional fields of the run folder's JSON records: older runs lack the newer fields,
/// and a failed run lacks `final`, so every read returns an empty optional instead of throwing.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace gear::report {

/// The value at the dotted `path` ("final.corruptions.robust_accuracy") inside nested objects;
/// nullptr when a step is missing or not an object.
const nlohmann::json* find_path(const nlohmann::json& root, std::string_view path);

/// The number at `path` (booleans are not numbers); empty when missing or of another type.
std::optional<double> number_at(const nlohmann::json& root, std::string_view path);

/// The string at `path`; empty when missing or not a string.
std::optional<std::string> string_at(const nlohmann::json& root, std::string_view path);

/// The boolean at `path`; `fallback` when missing or not a boolean.
bool bool_at(const nlohmann::json& root, std::string_view path, bool fallback = false);

}  // namespace gear::report

#pragma once

/// @file
/// metrics.csv, one row per training epoch: read as text cells by column name, since columns
/// come and go between runs (objective figures, energy_joules) and cells may be empty.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gear::report {

/// The rows of one metrics.csv.
struct MetricsTable {
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> rows;

  /// The number in `row`'s `column`; empty when the cell is missing, empty or not a number.
  std::optional<double> number(size_t row, const std::string& column) const;
  /// Whether any row has a number in `column`.
  bool has(const std::string& column) const;
};

/// Splits one CSV line into cells (RFC 4180 quotes, doubled quotes inside them).
std::vector<std::string> split_csv_line(const std::string& line);

/// Reads `file`; an empty table when it does not exist (a run that never trained).
MetricsTable read_metrics_csv(const std::filesystem::path& file);

}  // namespace gear::report

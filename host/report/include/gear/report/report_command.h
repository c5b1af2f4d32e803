#pragma once

/// @file
/// `gearhost report RUN_OR_GROUP...`: what the command reads and writes.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

namespace gear::report {

/// Bad input to the report (a folder that is not a run or group, an unreadable summary): the
/// message names the path and what is wrong; gearhost exits 2.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The command line of `gearhost report`.
struct ReportRequest {
  /// Run folders (holding summary.json) and group folders (holding group.json), in table order.
  std::vector<std::filesystem::path> inputs;
  /// The HTML page; default: report.html inside the only input, or ./report.html for several.
  std::optional<std::filesystem::path> html;
  /// The table as Markdown / CSV files; "-" writes to standard output.
  std::optional<std::filesystem::path> markdown, csv;
  /// Print the Markdown table on standard output (when no --markdown file is given).
  bool print_table = true;
};

/// Runs the command: returns the process exit code (0, or 1 when a run in the inputs failed
/// midway, after reporting what finished). Throws ReportError on bad input.
int run_report(const ReportRequest& request);

}  // namespace gear::report

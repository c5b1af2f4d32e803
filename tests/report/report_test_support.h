#pragma once

/// @file
/// Helpers of the report's gtests: a fresh folder per test, and run_report with its outputs
/// captured.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gear/report/report_command.h"
#include "report_fixtures.h"

namespace gear::report::fixtures {

/// An empty folder named after the running test, under the test's temporary folder.
inline std::filesystem::path fresh_folder() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "gear_report" /
                                    (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// What one run_report call wrote.
struct ReportOutputs {
  int exit_code = -1;
  std::string html, markdown, csv, out;
};

/// Runs the report on `inputs`, writing its files into `dir`; standard output is captured.
inline ReportOutputs report_of(const std::vector<std::filesystem::path>& inputs,
                               const std::filesystem::path& dir) {
  ReportRequest request;
  request.inputs = inputs;
  request.html = dir / "report.html";
  request.markdown = dir / "table.md";
  request.csv = dir / "table.csv";
  ReportOutputs outputs;
  ::testing::internal::CaptureStdout();
  outputs.exit_code = run_report(request);
  outputs.out = ::testing::internal::GetCapturedStdout();
  outputs.html = read_text(dir / "report.html");
  outputs.markdown = read_text(dir / "table.md");
  outputs.csv = read_text(dir / "table.csv");
  return outputs;
}

/// The cells of the Markdown table row whose first cell is `input`, trimmed ("" cells kept).
std::vector<std::string> markdown_row(const std::string& markdown, const std::string& input);

/// The cell under `header` in that row.
std::string markdown_cell(const std::string& markdown, const std::string& input,
                          const std::string& header);

/// The CSV field `column` of the row whose `input` is `input`.
std::string csv_field(const std::string& csv, const std::string& input, const std::string& column);

}  // namespace gear::report::fixtures

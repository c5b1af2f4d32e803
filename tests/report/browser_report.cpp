// Writes the browser test's inputs (report_fixtures.h) under the folder given as the only
// argument and runs the report on them into FOLDER/report.html; exits with the report's code
// (1: one input is a failed run).
#include <cstdio>
#include <exception>

#include "gear/report/report_command.h"
#include "report_fixtures.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path root = argv[1];
    std::filesystem::remove_all(root);
    gear::report::ReportRequest request;
    request.inputs = gear::report::fixtures::write_browser_inputs(root / "inputs");
    request.html = root / "report.html";
    request.markdown = root / "table.md";
    request.csv = root / "table.csv";
    return gear::report::run_report(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 3;
  }
}

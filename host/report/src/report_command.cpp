#include "gear/report/report_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "html_page.h"
#include "report_charts.h"
#include "report_inputs.h"
#include "report_table.h"

namespace gear::report {
namespace {

namespace fs = std::filesystem;

/// Writes `text` to `file` through a temporary file and a rename, like the run folder's files,
/// so a reader never sees half a page; "-" writes to standard output.
void write_output(const fs::path& file, const std::string& text) {
  if (file == "-") {
    std::cout << text << std::flush;
    return;
  }
  if (file.has_parent_path()) {
    std::error_code ignored;
    fs::create_directories(file.parent_path(), ignored);
  }
  const fs::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) throw std::runtime_error("cannot write " + file.string() + ": " + error.message());
}

}  // namespace

int run_report(const ReportRequest& request) {
  if (request.inputs.empty())
    throw ReportError("gearhost report: no inputs (give run folders and group folders)");
  std::vector<ReportInput> inputs;
  for (const auto& path : request.inputs) inputs.push_back(read_input(path));

  const ReportTable table = build_table(inputs);
  std::vector<nlohmann::json> charts;
  for (size_t i = 0; i < inputs.size(); ++i)
    for (auto& c : input_charts(inputs[i], i)) charts.push_back(std::move(c));

  const fs::path html = request.html         ? *request.html
                        : inputs.size() == 1 ? inputs.front().dir / "report.html"
                                             : fs::path("report.html");
  write_output(html, html_page(inputs, table, charts));
  const std::string markdown = markdown_table(table);
  if (request.markdown)
    write_output(*request.markdown, markdown);
  else if (request.print_table)
    std::cout << markdown << std::flush;
  if (request.csv) write_output(*request.csv, csv_table(table));
  std::cerr << "report: wrote " << html.string() << "\n";

  bool unfinished = false;
  for (const auto& input : inputs)
    if (input.unfinished) {
      unfinished = true;
      for (const auto& note : input.notes)
        std::cerr << "report: " << input.name << ": " << note << "\n";
    }
  return unfinished ? 1 : 0;
}

}  // namespace gear::report

#include "report_test_support.h"

#include <sstream>

#include "metrics_csv.h"

namespace gear::report::fixtures {
namespace {

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {  // after the leading '|'
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

std::vector<std::string> markdown_row(const std::string& markdown, const std::string& input) {
  for (const auto& line : lines_of(markdown))
    if (!line.empty() && line[0] == '|') {
      auto cells = cells_of(line);
      if (!cells.empty() && cells[0] == input) return cells;
    }
  ADD_FAILURE() << "no Markdown row for " << input << " in\n" << markdown;
  return {};
}

std::string markdown_cell(const std::string& markdown, const std::string& input,
                          const std::string& header) {
  const auto headers = markdown_row(markdown, "input");
  const auto row = markdown_row(markdown, input);
  for (size_t i = 0; i < headers.size() && i < row.size(); ++i)
    if (headers[i] == header) return row[i];
  ADD_FAILURE() << "no column " << header << " in\n" << markdown;
  return "";
}

std::string csv_field(const std::string& csv, const std::string& input, const std::string& column) {
  const auto lines = lines_of(csv);
  if (lines.empty()) return "";
  const auto header = split_csv_line(lines[0]);
  for (size_t l = 1; l < lines.size(); ++l) {
    const auto cells = split_csv_line(lines[l]);
    if (cells.empty() || cells[0] != input) continue;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i)
      if (header[i] == column) return cells[i];
    ADD_FAILURE() << "no CSV column " << column;
    return "";
  }
  ADD_FAILURE() << "no CSV row for " << input << " in\n" << csv;
  return "";
}

}  // namespace gear::report::fixtures

#include "metrics_csv.h"

#include <cstdlib>
#include <fstream>

namespace gear::report {

std::optional<double> MetricsTable::number(size_t row, const std::string& column) const {
  if (row >= rows.size()) return std::nullopt;
  auto it = rows[row].find(column);
  if (it == rows[row].end() || it->second.empty()) return std::nullopt;
  const char* begin = it->second.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin || *end != '\0') return std::nullopt;
  return value;
}

bool MetricsTable::has(const std::string& column) const {
  for (size_t i = 0; i < rows.size(); ++i)
    if (number(i, column)) return true;
  return false;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else if (c != '\r') {
      cells.back().push_back(c);
    }
  }
  return cells;
}

MetricsTable read_metrics_csv(const std::filesystem::path& file) {
  MetricsTable table;
  std::ifstream in(file);
  if (!in) return table;
  std::string line;
  if (!std::getline(in, line)) return table;
  table.columns = split_csv_line(line);
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = split_csv_line(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size() && i < table.columns.size(); ++i)
      row[table.columns[i]] = cells[i];
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace gear::report

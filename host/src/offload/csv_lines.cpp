#include "gear/host/offload/csv_lines.h"

namespace gear::host {

std::string trim_blanks(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

int64_t for_each_csv_line(std::istream& in,
                          const std::function<void(int64_t line, const std::string& text)>& row) {
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text = trim_blanks(line);
    if (!text.empty() && text[0] != '#') row(number, text);
  }
  return number;
}

}  // namespace gear::host

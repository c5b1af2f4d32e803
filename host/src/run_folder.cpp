#include "gear/host/run_folder.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace gear::host {
namespace fs = std::filesystem;

void write_file_atomic(const fs::path& path, const std::string& text) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temp.string());
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("error writing " + temp.string());
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) throw std::runtime_error("cannot rename " + temp.string() + " to " + path.string() + ": " +
                                   ec.message());
}

RunFolder::RunFolder(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_ / "checkpoints", ec);
  if (ec) throw std::runtime_error("cannot create run folder " + root_.string() + ": " + ec.message());
}

fs::path RunFolder::unique_path(const fs::path& out, const std::string& name) {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  std::ostringstream stamp;
  stamp << name << "-" << std::put_time(&local, "%Y%m%d-%H%M%S");
  fs::path candidate = out / stamp.str();
  for (int i = 2; fs::exists(candidate); ++i) candidate = out / (stamp.str() + "-" + std::to_string(i));
  return candidate;
}

void RunFolder::write_text(const std::string& file, const std::string& text) const {
  write_file_atomic(root_ / file, text);
}

void RunFolder::write_json(const std::string& file, const nlohmann::json& value) const {
  write_file_atomic(root_ / file, value.dump(2) + "\n");
}

namespace {
std::string csv_field(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  if (value.is_number_float()) {
    std::ostringstream out;
    out << std::setprecision(6) << value.get<double>();
    return out.str();
  }
  return value.dump();
}
}  // namespace

std::string RunFolder::metrics_line(const nlohmann::json& row) const {
  std::string line;
  for (size_t i = 0; i < columns_.size(); ++i)
    line += (i ? "," : "") + (row.contains(columns_[i]) ? csv_field(row[columns_[i]]) : "");
  return line + "\n";
}

void RunFolder::append_metrics(const nlohmann::json& row) {
  const bool first = rows_.empty();
  bool new_columns = false;
  for (const auto& [key, value] : row.items())
    if (std::find(columns_.begin(), columns_.end(), key) == columns_.end()) {
      columns_.push_back(key);
      new_columns = true;
    }
  rows_.push_back(row);
  if (new_columns && !first) {
    // A later stage reports more (an objective's figures): rewrite the file with the wider
    // header, atomically, so every row keeps its values under the right column.
    if (metrics_.is_open()) metrics_.close();
    std::string text;
    for (size_t i = 0; i < columns_.size(); ++i) text += (i ? "," : "") + columns_[i];
    text += "\n";
    for (const auto& r : rows_) text += metrics_line(r);
    write_file_atomic(root_ / "metrics.csv", text);
    metrics_.open(root_ / "metrics.csv", std::ios::app);
    return;
  }
  if (!metrics_.is_open()) {
    metrics_.open(root_ / "metrics.csv", std::ios::trunc);
    for (size_t i = 0; i < columns_.size(); ++i) metrics_ << (i ? "," : "") << columns_[i];
    metrics_ << "\n";
  }
  metrics_ << metrics_line(row);
  metrics_.flush();
}

}  // namespace gear::host

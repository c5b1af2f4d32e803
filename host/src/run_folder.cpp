#include "gear/host/run_folder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace gear::host {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void write_failed(const fs::path& path, const std::string& what, int error) {
  throw std::runtime_error("cannot write " + path.string() + ": " + what + ": " +
                           std::strerror(error));
}

// The folder's entry for a renamed file is durable only once the folder itself is synced.
void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // a folder that cannot be opened for reading keeps the rename anyway
  ::fsync(fd);
  ::close(fd);
}

// Fault injection for the tests (docs/reliability.md): GEAR_FAULT_KILL_WRITING=<file>:<n> kills
// the process with SIGKILL halfway through the n-th write of a file of that name, to prove a
// kill while a checkpoint is written leaves the previous one usable.
bool kill_now_writing(const fs::path& path) {
  static const std::string spec = [] {
    const char* value = std::getenv("GEAR_FAULT_KILL_WRITING");
    return std::string(value ? value : "");
  }();
  if (spec.empty()) return false;
  static std::atomic<int> writes{0};
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || path.filename().string() != spec.substr(0, colon)) return false;
  return ++writes == std::atoi(spec.c_str() + colon + 1);
}

}  // namespace

void write_file_atomic(const fs::path& path, const std::string& text) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) write_failed(path, "cannot create " + temp.filename().string(), errno);
  // On any failure the temporary file goes: a full disk keeps the old file, never a torn one.
  auto fail = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    write_failed(path, what, error);
  };
  const bool kill_halfway = kill_now_writing(path);
  for (size_t done = 0; done < text.size();) {
    if (kill_halfway && done >= text.size() / 2) ::kill(::getpid(), SIGKILL);
    const size_t chunk = kill_halfway ? std::max<size_t>(1, text.size() / 2) : text.size();
    const ssize_t n = ::write(fd, text.data() + done, std::min(chunk, text.size() - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      fail("after " + std::to_string(done) + " of " + std::to_string(text.size()) + " bytes");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    write_failed(path, "close", error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    write_failed(path, "rename from " + temp.filename().string(), error);
  }
  sync_folder(path.parent_path());
}

RunFolder::RunFolder(fs::path root, bool resuming) : root_(std::move(root)) {
  if (!resuming && fs::exists(root_ / "summary.json"))
    throw std::invalid_argument("run folder " + root_.string() +
                                " already holds a run (summary.json): choose another --out, or "
                                "continue that run with gearhost run --resume " +
                                root_.string());
  std::error_code ec;
  fs::create_directories(root_ / "checkpoints", ec);
  if (ec)
    throw std::invalid_argument("cannot create run folder " + root_.string() + ": " + ec.message());
  // A write the last process was killed in left its temporary file: the file it was replacing
  // is whole, so the temporary one only takes space.
  if (resuming)
    for (const fs::path& folder : {root_, root_ / "checkpoints"})
      for (const auto& entry : fs::directory_iterator(folder, ec))
        if (entry.path().filename().string().find(".tmp.") != std::string::npos)
          fs::remove(entry.path(), ec);
  // An unwritable folder fails here, naming itself, not hours later at the first checkpoint.
  if (::access(root_.c_str(), W_OK) != 0 || ::access((root_ / "checkpoints").c_str(), W_OK) != 0)
    throw std::invalid_argument("run folder " + root_.string() +
                                " is not writable: " + std::strerror(errno));
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

std::string RunFolder::metrics_text() const {
  std::string text;
  for (size_t i = 0; i < columns_.size(); ++i) text += (i ? "," : "") + columns_[i];
  text += "\n";
  for (const auto& r : rows_) text += metrics_line(r);
  return text;
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
    write_file_atomic(root_ / "metrics.csv", metrics_text());
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
  if (!metrics_) throw std::runtime_error("cannot append to " + (root_ / "metrics.csv").string());
}

void RunFolder::restore_metrics(const std::vector<nlohmann::json>& rows) {
  if (metrics_.is_open()) metrics_.close();
  columns_.clear();
  rows_.clear();
  for (const auto& row : rows)
    for (const auto& [key, value] : row.items())
      if (std::find(columns_.begin(), columns_.end(), key) == columns_.end())
        columns_.push_back(key);
  rows_ = rows;
  if (rows_.empty()) {
    std::error_code ec;
    fs::remove(root_ / "metrics.csv", ec);
    return;
  }
  write_file_atomic(root_ / "metrics.csv", metrics_text());
  metrics_.open(root_ / "metrics.csv", std::ios::app);
}

}  // namespace gear::host

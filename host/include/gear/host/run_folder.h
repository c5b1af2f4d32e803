#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gear::host {

/// Writes `text` to `path` atomically and durably: a temporary file in the same folder, fsync,
/// rename, fsync of the folder, so a crash, a kill or a power loss leaves either the old file or
/// the new one, never a torn one. On failure (a full disk, an unwritable folder) the temporary
/// file is removed and std::runtime_error names `path` and the system's reason.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

/// A run's folder: pipeline.resolved.toml, env.json, log.txt, metrics.csv, stages.json,
/// summary.json and checkpoints/.
class RunFolder {
 public:
  /// Creates `root` (and checkpoints/). Throws std::invalid_argument (bad input: exit 2) if it
  /// cannot be created or written to, or if it already holds a run (a summary.json) and
  /// `resuming` is false.
  explicit RunFolder(std::filesystem::path root, bool resuming = false);

  /// "<out>/<name>-YYYYmmdd-HHMMSS", with -2, -3... if taken.
  static std::filesystem::path unique_path(const std::filesystem::path& out,
                                           const std::string& name);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path checkpoints() const { return root_ / "checkpoints"; }

  void write_text(const std::string& file, const std::string& text) const;
  void write_json(const std::string& file, const nlohmann::json& value) const;
  /// Appends one metrics.csv row (header on first use); flushed at once. A row with keys no
  /// earlier row had (an objective's figures in a later stage) adds columns: the file is then
  /// rewritten atomically with the wider header.
  void append_metrics(const nlohmann::json& row);
  /// The rows appended so far (or restored), in order.
  const std::vector<nlohmann::json>& metrics_rows() const { return rows_; }
  /// Resuming: makes metrics.csv hold exactly `rows` (those up to the resume point; a row
  /// written after it is dropped, as the resumed run writes it again).
  void restore_metrics(const std::vector<nlohmann::json>& rows);

 private:
  std::filesystem::path root_;
  std::ofstream metrics_;
  std::vector<std::string> columns_;
  std::vector<nlohmann::json> rows_;
  std::string metrics_line(const nlohmann::json& row) const;
  std::string metrics_text() const;  // header and every row
};

}  // namespace gear::host

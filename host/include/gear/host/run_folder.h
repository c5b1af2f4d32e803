#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gear::host {

/// Writes `text` to `path` atomically: a temporary file in the same folder, then rename, so a
/// crash or kill leaves either the old file or the new one, never a torn one.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

/// A run's folder: pipeline.resolved.toml, env.json, log.txt, metrics.csv, stages.json,
/// summary.json and checkpoints/.
class RunFolder {
 public:
  /// Creates `root` (and checkpoints/). Throws std::runtime_error if it cannot be created or
  /// already holds a finished run's summary.
  explicit RunFolder(std::filesystem::path root);

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

 private:
  std::filesystem::path root_;
  std::ofstream metrics_;
  std::vector<std::string> columns_;
  std::vector<nlohmann::json> rows_;
  std::string metrics_line(const nlohmann::json& row) const;
};

}  // namespace gear::host

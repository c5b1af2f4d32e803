#pragma once

/// @file
/// TensorBoard event files, written without TensorFlow: TFRecord framing (length, masked
/// CRC-32C of the length, the Event protocol buffer, masked CRC-32C of the data) around Event
/// messages holding scalar summaries, which TensorBoard and tf.summary readers load.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace gear::report {

/// Appends scalars to one events file `events.out.tfevents.<seconds>.<host>` in `folder`,
/// created (with its file_version record) by the constructor. Each write is flushed, so a killed
/// run keeps every scalar written before the kill. Not thread-safe.
class EventWriter {
 public:
  /// Creates `folder` when missing and opens a new events file in it; throws
  /// std::runtime_error naming the path when it cannot be written.
  explicit EventWriter(const std::filesystem::path& folder);
  /// Writes one scalar `value` under `tag` (e.g. "train/loss") at `step`, stamped with
  /// `wall_seconds` since the Unix epoch (now, when negative).
  void scalar(const std::string& tag, int64_t step, double value, double wall_seconds = -1.0);
  /// The events file being written.
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(const std::string& data);

  std::filesystem::path path_;
  std::ofstream out_;
};

/// CRC-32C (Castagnoli) of `size` bytes at `data`, as TFRecord frames use it (before masking).
uint32_t crc32c(const void* data, size_t size);

}  // namespace gear::report

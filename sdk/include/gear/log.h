#pragma once

/// @file
/// Logging and progress from plugin code: lines that reach the host's console and the run's
/// log.txt, with the host's format and level filter. Plugins never link a logging library.

#include <cstdint>
#include <functional>
#include <string>

#include "gear/export.h"

namespace gear {

/// Severity of a log line.
enum class LogLevel { kDebug, kInfo, kWarning, kError };

/// Writes one line (no trailing newline needed) at `level`. Thread-safe. Before the host
/// installs its sink (a plugin used outside a host) lines of kWarning and above go to stderr.
GEAR_EXPORT void log(LogLevel level, const std::string& message);
/// log(LogLevel::kDebug, message).
inline void log_debug(const std::string& message) { log(LogLevel::kDebug, message); }
/// log(LogLevel::kInfo, message).
inline void log_info(const std::string& message) { log(LogLevel::kInfo, message); }
/// log(LogLevel::kWarning, message).
inline void log_warning(const std::string& message) { log(LogLevel::kWarning, message); }

/// Reports progress of a long step ("osg candidates", 30 of 400 batches). The host shows it on
/// its progress line and logs it at most every few seconds and when done == total. `label` is
/// copied. Thread-safe; cheap enough to call every batch.
GEAR_EXPORT void report_progress(const std::string& label, int64_t done, int64_t total);

namespace detail {
/// Where log() and report_progress() go; installed by the host (host/src/logging.cpp). The
/// functions are copied and called from any thread.
struct LogSink {
  std::function<void(LogLevel, const std::string&)> log;
  std::function<void(const std::string&, int64_t, int64_t)> progress;
};
/// Installs `sink` for every plugin in the process (the SDK is one shared library).
GEAR_EXPORT void set_log_sink(LogSink sink);
}  // namespace detail

}  // namespace gear

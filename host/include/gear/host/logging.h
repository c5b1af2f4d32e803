#pragma once

#include <filesystem>
#include <string>

namespace gear::host {

/// Sets up spdlog's default logger (shared with plugins through libspdlog.so): a console sink on
/// stderr at `level` ("trace", "debug", "info", "warn", "error", "off"). Throws
/// std::invalid_argument for an unknown level.
void setup_logging(const std::string& level);

/// Routes the SDK's gear::log and gear::report_progress (gear/log.h) to the default logger, so
/// plugin lines reach the console and log.txt. setup_logging() calls it.
void install_plugin_log_sink();

/// One rank of a data-parallel run: console lines carry "[rank R/N]", and ranks other than 0
/// show only warnings and errors there (their log files keep everything). Call after
/// setup_logging and before add_log_file.
void set_console_rank(int rank, int size);

/// Adds a file sink (everything at debug and above) to the default logger.
void add_log_file(const std::filesystem::path& path);

/// Removes file sinks added by add_log_file (at the end of a run).
void remove_log_files();

}  // namespace gear::host

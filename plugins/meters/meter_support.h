#pragma once

/// @file
/// What every meter shares: the `root` option, reading small sysfs/procfs files with the reason
/// when they cannot be read, and trapezoid integration of sampled power.

#include <gear/config.h>
#include <gear/options.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace gear::plugins::meters {

/// The option every meter has: where its files are looked for.
struct RootOptions {
  /// The file-system root under which the meter reads /sys and /proc; tests point it at a
  /// fixture tree.
  std::string root = "/";
};

/// Binds `root` (string, default "/").
const OptionBinder<RootOptions>& root_binder();

/// `absolute` (a path such as "/sys/class/powercap") under `root`: "/" leaves it as it is.
std::filesystem::path under_root(const std::string& root, const std::string& absolute);

/// The contents of a small file (sysfs attribute, /proc/stat), or the reason it cannot be read.
struct FileText {
  /// Whether the file was read; `text` is meaningful only then.
  bool ok = false;
  std::string text;
  /// Why not, as strerror says it ("Permission denied", "No such file or directory", "is a
  /// directory").
  std::string error;
  /// True when the reason is a permission (the fix is then chmod or root).
  bool permission_denied = false;
};

/// Reads `path` whole. Never throws for an unreadable file: the result says why.
FileText read_text(const std::filesystem::path& path);

/// A file holding one integer (sysfs style: digits, an optional sign, surrounding white space).
struct FileNumber {
  std::optional<int64_t> value;
  /// Why there is no value (read_text's reason, or "does not hold a number").
  std::string error;
  bool permission_denied = false;
};

/// Reads `path` as one integer.
FileNumber read_number(const std::filesystem::path& path);

/// Parses `text` (surrounding white space allowed) as an integer; nullopt when it is not one.
std::optional<int64_t> parse_integer(const std::string& text);

/// `text` without leading and trailing white space.
std::string trim(const std::string& text);

/// `value` as a short decimal ("10", "2.5", "0.125"), for method strings.
std::string format_number(double value);

/// Energy from sampled power by the trapezoid rule: between two readings, the mean of their
/// powers times the time between them. The first reading is the one at open() (time 0).
class TrapezoidIntegrator {
 public:
  /// Starts at time 0 with `watts`.
  explicit TrapezoidIntegrator(double watts = 0.0) : last_watts_(watts) {}

  /// Adds the reading `watts` at `seconds` (not before the previous reading) and returns the
  /// joules integrated since time 0.
  double add(double seconds, double watts);

  /// Joules integrated up to the last reading.
  double joules() const { return joules_; }

 private:
  double last_seconds_ = 0.0;
  double last_watts_;
  double joules_ = 0.0;
};

}  // namespace gear::plugins::meters

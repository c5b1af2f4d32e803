#include "meter_support.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace gear::plugins::meters {

const OptionBinder<RootOptions>& root_binder() {
  static const OptionBinder<RootOptions> binder = [] {
    OptionBinder<RootOptions> b;
    b.bind("root", &RootOptions::root,
           "file-system root under which the meter reads /sys and /proc (a fixture tree in "
           "tests)")
        .check([](const std::string& root) {
          return root.empty() ? std::string("must not be empty (\"/\" is the real root)")
                              : std::string();
        });
    return b;
  }();
  return binder;
}

std::filesystem::path under_root(const std::string& root, const std::string& absolute) {
  // path / "/sys" would replace the root, so the absolute path is appended as a relative one.
  return std::filesystem::path(root) / std::filesystem::path(absolute).relative_path();
}

FileText read_text(const std::filesystem::path& path) {
  FileText out;
  std::error_code ec;
  // std::ifstream opens a directory without complaint and then reads nothing, which would look
  // like an empty file.
  if (std::filesystem::is_directory(path, ec)) {
    out.error = "is a directory";
    return out;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    out.error = error != 0 ? std::strerror(error) : "cannot be opened";
    out.permission_denied = error == EACCES || error == EPERM;
    return out;
  }
  out.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    out.text.clear();
    out.error = "read error";
    return out;
  }
  out.ok = true;
  return out;
}

std::string trim(const std::string& text) {
  const char* kSpace = " \t\r\n\f\v";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

std::optional<int64_t> parse_integer(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  const char* begin = t.data();
  if (*begin == '+') ++begin;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(begin, t.data() + t.size(), value);
  if (error != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

FileNumber read_number(const std::filesystem::path& path) {
  FileNumber out;
  const FileText text = read_text(path);
  if (!text.ok) {
    out.error = text.error;
    out.permission_denied = text.permission_denied;
    return out;
  }
  out.value = parse_integer(text.text);
  if (!out.value) out.error = "does not hold a number";
  return out;
}

std::string format_number(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

double TrapezoidIntegrator::add(double seconds, double watts) {
  // A reading earlier than the last one (never from the host) adds nothing rather than
  // subtracting energy.
  if (seconds > last_seconds_) {
    joules_ += 0.5 * (last_watts_ + watts) * (seconds - last_seconds_);
    last_seconds_ = seconds;
  }
  last_watts_ = watts;
  return joules_;
}

}  // namespace gear::plugins::meters

#include "gear/log.h"

#include <iostream>
#include <mutex>

namespace gear {
namespace {

std::mutex& sink_mutex() {
  static std::mutex mutex;
  return mutex;
}

detail::LogSink& sink() {
  static detail::LogSink instance;
  return instance;
}

}  // namespace

void log(LogLevel level, const std::string& message) {
  std::function<void(LogLevel, const std::string&)> write;
  {
    std::lock_guard<std::mutex> lock(sink_mutex());
    write = sink().log;
  }
  if (write) {
    write(level, message);
  } else if (level >= LogLevel::kWarning) {
    std::cerr << message << '\n';
  }
}

void report_progress(const std::string& label, int64_t done, int64_t total) {
  std::function<void(const std::string&, int64_t, int64_t)> show;
  {
    std::lock_guard<std::mutex> lock(sink_mutex());
    show = sink().progress;
  }
  if (show) show(label, done, total);
}

namespace detail {
void set_log_sink(LogSink s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(s);
}
}  // namespace detail

}  // namespace gear

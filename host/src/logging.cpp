#include "gear/host/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

#include "gear/log.h"

namespace gear::host {

void setup_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw std::invalid_argument("unknown log level '" + level +
                                "' (trace, debug, info, warn, error, off)");
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_level(parsed);
  auto logger = std::make_shared<spdlog::logger>("gear", console);
  logger->set_level(spdlog::level::trace);
  logger->set_pattern("[%H:%M:%S] [%^%l%$] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  install_plugin_log_sink();
}

void install_plugin_log_sink() {
  detail::LogSink sink;
  sink.log = [](LogLevel level, const std::string& message) {
    switch (level) {
      case LogLevel::kDebug:
        spdlog::debug("{}", message);
        break;
      case LogLevel::kInfo:
        spdlog::info("{}", message);
        break;
      case LogLevel::kWarning:
        spdlog::warn("{}", message);
        break;
      case LogLevel::kError:
        spdlog::error("{}", message);
        break;
    }
  };
  // Plugin progress: a line when a step completes, and at most one every 5 s in between.
  sink.progress = [](const std::string& label, int64_t done, int64_t total) {
    static std::mutex mutex;
    static std::map<std::string, std::chrono::steady_clock::time_point> last;
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = last.find(label);
      const bool finished = total > 0 && done >= total;
      if (!finished && it != last.end() && now - it->second < std::chrono::seconds(5)) return;
      last[label] = now;
      if (finished) last.erase(label);
    }
    if (total > 0)
      spdlog::info("  {}: {}/{}", label, done, total);
    else
      spdlog::info("  {}: {}", label, done);
  };
  detail::set_log_sink(std::move(sink));
}

void set_console_rank(int rank, int size) {
  auto logger = spdlog::default_logger();
  const std::string tag = "[rank " + std::to_string(rank) + "/" + std::to_string(size) + "] ";
  logger->set_pattern("[%H:%M:%S] [%^%l%$] " + tag + "%v");
  for (auto& sink : logger->sinks())
    if (rank > 0 && sink->level() < spdlog::level::warn) sink->set_level(spdlog::level::warn);
}

void add_log_file(const std::filesystem::path& path) {
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string());
  file->set_level(spdlog::level::debug);
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  spdlog::default_logger()->sinks().push_back(file);
}

void remove_log_files() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                             [](const spdlog::sink_ptr& s) {
                               return std::dynamic_pointer_cast<spdlog::sinks::basic_file_sink_mt>(
                                          s) != nullptr;
                             }),
              sinks.end());
}

}  // namespace gear::host

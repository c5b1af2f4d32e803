#include "gear/host/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

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

#include "gear/report/tensorboard_events.h"

#include <stdexcept>

namespace gear::report {

EventWriter::EventWriter(const std::filesystem::path& folder) : path_(folder) {
  throw std::runtime_error("EventWriter is not built yet");
}

void EventWriter::scalar(const std::string&, int64_t, double, double) {}

void EventWriter::write_record(const std::string&) {}

uint32_t crc32c(const void*, size_t) { return 0; }

}  // namespace gear::report

#include <array>
#include <cstddef>
#include <cstdint>

#include "gear/report/tensorboard_events.h"

namespace gear::report {
namespace {

// Our own CRC-32C, because TFRecord framing requires it and nothing GEAR depends on computes it:
// the standard library and nlohmann-json have no CRC, and zlib's crc32 uses the IEEE polynomial,
// not Castagnoli's. Table-driven, one byte per step: event files are small, so the SSE4.2
// instruction or slicing-by-8 would gain nothing worth the code.
constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) ? (crc >> 1) ^ kCastagnoliReflected : crc >> 1;
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = kTable[(crc ^ bytes[i]) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace gear::report

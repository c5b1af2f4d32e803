#include "idx_reader.h"

#include <gear/dataset.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "gzip_file_bytes.h"

namespace gear::plugins::datasets {
namespace {

// The third magic byte is the element type; 0x08 is unsigned byte. The fourth is the rank.
constexpr uint32_t kUnsignedByteType = 0x08;

uint32_t big_endian_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}

std::string hex_u32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

std::string join_dims(const std::vector<int64_t>& dims) {
  std::string out;
  for (int64_t d : dims) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

}  // namespace

torch::Tensor read_idx(const std::string& path, int rank) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < 4)
    throw DataError(path + ": too short for an IDX file: " + std::to_string(bytes.size()) +
                    " bytes");

  const uint32_t expected_magic = kUnsignedByteType << 8 | static_cast<uint32_t>(rank);
  const uint32_t magic = big_endian_u32(bytes.data());
  if (magic != expected_magic)
    throw DataError(path + ": wrong IDX magic number: expected " + hex_u32(expected_magic) +
                    " (unsigned bytes, " + std::to_string(rank) + " dimensions), found " +
                    hex_u32(magic));
  if (bytes.size() < header)
    throw DataError(path + ": truncated IDX header: expected " + std::to_string(header) +
                    " bytes, found " + std::to_string(bytes.size()));

  std::vector<int64_t> dims;
  uint64_t expected_bytes = 1;
  bool overflow = false;
  for (int i = 0; i < rank; ++i) {
    const uint32_t d = big_endian_u32(bytes.data() + 4 + 4 * i);
    dims.push_back(d);
    if (d != 0 && expected_bytes > std::numeric_limits<uint64_t>::max() / d) overflow = true;
    expected_bytes *= d;
  }
  const uint64_t actual_bytes = bytes.size() - header;
  if (overflow || expected_bytes > actual_bytes)
    throw DataError(path + ": truncated IDX data: the header declares " + join_dims(dims) +
                    (overflow ? "" : " = " + std::to_string(expected_bytes)) +
                    " bytes, the file holds " + std::to_string(actual_bytes));
  if (expected_bytes < actual_bytes)
    throw DataError(path +
                    ": malformed IDX file: " + std::to_string(actual_bytes - expected_bytes) +
                    " unexpected bytes after the " + join_dims(dims) + " = " +
                    std::to_string(expected_bytes) + " bytes the header declares");

  torch::Tensor out = torch::empty(dims, torch::kUInt8);
  if (expected_bytes > 0)
    std::memcpy(out.data_ptr<uint8_t>(), bytes.data() + header, expected_bytes);
  return out;
}

}  // namespace gear::plugins::datasets

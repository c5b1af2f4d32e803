#pragma once

// Reads a whole gzip file: the golden data of the augmentation and corruption tests. Header-only,
// so standalone test executables (which do not link test_support) can use it with zlib alone.

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gear::test {

inline std::vector<uint8_t> read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> buffer(1 << 16);
  int got = 0;
  while ((got = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0)
    bytes.insert(bytes.end(), buffer.begin(), buffer.begin() + got);
  gzclose(file);
  return bytes;
}

}  // namespace gear::test

#pragma once

// What the fuzz targets share: the input as a file (the readers take paths, as in use), and the
// rule that a reader may refuse any input with an exception but never crash, hang or allocate
// without bound (libFuzzer's -rss_limit_mb and -malloc_limit_mb catch the last).

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

namespace gear::fuzz {

/// `data` written to a per-process file named `name` (an extension selects a reader's format).
inline std::filesystem::path input_file(const uint8_t* data, size_t size, const std::string& name) {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d =
        std::filesystem::temp_directory_path() / ("gear-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::filesystem::path file = dir / name;
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return file;
}

/// Runs `read`; an exception is a refusal, which is what bad input must get.
template <typename Read>
void refuse_or_read(Read&& read) {
  try {
    read();
  } catch (const std::exception&) {
  }
}

}  // namespace gear::fuzz

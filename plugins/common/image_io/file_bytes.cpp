#include "file_bytes.h"

#include <gear/dataset.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace gear::plugins {
namespace image_io {

std::vector<uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(file.string() + ": cannot open: " + std::strerror(errno));
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  if (error) throw DataError(file.string() + ": cannot read its size: " + error.message());
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) throw DataError(file.string() + ": read error");
  return bytes;
}

}  // namespace image_io
}  // namespace gear::plugins

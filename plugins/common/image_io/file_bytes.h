#pragma once

/// @file
/// Whole-file reads for the dataset and corruption-set readers.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace gear::plugins {
namespace image_io {

/// The bytes of `file`. Throws DataError naming the file when it cannot be opened or read.
std::vector<uint8_t> read_bytes(const std::filesystem::path& file);

}  // namespace image_io
}  // namespace gear::plugins

#pragma once

/// @file
/// Reads a whole data file into memory, gunzipping it when its name ends in ".gz".

#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins::datasets {

/// The file's bytes (decompressed for "*.gz"). Throws DataError naming the file when it cannot
/// be opened, is not gzip though named so, or holds corrupt or truncated compressed data.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace gear::plugins::datasets

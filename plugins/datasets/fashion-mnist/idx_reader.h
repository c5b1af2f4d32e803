#pragma once

/// @file
/// Reader for IDX files (the MNIST format): a big-endian header, then raw unsigned bytes.

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace gear::plugins::datasets {

/// Reads an IDX file of unsigned bytes with `rank` dimensions (3 for images, 1 for labels),
/// plain or gzip-compressed ("*.gz"). Returns a contiguous uint8 CPU tensor shaped as the header
/// declares. Throws DataError naming the file for a wrong magic number, a short header, missing
/// or surplus data bytes, or a gzip problem.
torch::Tensor read_idx(const std::string& path, int rank);

}  // namespace gear::plugins::datasets

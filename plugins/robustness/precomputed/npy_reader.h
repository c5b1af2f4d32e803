#pragma once

/// @file
/// Reader for NumPy .npy files (format versions 1.0, 2.0 and 3.0), as the released CIFAR-10-C,
/// CIFAR-100-C and MNIST-C sets ship them.

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace gear::plugins {
namespace robustness {

/// What an .npy header declares.
struct NpyHeader {
  torch::ScalarType dtype = torch::kByte;
  /// Empty for a 0-d array.
  std::vector<int64_t> shape;
  /// Byte offset of the first data byte.
  int64_t data_offset = 0;
  /// Bytes of data the shape and dtype call for.
  int64_t data_bytes = 0;
};

/// Reads and checks only the header (no data), e.g. to learn a 150 MB file's shape cheaply.
/// Throws DataError naming the file for a missing file, bad magic, an unsupported version,
/// a malformed header, an unsupported dtype, Fortran order or big-endian data.
NpyHeader read_npy_header(const std::filesystem::path& file);

/// Reads a C-ordered little-endian array of dtype |u1, |i1, <i2, <i4, <i8, <f4, <f8 or |b1
/// (the '<', '|' and '=' spellings of one-byte types are all accepted) into a contiguous CPU
/// tensor of the declared shape, with one read into the tensor's storage. Throws DataError as
/// read_npy_header does, and for data shorter or longer than the header declares.
torch::Tensor read_npy(const std::filesystem::path& file);

}  // namespace robustness
}  // namespace gear::plugins

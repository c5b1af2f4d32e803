#pragma once

/// @file
/// What sending a frame costs: the size of its encoding, measured by encoding it.

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace gear::host {

/// `image` (uint8 [C, H, W], C 1 or 3; borrowed, any device) as a baseline JPEG file at
/// `quality` (1..100; 4:2:0 for colour), encoded with libjpeg.
std::vector<uint8_t> encode_jpeg(const torch::Tensor& image, int quality);

/// Decodes a JPEG file to uint8 [C, H, W] at its own channel count (1 for greyscale, else 3).
/// Throws std::runtime_error for data libjpeg cannot decode.
torch::Tensor decode_jpeg(const std::vector<uint8_t>& file);

/// Bytes of each frame of uint8 `frames` [F, C, H, W] (C 1 or 3; borrowed, any device) encoded
/// by encode_jpeg at `quality`: the file a device would upload, headers included.
std::vector<int64_t> jpeg_sizes(const torch::Tensor& frames, int quality);

/// `frames` (uint8 [F, C, H, W], C 1 or 3; borrowed) as they arrive after a JPEG at `quality`:
/// encoded with encode_jpeg and decoded with libjpeg, on the CPU. Each frame's file size goes to
/// `sizes` when it is not null.
torch::Tensor jpeg_round_trip(const torch::Tensor& frames, int quality,
                              std::vector<int64_t>* sizes = nullptr);

/// Bytes of `symbols` (uint8, any shape, borrowed) compressed with zlib at its best level, plus
/// a 4-byte length header: what a split model sends for a quantized tensor.
int64_t deflated_size(const torch::Tensor& symbols);

}  // namespace gear::host

#pragma once

/// @file
/// JPEG decoding through libjpeg(-turbo), with every libjpeg failure turned into a DataError.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins {
namespace image_io {

/// Decodes a baseline or progressive JPEG to uint8 [3, H, W] RGB. A greyscale JPEG comes back
/// with its one channel replicated three times. Throws DataError naming `name_for_errors` for
/// a CMYK/YCCK JPEG, corrupt or truncated data (libjpeg's "premature end" and "corrupt data"
/// warnings count as errors, since libjpeg would fill the rest of the image with grey), or an
/// image over 2^28 samples. Thread-safe: the decoder keeps no shared state.
torch::Tensor decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name_for_errors);

/// As decode_jpeg, but a greyscale JPEG comes back as uint8 [1, H, W]; colour ones as [3, H, W].
torch::Tensor decode_jpeg_native(const std::vector<uint8_t>& bytes,
                                 const std::string& name_for_errors);

}  // namespace image_io
}  // namespace gear::plugins

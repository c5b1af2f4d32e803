#pragma once

/// @file
/// PNG decoding through libpng, with every libpng failure turned into a DataError.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins {
namespace image_io {

/// Decodes a PNG to uint8 [C, H, W]: C = 1 for greyscale and grey+alpha images, C = 3 for RGB,
/// RGBA and palette images. Alpha (and tRNS transparency) is dropped, not composited; 16-bit
/// samples keep their high byte (as Pillow reads 16-bit RGB); 1, 2 and 4-bit greyscale is
/// scaled to 0..255; gamma and colour-profile chunks are ignored; interlaced images decode too.
/// Throws DataError naming `name_for_errors` for a file that is not a PNG, corrupt or truncated
/// data (a CRC error in a critical chunk, broken IDAT data, too little image data), or an image
/// over 2^28 samples. Warnings about ancillary chunks ("iCCP: known incorrect sRGB profile")
/// are ignored. Thread-safe: the decoder keeps no shared state.
torch::Tensor decode_png(const std::vector<uint8_t>& bytes, const std::string& name_for_errors);

}  // namespace image_io
}  // namespace gear::plugins

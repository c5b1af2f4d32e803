#pragma once

/// @file
/// Decoding an image file of either supported format, recognised by its first bytes.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins {
namespace image_io {

enum class ImageFormat { kUnknown, kJpeg, kPng };

/// The format the first bytes announce: JPEG (FF D8 FF) or PNG (89 50 4E 47 0D 0A 1A 0A).
ImageFormat sniff_format(const uint8_t* data, size_t size);

/// Decodes a JPEG or PNG, whatever its file name says, to uint8 [C, H, W]: C = 1 for greyscale
/// sources (grey JPEGs; grey and grey+alpha PNGs), C = 3 for colour ones. See decode_jpeg_native
/// and decode_png for the details. Throws DataError naming `name_for_errors` for another format
/// ("<file>: not a JPEG or PNG image"), an empty file, or any decoding failure.
torch::Tensor decode_image(const std::vector<uint8_t>& bytes, const std::string& name_for_errors);

}  // namespace image_io
}  // namespace gear::plugins

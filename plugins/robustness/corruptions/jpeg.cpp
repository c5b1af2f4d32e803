// jpeg_compression: each image encoded and decoded by libjpeg at the severity's quality, with
// the settings Pillow uses by default (4:2:0 chroma subsampling for colour, baseline, islow DCT).
#include <ATen/Parallel.h>
#include <jpeglib.h>
#include <torch/torch.h>

#include <csetjmp>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "corruption_ops.h"

namespace gear::plugins::corruptions {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Encodes an interleaved [H, W, C] image and decodes it again into the same buffer. Returns an
// error message, or "" on success. No C++ object with a destructor lives across setjmp.
std::string round_trip(uint8_t* pixels, int h, int w, int channels, int quality) {
  ErrorManager errors;
  unsigned char* encoded = nullptr;
  unsigned long encoded_size = 0;
  jpeg_compress_struct enc;
  jpeg_decompress_struct dec;
  enc.err = jpeg_std_error(&errors.base);
  dec.err = enc.err;
  errors.base.error_exit = on_error;
  bool enc_made = false, dec_made = false;
  if (setjmp(errors.jump)) {
    if (enc_made) jpeg_destroy_compress(&enc);
    if (dec_made) jpeg_destroy_decompress(&dec);
    std::free(encoded);
    return errors.message;
  }
  jpeg_create_compress(&enc);
  enc_made = true;
  jpeg_mem_dest(&enc, &encoded, &encoded_size);
  enc.image_width = static_cast<JDIMENSION>(w);
  enc.image_height = static_cast<JDIMENSION>(h);
  enc.input_components = channels;
  enc.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&enc);
  jpeg_set_quality(&enc, quality, TRUE);
  jpeg_start_compress(&enc, TRUE);
  while (enc.next_scanline < enc.image_height) {
    JSAMPROW row = pixels + static_cast<size_t>(enc.next_scanline) * w * channels;
    jpeg_write_scanlines(&enc, &row, 1);
  }
  jpeg_finish_compress(&enc);
  jpeg_destroy_compress(&enc);
  enc_made = false;
  jpeg_create_decompress(&dec);
  dec_made = true;
  jpeg_mem_src(&dec, encoded, encoded_size);
  jpeg_read_header(&dec, TRUE);
  dec.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&dec);
  while (dec.output_scanline < dec.output_height) {
    JSAMPROW row = pixels + static_cast<size_t>(dec.output_scanline) * w * channels;
    jpeg_read_scanlines(&dec, &row, 1);
  }
  jpeg_finish_decompress(&dec);
  jpeg_destroy_decompress(&dec);
  std::free(encoded);
  return "";
}

}  // namespace

torch::Tensor jpeg_compression(const torch::Tensor& x, int severity, torch::Generator&) {
  const int quality = large(x) ? std::vector<int>{65, 58, 50, 40, 25}[severity - 1]
                               : std::vector<int>{80, 65, 58, 50, 40}[severity - 1];
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  // Pillow encodes the uint8 image: interleave [N, H, W, C].
  torch::Tensor hwc =
      (x * 255).round().clamp(0, 255).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
  uint8_t* data = hwc.data_ptr<uint8_t>();
  std::vector<std::string> failures(static_cast<size_t>(n));
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      failures[i] = round_trip(data + i * h * w * c, static_cast<int>(h), static_cast<int>(w),
                               static_cast<int>(c), quality);
  });
  for (int64_t i = 0; i < n; ++i)
    if (!failures[i].empty())
      throw std::runtime_error("jpeg_compression: libjpeg failed on image " + std::to_string(i) +
                               ": " + failures[i]);
  return hwc.permute({0, 3, 1, 2}).to(x.scalar_type());
}

}  // namespace gear::plugins::corruptions

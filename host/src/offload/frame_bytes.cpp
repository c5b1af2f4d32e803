// Encoded sizes: libjpeg for frames, zlib for a split model's quantized tensors.
#include "gear/host/offload/frame_bytes.h"

#include <jpeglib.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace gear::host {
namespace {

// libjpeg's default error handler exits the process; turn its errors into exceptions.
void throw_on_error(j_common_ptr info) {
  char message[JMSG_LENGTH_MAX];
  (*info->err->format_message)(info, message);
  throw std::runtime_error(std::string("libjpeg: ") + message);
}

std::vector<uint8_t> encode_hwc(const uint8_t* hwc, int height, int width, int channels,
                                int quality) {
  jpeg_compress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);
  error.error_exit = throw_on_error;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_create_compress(&info);
  try {
    jpeg_mem_dest(&info, &buffer, &size);
    info.image_width = static_cast<JDIMENSION>(width);
    info.image_height = static_cast<JDIMENSION>(height);
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
      JSAMPROW row = const_cast<uint8_t*>(hwc) + static_cast<size_t>(info.next_scanline) *
                                                     static_cast<size_t>(width * channels);
      jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
  } catch (...) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    throw;
  }
  jpeg_destroy_compress(&info);
  std::vector<uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

void check_frames(const torch::Tensor& frames, int64_t dims, const char* what) {
  if (frames.dim() != dims || frames.scalar_type() != torch::kUInt8 ||
      (frames.size(dims - 3) != 1 && frames.size(dims - 3) != 3))
    throw std::invalid_argument(std::string(what) + ": expected uint8 images with 1 or 3 channels");
}

// Decodes `file` into `out` (H * W * channels bytes, interleaved) at its own channel count.
void decode_hwc(const std::vector<uint8_t>& file, uint8_t* out, int channels) {
  jpeg_decompress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);
  error.error_exit = throw_on_error;
  jpeg_create_decompress(&info);
  try {
    jpeg_mem_src(&info, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&info, TRUE);
    info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    const size_t stride = static_cast<size_t>(info.output_width) * static_cast<size_t>(channels);
    while (info.output_scanline < info.output_height) {
      JSAMPROW row = out + static_cast<size_t>(info.output_scanline) * stride;
      jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
  } catch (...) {
    jpeg_destroy_decompress(&info);
    throw;
  }
  jpeg_destroy_decompress(&info);
}

}  // namespace

torch::Tensor jpeg_round_trip(const torch::Tensor& frames, int quality,
                              std::vector<int64_t>* sizes) {
  check_frames(frames, 4, "jpeg_round_trip");
  const torch::Tensor hwc = frames.cpu().permute({0, 2, 3, 1}).contiguous();
  torch::Tensor out = torch::empty_like(hwc);
  const int h = static_cast<int>(frames.size(2)), w = static_cast<int>(frames.size(3)),
            c = static_cast<int>(frames.size(1));
  const size_t frame = static_cast<size_t>(h * w * c);
  if (sizes) sizes->clear();
  for (int64_t i = 0; i < frames.size(0); ++i) {
    const std::vector<uint8_t> file =
        encode_hwc(hwc.data_ptr<uint8_t>() + static_cast<size_t>(i) * frame, h, w, c, quality);
    decode_hwc(file, out.data_ptr<uint8_t>() + static_cast<size_t>(i) * frame, c);
    if (sizes) sizes->push_back(static_cast<int64_t>(file.size()));
  }
  return out.permute({0, 3, 1, 2}).contiguous();
}

torch::Tensor decode_jpeg(const std::vector<uint8_t>& file) {
  jpeg_decompress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);
  error.error_exit = throw_on_error;
  jpeg_create_decompress(&info);
  int64_t channels = 1, height = 0, width = 0;
  try {
    jpeg_mem_src(&info, file.data(), static_cast<unsigned long>(file.size()));
    jpeg_read_header(&info, TRUE);
    channels = info.num_components == 1 ? 1 : 3;
    height = info.image_height;
    width = info.image_width;
  } catch (...) {
    jpeg_destroy_decompress(&info);
    throw;
  }
  jpeg_destroy_decompress(&info);
  torch::Tensor hwc = torch::empty({height, width, channels}, torch::kUInt8);
  decode_hwc(file, hwc.data_ptr<uint8_t>(), static_cast<int>(channels));
  return hwc.permute({2, 0, 1}).contiguous();
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& image, int quality) {
  check_frames(image, 3, "encode_jpeg");
  const torch::Tensor hwc = image.cpu().permute({1, 2, 0}).contiguous();
  return encode_hwc(hwc.data_ptr<uint8_t>(), static_cast<int>(image.size(1)),
                    static_cast<int>(image.size(2)), static_cast<int>(image.size(0)), quality);
}

std::vector<int64_t> jpeg_sizes(const torch::Tensor& frames, int quality) {
  check_frames(frames, 4, "jpeg_sizes");
  const torch::Tensor hwc = frames.cpu().permute({0, 2, 3, 1}).contiguous();
  const int h = static_cast<int>(frames.size(2)), w = static_cast<int>(frames.size(3)),
            c = static_cast<int>(frames.size(1));
  std::vector<int64_t> sizes(static_cast<size_t>(frames.size(0)));
  const uint8_t* data = hwc.data_ptr<uint8_t>();
  for (size_t i = 0; i < sizes.size(); ++i)
    sizes[i] = static_cast<int64_t>(
        encode_hwc(data + i * static_cast<size_t>(h * w * c), h, w, c, quality).size());
  return sizes;
}

int64_t deflated_size(const torch::Tensor& symbols) {
  const torch::Tensor bytes = symbols.cpu().contiguous();
  const auto length = static_cast<uLong>(bytes.numel());
  uLongf out_length = compressBound(length);
  std::unique_ptr<Bytef[]> out(new Bytef[out_length]);
  if (compress2(out.get(), &out_length, bytes.data_ptr<uint8_t>(), length, Z_BEST_COMPRESSION) !=
      Z_OK)
    throw std::runtime_error("deflated_size: zlib failed");
  return static_cast<int64_t>(out_length) + 4;
}

}  // namespace gear::host

// png: libpng encode to memory and decode back, one image per task.
#include <png.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec_steps.h"
#include "step_support.h"

namespace gear::plugins::devices {
namespace {

// The encoded stream, owned by the caller of the coding functions (it outlives every jump).
struct PngBytes {
  std::vector<uint8_t> data;
  size_t read_at = 0;
};

// One libpng coder and the message of its last error.
struct PngCoder {
  png_structp png = nullptr;
  png_infop info = nullptr;
  char message[256] = "";
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* coder = static_cast<PngCoder*>(png_get_error_ptr(png));
  std::snprintf(coder->message, sizeof(coder->message), "libpng: %s", message);
  png_longjmp(png, 1);
}

// Warnings (ancillary chunks and the like) are no failure, and a library must not print.
void on_png_warning(png_structp, png_const_charp) {}

void append_png_bytes(png_structp png, png_bytep bytes, size_t length) {
  auto* stream = static_cast<PngBytes*>(png_get_io_ptr(png));
  bool stored = true;
  try {
    stream->data.insert(stream->data.end(), bytes, bytes + length);
  } catch (const std::bad_alloc&) {
    stored = false;
  }
  // Outside the handler: png_error jumps, and no exception may be in flight when it does.
  if (!stored) png_error(png, "out of memory");
}

void flush_png_bytes(png_structp) {}

void take_png_bytes(png_structp png, png_bytep bytes, size_t length) {
  auto* stream = static_cast<PngBytes*>(png_get_io_ptr(png));
  if (length > stream->data.size() - stream->read_at) png_error(png, "read past the stream's end");
  std::memcpy(bytes, stream->data.data() + stream->read_at, length);
  stream->read_at += length;
}

// The coding functions return false after a libpng error, its message in the coder. Nothing with
// a destructor lives in their frames, so a jump back to setjmp skips nothing.
bool encode_png(PngCoder* coder, PngBytes* stream, const uint8_t* pixels, int h, int w,
                int channels, int level) {
  coder->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, coder, on_png_error, on_png_warning);
  if (coder->png != nullptr) coder->info = png_create_info_struct(coder->png);
  if (coder->info == nullptr) {
    std::snprintf(coder->message, sizeof(coder->message), "libpng: cannot create an encoder");
    return false;
  }
  if (setjmp(png_jmpbuf(coder->png))) return false;
  png_set_write_fn(coder->png, stream, append_png_bytes, flush_png_bytes);
  png_set_compression_level(coder->png, level);
  png_set_IHDR(coder->png, coder->info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(coder->png, coder->info);
  for (int y = 0; y < h; ++y)
    png_write_row(coder->png, pixels + static_cast<size_t>(y) * w * channels);
  png_write_end(coder->png, nullptr);
  return true;
}

bool decode_png(PngCoder* coder, PngBytes* stream, uint8_t* pixels, int h, int w, int channels) {
  coder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, coder, on_png_error, on_png_warning);
  if (coder->png != nullptr) coder->info = png_create_info_struct(coder->png);
  if (coder->info == nullptr) {
    std::snprintf(coder->message, sizeof(coder->message), "libpng: cannot create a decoder");
    return false;
  }
  if (setjmp(png_jmpbuf(coder->png))) return false;
  png_set_read_fn(coder->png, stream, take_png_bytes);
  png_read_info(coder->png, coder->info);
  if (png_get_image_width(coder->png, coder->info) != static_cast<png_uint_32>(w) ||
      png_get_image_height(coder->png, coder->info) != static_cast<png_uint_32>(h) ||
      png_get_channels(coder->png, coder->info) != channels ||
      png_get_bit_depth(coder->png, coder->info) != 8) {
    // Cannot happen for a stream just written, but the buffer must never be overrun.
    std::snprintf(coder->message, sizeof(coder->message), "libpng: decoded shape differs");
    return false;
  }
  for (int y = 0; y < h; ++y)
    png_read_row(coder->png, pixels + static_cast<size_t>(y) * w * channels, nullptr);
  png_read_end(coder->png, nullptr);
  return true;
}

std::string round_trip_png(uint8_t* pixels, int h, int w, int channels, int level) {
  PngBytes stream;
  PngCoder encoder;
  const bool encoded = encode_png(&encoder, &stream, pixels, h, w, channels, level);
  png_destroy_write_struct(&encoder.png, &encoder.info);
  if (!encoded) return encoder.message;
  PngCoder decoder;
  const bool decoded = decode_png(&decoder, &stream, pixels, h, w, channels);
  png_destroy_read_struct(&decoder.png, &decoder.info, nullptr);
  return decoded ? "" : decoder.message;
}

}  // namespace

const OptionBinder<PngOptions>& PngStep::binder() {
  static const OptionBinder<PngOptions> binder = [] {
    using O = PngOptions;
    OptionBinder<O> b;
    b.bind("compression", &O::compression,
           "zlib compression level: 0 (stored) to 9 (smallest); changes time, never pixels")
        .range(0, 9);
    return b;
  }();
  return binder;
}

OptionSchema PngStep::schema() { return binder().schema(); }

PngStep::PngStep(const Config& config) : PngStep(binder().read(config)) {}

PngStep::PngStep(PngOptions options) : options_(options) {
  check_options("png", binder().schema(options_));
}

bool PngStep::lossless() const { return true; }

torch::Tensor PngStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("png", images);
  const int level = static_cast<int>(options_.compression);
  return map_interleaved("png", images, [level](uint8_t* pixels, int h, int w, int c) {
    return round_trip_png(pixels, h, w, c, level);
  });
}

}  // namespace gear::plugins::devices

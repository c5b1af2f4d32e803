#include "png_decode.h"

#include <gear/dataset.h>
#include <png.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace gear::plugins {
namespace image_io {
namespace {

// Refuses absurd header dimensions before allocating (as the JPEG decoder does).
constexpr uint64_t kMaxPngSamples = uint64_t{1} << 28;
constexpr size_t kSignatureBytes = 8;

/// Everything the libpng callbacks and the setjmp scope share. Plain data only: longjmp skips
/// destructors, so no object that owns anything may live between setjmp and longjmp.
struct PngDecodeContext {
  const uint8_t* data;
  size_t size, offset;
  char message[256];
  char warning[256];  // The first warning that means the pixels are wrong; empty if none.
  uint8_t* pixels;    // malloc'd, height rows of `row_bytes`, interleaved samples.
  png_bytep* rows;    // malloc'd row pointers into `pixels`.
  uint32_t width, height;
  int samples_per_pixel;  // After the transformations: 1 to 4.
  int colour_channels;    // What the caller gets: 1 or 3.
};

void copy_message(char* to, size_t capacity, const char* text) {
  std::snprintf(to, capacity, "%s", text ? text : "unknown error");
}

[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto* context = static_cast<PngDecodeContext*>(png_get_error_ptr(png));
  copy_message(context->message, sizeof context->message, message);
  png_longjmp(png, 1);
}

// libpng formats chunk warnings as "<chunk name>: <text>". An ancillary chunk (lower-case first
// letter: iCCP, sRGB, tEXt, ...) does not affect the pixels, so its problems are harmless.
bool about_ancillary_chunk(const char* message) {
  if (std::strlen(message) < 5 || message[4] != ':') return false;
  for (int i = 0; i < 4; ++i)
    if (!std::isalpha(static_cast<unsigned char>(message[i]))) return false;
  return std::islower(static_cast<unsigned char>(message[0])) != 0;
}

// Surplus compressed data after a complete image leaves the pixels intact.
bool about_surplus_data(const char* message) {
  return std::strstr(message, "Extra compressed data") != nullptr ||
         std::strstr(message, "Too much image data") != nullptr;
}

// Other warnings ("Not enough image data", an IDAT problem) mean the pixels are invented: like
// the JPEG decoder, treat them as errors, once libpng has returned.
void on_warning(png_structp png, png_const_charp message) {
  auto* context = static_cast<PngDecodeContext*>(png_get_error_ptr(png));
  if (message == nullptr || about_ancillary_chunk(message) || about_surplus_data(message)) return;
  if (context->warning[0] == '\0') copy_message(context->warning, sizeof context->warning, message);
}

void on_read(png_structp png, png_bytep out, png_size_t count) {
  auto* context = static_cast<PngDecodeContext*>(png_get_io_ptr(png));
  if (count > context->size - context->offset) png_error(png, "truncated file");
  std::memcpy(out, context->data + context->offset, count);
  context->offset += count;
}

bool decode_raw(PngDecodeContext* context) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, &on_error, &on_warning);
  if (png == nullptr) {
    copy_message(context->message, sizeof context->message, "cannot initialise libpng");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    copy_message(context->message, sizeof context->message, "cannot initialise libpng");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::free(context->rows);
    std::free(context->pixels);
    context->rows = nullptr;
    context->pixels = nullptr;
    return false;
  }
  png_set_read_fn(png, context, &on_read);
  png_read_info(png, info);
  const int colour_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (colour_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (colour_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  context->width = png_get_image_width(png, info);
  context->height = png_get_image_height(png, info);
  context->samples_per_pixel = png_get_channels(png, info);
  context->colour_channels = (colour_type & PNG_COLOR_MASK_COLOR) ? 3 : 1;
  const uint64_t samples = uint64_t{context->width} * context->height *
                           static_cast<uint64_t>(context->samples_per_pixel);
  const size_t row_bytes = png_get_rowbytes(png, info);
  if (samples == 0 || samples > kMaxPngSamples || png_get_bit_depth(png, info) != 8 ||
      row_bytes != size_t{context->width} * context->samples_per_pixel) {
    std::snprintf(context->message, sizeof context->message,
                  "unsupported image: %ux%u pixels, %d samples of %d bits", context->width,
                  context->height, context->samples_per_pixel, png_get_bit_depth(png, info));
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  context->pixels = static_cast<uint8_t*>(std::malloc(samples));
  context->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * context->height));
  if (context->pixels == nullptr || context->rows == nullptr) png_error(png, "out of memory");
  for (uint32_t y = 0; y < context->height; ++y) context->rows[y] = context->pixels + y * row_bytes;
  png_read_image(png, context->rows);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  std::free(context->rows);
  context->rows = nullptr;
  if (context->warning[0] != '\0') {
    copy_message(context->message, sizeof context->message, context->warning);
    std::free(context->pixels);
    context->pixels = nullptr;
    return false;
  }
  return true;
}

}  // namespace

torch::Tensor decode_png(const std::vector<uint8_t>& bytes, const std::string& name_for_errors) {
  if (bytes.size() < kSignatureBytes || png_sig_cmp(bytes.data(), 0, kSignatureBytes) != 0)
    throw DataError(name_for_errors + ": not a PNG file (no PNG signature)");
  PngDecodeContext context{};
  context.data = bytes.data();
  context.size = bytes.size();
  if (!decode_raw(&context)) throw DataError(name_for_errors + ": corrupt PNG: " + context.message);
  const std::unique_ptr<uint8_t, decltype(&std::free)> owned(context.pixels, &std::free);
  const int64_t height = context.height, width = context.width;
  // Keeps the colour samples of each pixel (drops alpha); always a copy, never a view of `owned`.
  return torch::from_blob(context.pixels, {height, width, context.samples_per_pixel}, torch::kByte)
      .narrow(2, 0, context.colour_channels)
      .permute({2, 0, 1})
      .clone(torch::MemoryFormat::Contiguous);
}

}  // namespace image_io
}  // namespace gear::plugins

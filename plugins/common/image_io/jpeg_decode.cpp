#include "jpeg_decode.h"

#include <gear/dataset.h>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace gear::plugins {
namespace image_io {
namespace {

// Refuses absurd header dimensions before allocating; Tiny-ImageNet-C needs 64 * 64 * 3.
constexpr uint64_t kMaxJpegSamples = uint64_t{1} << 28;

/// Everything the libjpeg callbacks and the setjmp scope share. Plain data only: longjmp skips
/// destructors, so no object that owns anything may live between setjmp and longjmp.
struct JpegDecodeContext {
  jpeg_error_mgr error;  // First member: libjpeg hands the callbacks this address.
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool cmyk;
  uint8_t* pixels;  // malloc'd, height * width * components, interleaved.
  int width, height, components;
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* context = reinterpret_cast<JpegDecodeContext*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, context->message);
  std::longjmp(context->jump, 1);
}

// libjpeg only warns about truncated or corrupt entropy data and then decodes grey pixels;
// a benchmark image with invented pixels must fail instead.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // Trace messages.
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
      code == JWRN_MUST_RESYNC || code == JWRN_NOT_SEQUENTIAL || code == JWRN_BOGUS_PROGRESSION)
    on_error(cinfo);
  // Other warnings (an unknown JFIF revision, a bogus ICC profile) leave the pixels intact.
}

// The default prints to stderr; messages reach the user through DataError instead.
void on_output(j_common_ptr) {}

bool decode_raw(const uint8_t* data, size_t size, JpegDecodeContext* context) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&context->error);
  context->error.error_exit = on_error;
  context->error.emit_message = on_message;
  context->error.output_message = on_output;
  if (setjmp(context->jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::free(context->pixels);
    context->pixels = nullptr;
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    context->cmyk = true;
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  // Checked on the header's size, before jpeg_start_decompress: for a progressive JPEG that call
  // already reserves coefficient buffers for the whole image and reads every scan, so a 500-byte
  // file claiming 60000x60000 pixels cost seconds and ~20 GB of address space before it was
  // refused. No scaling is requested, so the output has the header's size (checked below).
  const uint64_t samples = uint64_t{cinfo.image_width} * cinfo.image_height *
                           (cinfo.out_color_space == JCS_GRAYSCALE ? 1u : 3u);
  if (samples > kMaxJpegSamples || samples == 0) {
    std::snprintf(context->message, sizeof context->message, "unsupported image size %ux%u",
                  cinfo.image_width, cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  if (uint64_t{cinfo.output_width} * cinfo.output_height *
          static_cast<uint64_t>(cinfo.output_components) !=
      samples) {
    std::snprintf(context->message, sizeof context->message, "unexpected output size %ux%ux%d",
                  cinfo.output_width, cinfo.output_height, cinfo.output_components);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  context->width = static_cast<int>(cinfo.output_width);
  context->height = static_cast<int>(cinfo.output_height);
  context->components = cinfo.output_components;
  context->pixels = static_cast<uint8_t*>(std::malloc(samples));
  if (context->pixels == nullptr) {
    std::snprintf(context->message, sizeof context->message, "out of memory");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const size_t stride = static_cast<size_t>(context->width) * context->components;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = context->pixels + cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

torch::Tensor decode_jpeg_native(const std::vector<uint8_t>& bytes,
                                 const std::string& name_for_errors) {
  JpegDecodeContext context{};
  if (!decode_raw(bytes.data(), bytes.size(), &context)) {
    if (context.cmyk)
      throw DataError(name_for_errors + ": CMYK JPEGs are not supported; convert it to RGB");
    throw DataError(name_for_errors + ": corrupt JPEG: " + context.message);
  }
  const std::unique_ptr<uint8_t, decltype(&std::free)> owned(context.pixels, &std::free);
  const int64_t height = context.height, width = context.width;
  // Always a copy: a 1x1 view may already count as contiguous and would outlive `owned`.
  return torch::from_blob(context.pixels, {height, width, context.components}, torch::kByte)
      .permute({2, 0, 1})
      .clone(torch::MemoryFormat::Contiguous);
}

torch::Tensor decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name_for_errors) {
  torch::Tensor chw = decode_jpeg_native(bytes, name_for_errors);
  if (chw.size(0) == 1) chw = chw.expand({3, chw.size(1), chw.size(2)}).contiguous();
  return chw;
}

}  // namespace image_io
}  // namespace gear::plugins

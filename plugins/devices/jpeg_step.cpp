// jpeg: libjpeg(-turbo) encode and decode in memory, one image per task.
#include <torch/torch.h>

#include <csetjmp>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "codec_steps.h"
#include "step_support.h"

// jpeglib.h uses FILE and size_t without including their headers, so the order matters.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
// clang-format on

namespace gear::plugins::devices {
namespace {

// The options as libjpeg takes them, fixed before any image is coded.
struct JpegSettings {
  int quality;
  int luma_h, luma_v;  // sampling factors of Y against Cb and Cr at 1 x 1
  J_DCT_METHOD dct;
  bool fancy;
};

struct JpegErrors {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// Everything the coding touches after setjmp lives here, outside the frame that calls setjmp, so
// that its values are well defined when libjpeg jumps back.
struct JpegCoders {
  JpegErrors errors;
  jpeg_compress_struct enc;
  jpeg_decompress_struct dec;
  bool enc_made = false, dec_made = false, encoded_complete = false;
  unsigned char* encoded = nullptr;
  unsigned long encoded_size = 0;
};

[[noreturn]] void on_jpeg_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Encodes the interleaved image at `pixels` and decodes it back over the same bytes. Returns
// false after a libjpeg error (message in s->errors). No object with a destructor lives in this
// frame, so the jump back skips nothing.
bool code_jpeg(JpegCoders* s, uint8_t* pixels, int h, int w, int channels,
               const JpegSettings& settings) {
  s->enc.err = jpeg_std_error(&s->errors.base);
  s->dec.err = &s->errors.base;
  s->errors.base.error_exit = on_jpeg_error;
  if (setjmp(s->errors.jump)) return false;

  jpeg_create_compress(&s->enc);
  s->enc_made = true;
  jpeg_mem_dest(&s->enc, &s->encoded, &s->encoded_size);
  s->enc.image_width = static_cast<JDIMENSION>(w);
  s->enc.image_height = static_cast<JDIMENSION>(h);
  s->enc.input_components = channels;
  s->enc.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&s->enc);
  jpeg_set_quality(&s->enc, settings.quality, TRUE);
  s->enc.dct_method = settings.dct;
  if (channels == 3) {
    s->enc.comp_info[0].h_samp_factor = settings.luma_h;
    s->enc.comp_info[0].v_samp_factor = settings.luma_v;
    for (int k = 1; k < 3; ++k) {
      s->enc.comp_info[k].h_samp_factor = 1;
      s->enc.comp_info[k].v_samp_factor = 1;
    }
  }
  jpeg_start_compress(&s->enc, TRUE);
  while (s->enc.next_scanline < s->enc.image_height) {
    JSAMPROW row = pixels + static_cast<size_t>(s->enc.next_scanline) * w * channels;
    jpeg_write_scanlines(&s->enc, &row, 1);
  }
  jpeg_finish_compress(&s->enc);
  s->encoded_complete = true;
  jpeg_destroy_compress(&s->enc);
  s->enc_made = false;

  jpeg_create_decompress(&s->dec);
  s->dec_made = true;
  jpeg_mem_src(&s->dec, s->encoded, s->encoded_size);
  jpeg_read_header(&s->dec, TRUE);
  s->dec.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  s->dec.dct_method = settings.dct;
  s->dec.do_fancy_upsampling = settings.fancy ? TRUE : FALSE;
  jpeg_start_decompress(&s->dec);
  if (s->dec.output_width != static_cast<JDIMENSION>(w) ||
      s->dec.output_height != static_cast<JDIMENSION>(h) || s->dec.output_components != channels) {
    // Cannot happen for a stream just written, but the buffer must never be overrun.
    std::snprintf(s->errors.message, sizeof(s->errors.message), "decoded shape differs");
    return false;
  }
  while (s->dec.output_scanline < s->dec.output_height) {
    JSAMPROW row = pixels + static_cast<size_t>(s->dec.output_scanline) * w * channels;
    jpeg_read_scanlines(&s->dec, &row, 1);
  }
  jpeg_finish_decompress(&s->dec);
  return true;
}

std::string round_trip_jpeg(uint8_t* pixels, int h, int w, int channels,
                            const JpegSettings& settings) {
  JpegCoders s;
  const bool ok = code_jpeg(&s, pixels, h, w, channels, settings);
  if (s.enc_made) jpeg_destroy_compress(&s.enc);
  if (s.dec_made) jpeg_destroy_decompress(&s.dec);
  // Until the encoder finishes, libjpeg-turbo may have replaced (and freed) the buffer it last
  // reported, so only a finished stream is ours to free; the unfinished case leaks one buffer on
  // a path reached only when memory runs out.
  if (s.encoded_complete) std::free(s.encoded);
  return ok ? "" : std::string("libjpeg: ") + s.errors.message;
}

JpegSettings settings_of(const JpegOptions& o) {
  JpegSettings s{};
  s.quality = static_cast<int>(o.quality);
  s.luma_h = o.subsampling == "444" ? 1 : 2;
  s.luma_v = o.subsampling == "420" ? 2 : 1;
  s.dct = o.dct == "ifast" ? JDCT_IFAST : o.dct == "float" ? JDCT_FLOAT : JDCT_ISLOW;
  s.fancy = o.fancy_upsampling;
  return s;
}

}  // namespace

const OptionBinder<JpegOptions>& JpegStep::binder() {
  static const OptionBinder<JpegOptions> binder = [] {
    using O = JpegOptions;
    OptionBinder<O> b;
    b.bind("quality", &O::quality, "libjpeg quality (scales the standard quantisation tables)")
        .range(1, 100);
    b.bind("subsampling", &O::subsampling,
           "chroma subsampling of colour images: 444 (none), 422 (half width), 420 (half width "
           "and height); grey images have no chroma")
        .one_of({"444", "422", "420"});
    b.bind("dct", &O::dct,
           "DCT of the encoder and the decoder: islow (accurate integer), ifast (fast integer, "
           "less accurate), float")
        .one_of({"islow", "ifast", "float"});
    b.bind("fancy_upsampling", &O::fancy_upsampling,
           "decoder: smooth (triangle) chroma upsampling instead of replicating chroma samples");
    return b;
  }();
  return binder;
}

OptionSchema JpegStep::schema() { return binder().schema(); }

JpegStep::JpegStep(const Config& config) : JpegStep(binder().read(config)) {}

JpegStep::JpegStep(JpegOptions options) : options_(std::move(options)) {
  check_options("jpeg", binder().schema(options_));
}

torch::Tensor JpegStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("jpeg", images);
  // libjpeg's limit on either side.
  if (images.size(2) > JPEG_MAX_DIMENSION || images.size(3) > JPEG_MAX_DIMENSION)
    throw std::invalid_argument("jpeg: images are limited to " +
                                std::to_string(JPEG_MAX_DIMENSION) + " pixels a side");
  const JpegSettings settings = settings_of(options_);
  return map_interleaved("jpeg", images, [&settings](uint8_t* pixels, int h, int w, int c) {
    return round_trip_jpeg(pixels, h, w, c, settings);
  });
}

}  // namespace gear::plugins::devices

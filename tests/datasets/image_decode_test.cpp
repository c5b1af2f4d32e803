// The shared image decoders (plugins/common/image_io): PNG in every colour type and depth,
// against files written with libpng's encoder; format sniffing; corrupt and truncated files.

#include "image_decode.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "image_writers.h"
#include "jpeg_decode.h"
#include "png_decode.h"
#include "test_files.h"

namespace gear::plugins::datasets {
namespace {

using image_io::decode_image;
using image_io::decode_png;
using robustness::testing::encode_jpeg;
using robustness::testing::flat_image;
using test::contains;
using test::data_error;
using test::encode_png;
using test::PngSpec;

// Interleaved samples 0, 1, 2, ... (mod 256): every sample distinct within an image.
std::vector<uint8_t> ramp(size_t count, int step = 1) {
  std::vector<uint8_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(i * step);
  return out;
}

// uint8 [C, H, W] from interleaved samples, keeping the first `keep` of each pixel's samples.
torch::Tensor chw(const std::vector<uint8_t>& samples, int64_t h, int64_t w, int64_t per_pixel,
                  int64_t keep) {
  return torch::tensor(std::vector<int64_t>(samples.begin(), samples.end()))
      .view({h, w, per_pixel})
      .narrow(2, 0, keep)
      .permute({2, 0, 1})
      .to(torch::kUInt8);
}

// A progressive 8x8 JPEG (libjpeg's encoder, jpeg_simple_progression) whose frame header then
// claims `width` x `height`.
std::vector<uint8_t> progressive_jpeg_claiming(uint16_t width, uint16_t height) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr error;
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = 8;
  cinfo.image_height = 8;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(8 * 3, 128);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> bytes(out, out + size);
  std::free(out);
  jpeg_destroy_compress(&cinfo);
  // SOF2: FF C2, a 2-byte length, the sample precision, then the height and width, big-endian.
  for (size_t i = 0; i + 9 < bytes.size(); ++i)
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xC2) {
      bytes[i + 5] = static_cast<uint8_t>(height >> 8);
      bytes[i + 6] = static_cast<uint8_t>(height);
      bytes[i + 7] = static_cast<uint8_t>(width >> 8);
      bytes[i + 8] = static_cast<uint8_t>(width);
      return bytes;
    }
  ADD_FAILURE() << "no SOF2 marker";
  return bytes;
}

// Peak virtual memory of this process (VmPeak), in bytes.
int64_t peak_virtual_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  int64_t kib = 0;
  while (status >> key)
    if (key == "VmPeak:") {
      status >> kib;
      break;
    }
  return kib * 1024;
}

PngSpec spec(int colour_type, int bit_depth = 8) {
  PngSpec s;
  s.colour_type = colour_type;
  s.bit_depth = bit_depth;
  return s;
}

TEST(PngDecode, EightBitColourTypesRoundTripExactlyAndDropAlpha) {
  const int w = 7, h = 5;
  struct Case {
    int colour_type, per_pixel, channels;
  };
  for (const Case& c : {Case{PNG_COLOR_TYPE_GRAY, 1, 1}, Case{PNG_COLOR_TYPE_GRAY_ALPHA, 2, 1},
                        Case{PNG_COLOR_TYPE_RGB, 3, 3}, Case{PNG_COLOR_TYPE_RGB_ALPHA, 4, 3}}) {
    const std::vector<uint8_t> samples = ramp(static_cast<size_t>(w * h * c.per_pixel), 3);
    const torch::Tensor image = decode_png(encode_png(w, h, samples, spec(c.colour_type)), "x.png");
    ASSERT_EQ(image.sizes(), (std::vector<int64_t>{c.channels, h, w})) << c.colour_type;
    EXPECT_EQ(image.scalar_type(), torch::kUInt8);
    EXPECT_TRUE(image.is_contiguous());
    EXPECT_TRUE(torch::equal(image, chw(samples, h, w, c.per_pixel, c.channels))) << c.colour_type;
  }
}

TEST(PngDecode, InterlacedImagesDecodeLikePlainOnes) {
  const std::vector<uint8_t> samples = ramp(13 * 11 * 3, 5);
  PngSpec interlaced = spec(PNG_COLOR_TYPE_RGB);
  interlaced.interlaced = true;
  EXPECT_TRUE(torch::equal(decode_png(encode_png(13, 11, samples, interlaced), "i.png"),
                           chw(samples, 11, 13, 3, 3)));
}

TEST(PngDecode, PaletteImagesBecomeRgbAndTransparencyIsDropped) {
  PngSpec palette = spec(PNG_COLOR_TYPE_PALETTE);
  palette.palette = {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7};
  const std::vector<uint8_t> indices = {0, 1, 2, 3, 3, 2, 1, 0};
  torch::Tensor expected = torch::empty({3, 2, 4}, torch::kUInt8);
  for (int i = 0; i < 8; ++i)
    for (int c = 0; c < 3; ++c) expected[c][i / 4][i % 4] = palette.palette[indices[i] * 3 + c];
  EXPECT_TRUE(torch::equal(decode_png(encode_png(4, 2, indices, palette), "p.png"), expected));
  palette.palette_alpha = {0, 128, 255, 7};  // tRNS: ignored, the colours stay
  EXPECT_TRUE(torch::equal(decode_png(encode_png(4, 2, indices, palette), "p.png"), expected));
  // A 2-bit palette.
  palette.bit_depth = 2;
  EXPECT_TRUE(torch::equal(decode_png(encode_png(4, 2, indices, palette), "p.png"), expected));
}

TEST(PngDecode, SixteenBitSamplesKeepTheirHighByteAndLowDepthGreyIsScaled) {
  const std::vector<uint16_t> wide = {0x0000, 0x01ff, 0x8000, 0xfffe, 0x1234, 0xabcd};
  const torch::Tensor rgb =
      decode_png(encode_png(2, 1, {}, spec(PNG_COLOR_TYPE_RGB, 16), wide), "w.png");
  // Pixels (0x0000, 0x01ff, 0x8000) and (0xfffe, 0x1234, 0xabcd), as planes R, G, B.
  EXPECT_TRUE(torch::equal(
      rgb, torch::tensor({0x00, 0xff, 0x01, 0x12, 0x80, 0xab}, torch::kUInt8).view({3, 1, 2})));
  const torch::Tensor grey =
      decode_png(encode_png(3, 2, {}, spec(PNG_COLOR_TYPE_GRAY, 16), wide), "g.png");
  EXPECT_TRUE(torch::equal(
      grey, torch::tensor({0x00, 0x01, 0x80, 0xff, 0x12, 0xab}, torch::kUInt8).view({1, 2, 3})));
  const torch::Tensor alpha =
      decode_png(encode_png(3, 1, {}, spec(PNG_COLOR_TYPE_GRAY_ALPHA, 16), wide), "ga.png");
  EXPECT_TRUE(
      torch::equal(alpha, torch::tensor({0x00, 0x80, 0x12}, torch::kUInt8).view({1, 1, 3})));
  // 1-bit grey: 0 and 1 become 0 and 255; 4-bit: v becomes v * 17.
  EXPECT_TRUE(torch::equal(
      decode_png(encode_png(5, 1, {0, 1, 1, 0, 1}, spec(PNG_COLOR_TYPE_GRAY, 1)), "b.png"),
      torch::tensor({0, 255, 255, 0, 255}, torch::kUInt8).view({1, 1, 5})));
  EXPECT_TRUE(
      torch::equal(decode_png(encode_png(3, 1, {0, 7, 15}, spec(PNG_COLOR_TYPE_GRAY, 4)), "n.png"),
                   torch::tensor({0, 119, 255}, torch::kUInt8).view({1, 1, 3})));
}

TEST(PngDecode, CorruptAndTruncatedFilesNameTheFile) {
  const std::vector<uint8_t> good = encode_png(16, 16, ramp(16 * 16 * 3), spec(PNG_COLOR_TYPE_RGB));
  // Truncated in the middle of the image data.
  std::vector<uint8_t> cut(good.begin(),
                           good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  EXPECT_TRUE(contains(data_error([&] { decode_png(cut, "cut.png"); }), "cut.png: corrupt PNG: "));
  // A flipped byte inside IDAT: libpng's CRC check of a critical chunk.
  std::vector<uint8_t> flipped = good;
  flipped[flipped.size() - 20] ^= 0x55;
  EXPECT_TRUE(
      contains(data_error([&] { decode_png(flipped, "flip.png"); }), "flip.png: corrupt PNG: "));
  // Only the signature and a few bytes.
  std::vector<uint8_t> header(good.begin(), good.begin() + 12);
  EXPECT_TRUE(contains(data_error([&] { decode_png(header, "h.png"); }), "h.png: corrupt PNG"));
  EXPECT_TRUE(contains(data_error([&] {
                         decode_png({1, 2, 3}, "n.png");
                       }),
                       "n.png: not a PNG file"));
}

// A progressive JPEG's size was checked only after jpeg_start_decompress, which reserves the
// coefficient buffers of the whole image and reads every scan first: a 500-byte file claiming
// 60000x60000 pixels took seconds and some 10 GB of address space before it was refused.
TEST(JpegDecode, OversizedProgressiveHeaderIsRefusedBeforeDecoding) {
  const torch::Tensor small = image_io::decode_jpeg(progressive_jpeg_claiming(8, 8), "s.jpg");
  EXPECT_EQ(small.sizes(), (std::vector<int64_t>{3, 8, 8}));
  const std::vector<uint8_t> huge = progressive_jpeg_claiming(60000, 60000);
  const int64_t before = peak_virtual_bytes();
  EXPECT_TRUE(contains(data_error([&] { image_io::decode_jpeg(huge, "h.jpg"); }),
                       "h.jpg: corrupt JPEG: unsupported image size 60000x60000"));
  EXPECT_LT(peak_virtual_bytes() - before, int64_t{4} << 30)
      << "the whole image's buffers were reserved";
}

TEST(DecodeImage, RecognisesTheFormatByContentAndKeepsGreyAsOneChannel) {
  // A PNG, whatever the name says.
  const std::vector<uint8_t> rgb = ramp(6 * 4 * 3, 7);
  const torch::Tensor png =
      decode_image(encode_png(6, 4, rgb, spec(PNG_COLOR_TYPE_RGB)), "really-a-png.jpg");
  EXPECT_TRUE(torch::equal(png, chw(rgb, 4, 6, 3, 3)));
  // JPEGs: colour gives 3 channels, greyscale 1 (decode_jpeg itself still replicates it).
  const std::vector<uint8_t> grey_jpeg = encode_jpeg(flat_image(8, 8, {90}), 8, 8, 1);
  const torch::Tensor grey = decode_image(grey_jpeg, "g.jpg");
  ASSERT_EQ(grey.sizes(), (std::vector<int64_t>{1, 8, 8}));
  EXPECT_NEAR(grey.to(torch::kFloat).mean().item<float>(), 90, 1);
  EXPECT_EQ(image_io::decode_jpeg(grey_jpeg, "g.jpg").size(0), 3);
  const torch::Tensor colour =
      decode_image(encode_jpeg(flat_image(8, 8, {200, 20, 20}), 8, 8, 3), "c.jpg");
  ASSERT_EQ(colour.sizes(), (std::vector<int64_t>{3, 8, 8}));
  EXPECT_NEAR(colour[0].to(torch::kFloat).mean().item<float>(), 200, 2);
  // Anything else.
  EXPECT_TRUE(contains(data_error([&] {
                         decode_image({'G', 'I', 'F', '8', '9', 'a'}, "x.gif");
                       }),
                       "x.gif: not a JPEG or PNG image (it starts with 47 49 46 38)"));
  EXPECT_TRUE(
      contains(data_error([&] { decode_image({}, "e.png"); }), "e.png: not a JPEG or PNG image"));
  std::vector<uint8_t> broken_jpeg = grey_jpeg;
  broken_jpeg.resize(broken_jpeg.size() / 2);
  EXPECT_TRUE(
      contains(data_error([&] { decode_image(broken_jpeg, "b.jpg"); }), "b.jpg: corrupt JPEG"));
}

}  // namespace
}  // namespace gear::plugins::datasets

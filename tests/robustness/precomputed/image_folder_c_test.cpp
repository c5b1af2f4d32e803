#include "image_folder_c.h"

#include <gear/dataset.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "jpeg_decode.h"
#include "test_files.h"

namespace gear::plugins {
namespace robustness {
namespace {

using image_io::decode_jpeg;
using testing::data_error;
using testing::encode_jpeg;
using testing::flat_image;
using testing::ScratchDir;
using testing::write_file;

constexpr int kTinySide = 64;
// Flat and smooth images survive quality-95 JPEG within a few levels.
constexpr int kTolerance = 3;

/// A horizontal ramp in red over fixed green and blue: smooth, so JPEG keeps it closely.
std::vector<uint8_t> ramp_image() {
  std::vector<uint8_t> pixels;
  for (int y = 0; y < kTinySide; ++y)
    for (int x = 0; x < kTinySide; ++x) pixels.insert(pixels.end(), {uint8_t(60 + x), 128, 30});
  return pixels;
}

/// Largest |decoded - expected| over one image [3, H, W] against a flat colour.
int max_error(const torch::Tensor& image, const std::vector<int>& colour) {
  int worst = 0;
  for (int c = 0; c < 3; ++c) {
    const torch::Tensor diff = (image[c].to(torch::kInt) - colour[c]).abs();
    worst = std::max(worst, diff.max().item<int>());
  }
  return worst;
}

class PrecomputedImageFolderC : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto severity = dir_ / "fog" / "3";
    write_file(
        severity / "n01443537" / "val_0.JPEG",
        encode_jpeg(flat_image(kTinySide, kTinySide, {200, 100, 50}), kTinySide, kTinySide, 3));
    write_file(severity / "n01443537" / "val_1.jpg",
               encode_jpeg(ramp_image(), kTinySide, kTinySide, 3));
    write_file(severity / "n01443537" / ".DS_Store", {0, 1, 2});
    write_file(severity / "n01629819" / "val_2.JPEG",
               encode_jpeg(flat_image(kTinySide, kTinySide, {77}), kTinySide, kTinySide, 1));
    write_file(
        severity / "n01629819" / "val_3.jpeg",
        encode_jpeg(flat_image(kTinySide, kTinySide, {10, 220, 130}), kTinySide, kTinySide, 3));
    write_file(severity / "n01629819" / "notes.txt", {'o', 'k'});
    std::filesystem::create_directories(dir_ / "snow" / "1");
  }

  ScratchDir dir_{"image-folder-c"};
};

TEST_F(PrecomputedImageFolderC, DecodesEveryImageWithinJpegTolerance) {
  const CorruptedSet set = read_image_folder_c(dir_.path(), "fog", 3, {});
  ASSERT_EQ(set.images.sizes(), torch::IntArrayRef({4, 3, kTinySide, kTinySide}));
  EXPECT_EQ(set.images.scalar_type(), torch::kByte);
  EXPECT_TRUE(set.images.is_contiguous());
  EXPECT_LE(max_error(set.images[0], {200, 100, 50}), kTolerance);
  EXPECT_LE(max_error(set.images[3], {10, 220, 130}), kTolerance);

  const torch::Tensor ramp = set.images[1].to(torch::kInt);
  const torch::Tensor expected_red =
      (torch::arange(kTinySide, torch::kInt) + 60).expand({kTinySide, kTinySide});
  EXPECT_LE((ramp[0] - expected_red).abs().max().item<int>(), kTolerance);
  EXPECT_LE((ramp[1] - 128).abs().max().item<int>(), kTolerance);
  EXPECT_LE((ramp[2] - 30).abs().max().item<int>(), kTolerance);
}

TEST_F(PrecomputedImageFolderC, GreyscaleJpegBecomesThreeEqualChannels) {
  const CorruptedSet set = read_image_folder_c(dir_.path(), "fog", 3, {});
  const torch::Tensor grey = set.images[2];
  EXPECT_TRUE(torch::equal(grey[0], grey[1]));
  EXPECT_TRUE(torch::equal(grey[0], grey[2]));
  EXPECT_LE(max_error(grey, {77, 77, 77}), kTolerance);
}

TEST_F(PrecomputedImageFolderC, LabelsFollowTheClassList) {
  const CorruptedSet sorted = read_image_folder_c(dir_.path(), "fog", 3, {});
  EXPECT_EQ(sorted.labels.scalar_type(), torch::kLong);
  EXPECT_TRUE(torch::equal(sorted.labels, torch::tensor({0, 0, 1, 1}, torch::kLong)));

  const CorruptedSet listed =
      read_image_folder_c(dir_.path(), "fog", 3, {"n00000001", "n01629819", "n01443537"});
  EXPECT_TRUE(torch::equal(listed.labels, torch::tensor({2, 2, 1, 1}, torch::kLong)));
  EXPECT_TRUE(torch::equal(listed.images, sorted.images));
}

TEST_F(PrecomputedImageFolderC, ListsCorruptions) {
  EXPECT_EQ(image_folder_c_corruptions(dir_.path()), std::vector<std::string>({"fog", "snow"}));
}

TEST_F(PrecomputedImageFolderC, TruncatedJpegNamesTheFile) {
  const auto file = dir_ / "fog" / "3" / "n01629819" / "val_3.jpeg";
  std::vector<uint8_t> bytes = encode_jpeg(ramp_image(), kTinySide, kTinySide, 3);
  bytes.resize(bytes.size() / 2);
  write_file(file, bytes);
  const std::string message = data_error([&] { read_image_folder_c(dir_.path(), "fog", 3, {}); });
  EXPECT_NE(message.find(file.string() + ": corrupt JPEG"), std::string::npos) << message;
}

TEST_F(PrecomputedImageFolderC, GarbageJpegNamesTheFile) {
  const auto file = dir_ / "fog" / "3" / "n01443537" / "val_1.jpg";
  write_file(file, {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  const std::string message = data_error([&] { read_image_folder_c(dir_.path(), "fog", 3, {}); });
  EXPECT_NE(message.find(file.string() + ": corrupt JPEG"), std::string::npos) << message;
}

TEST_F(PrecomputedImageFolderC, UnknownClassFolderIsNamed) {
  const std::string message =
      data_error([&] { read_image_folder_c(dir_.path(), "fog", 3, {"n01443537"}); });
  EXPECT_NE(message.find("class folder 'n01629819' is not one of the 1 given classes"),
            std::string::npos)
      << message;
}

TEST_F(PrecomputedImageFolderC, MissingFoldersAreNamed) {
  std::string message = data_error([&] { read_image_folder_c(dir_.path(), "fog", 2, {}); });
  EXPECT_NE(message.find((dir_ / "fog" / "2").string() + ": no such folder"), std::string::npos)
      << message;
  message = data_error([&] { read_image_folder_c(dir_.path(), "frost", 1, {}); });
  EXPECT_NE(message.find("no corruption 'frost' here; present: fog, snow"), std::string::npos)
      << message;
  message = data_error([&] { read_image_folder_c(dir_ / "absent", "fog", 1, {}); });
  EXPECT_NE(message.find((dir_ / "absent").string() + ": no such folder"), std::string::npos)
      << message;
  message = data_error([&] { read_image_folder_c(dir_.path(), "snow", 1, {}); });
  EXPECT_NE(message.find("no JPEG images"), std::string::npos) << message;
}

TEST_F(PrecomputedImageFolderC, MixedSizesNameTheOddFileAndBothSizes) {
  const auto file = dir_ / "fog" / "3" / "n01629819" / "val_3.jpeg";
  write_file(file, encode_jpeg(flat_image(32, 48, {1, 2, 3}), 32, 48, 3));
  const std::string message = data_error([&] { read_image_folder_c(dir_.path(), "fog", 3, {}); });
  EXPECT_NE(message.find(file.string() + ": image size 32x48 (WxH) differs from 64x64"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("val_0.JPEG"), std::string::npos) << message;
}

TEST_F(PrecomputedImageFolderC, PngIsRefusedNotSkipped) {
  write_file(dir_ / "fog" / "3" / "n01443537" / "val_9.png", {0x89, 'P', 'N', 'G'});
  const std::string message = data_error([&] { read_image_folder_c(dir_.path(), "fog", 3, {}); });
  EXPECT_NE(message.find("val_9.png: PNG images are not supported"), std::string::npos) << message;
}

TEST_F(PrecomputedImageFolderC, SeverityOutsideOneToFiveIsRefused) {
  EXPECT_NE(data_error([&] {
              read_image_folder_c(dir_.path(), "fog", 0, {});
            }).find("severity 0 is outside 1..5"),
            std::string::npos);
  EXPECT_NE(data_error([&] {
              read_image_folder_c(dir_.path(), "fog", 6, {});
            }).find("severity 6 is outside 1..5"),
            std::string::npos);
}

TEST(PrecomputedJpeg, CmykAndEmptyInputAreRefused) {
  const std::vector<uint8_t> cmyk = encode_jpeg(flat_image(8, 8, {0, 50, 100, 0}), 8, 8, 4);
  std::string message = data_error([&] { decode_jpeg(cmyk, "ink.jpg"); });
  EXPECT_NE(message.find("ink.jpg: CMYK JPEGs are not supported"), std::string::npos) << message;
  message = data_error([&] { decode_jpeg({}, "empty.jpg"); });
  EXPECT_NE(message.find("empty.jpg: corrupt JPEG"), std::string::npos) << message;
}

TEST(PrecomputedJpeg, OddSizesAndOnePixelDecode) {
  for (const auto& [width, height] : std::vector<std::pair<int, int>>{{1, 1}, {17, 5}}) {
    const torch::Tensor image =
        decode_jpeg(encode_jpeg(flat_image(width, height, {9, 99, 199}), width, height, 3), "x");
    ASSERT_EQ(image.sizes(), torch::IntArrayRef({3, height, width}));
    EXPECT_LE(max_error(image, {9, 99, 199}), kTolerance);
  }
}

}  // namespace
}  // namespace robustness
}  // namespace gear::plugins

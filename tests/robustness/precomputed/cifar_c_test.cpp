#include "cifar_c.h"

#include <gear/dataset.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "test_files.h"

namespace gear::plugins {
namespace robustness {
namespace {

using testing::data_error;
using testing::npy_bytes;
using testing::npy_dict;
using testing::ScratchDir;
using testing::write_file;

constexpr int kPerSeverity = 4;
constexpr int kRows = 5 * kPerSeverity;
constexpr int kCifarSide = 32;

/// The stored (HWC) pixel of row n; distinct across rows, positions and channels.
uint8_t pixel(int n, int y, int x, int c, int salt) {
  return static_cast<uint8_t>(n * 37 + y * 3 + x * 5 + c * 101 + salt);
}

/// uint8 [rows, 32, 32, 3] in the released layout (row, height, width, channel).
std::vector<uint8_t> images_hwc(int rows, int salt) {
  std::vector<uint8_t> bytes;
  for (int n = 0; n < rows; ++n)
    for (int y = 0; y < kCifarSide; ++y)
      for (int x = 0; x < kCifarSide; ++x)
        for (int c = 0; c < 3; ++c) bytes.push_back(pixel(n, y, x, c, salt));
  return bytes;
}

void write_images(const std::filesystem::path& file, int rows, int salt) {
  write_file(file, npy_bytes(npy_dict("|u1", "(" + std::to_string(rows) + ", 32, 32, 3)"),
                             images_hwc(rows, salt)));
}

void write_labels_u1(const std::filesystem::path& file, int rows) {
  std::vector<uint8_t> labels;
  for (int n = 0; n < rows; ++n) labels.push_back(static_cast<uint8_t>(n % 10 + 90));
  write_file(file, npy_bytes(npy_dict("|u1", "(" + std::to_string(rows) + ",)"), labels));
}

class PrecomputedCifarC : public ::testing::Test {
 protected:
  void SetUp() override {
    write_images(dir_ / "fog.npy", kRows, 0);
    write_images(dir_ / "contrast.npy", kRows, 50);
    write_labels_u1(dir_ / "labels.npy", kRows);
    write_file(dir_ / "README.txt", {'h', 'i'});
  }

  ScratchDir dir_{"cifar-c"};
};

TEST_F(PrecomputedCifarC, SeveritySelectsItsRowBlockAsNchw) {
  CifarCReader reader(dir_.path());
  for (int severity = 1; severity <= 5; ++severity) {
    const CorruptedSet set = reader.read("fog", severity);
    ASSERT_EQ(set.images.sizes(), torch::IntArrayRef({kPerSeverity, 3, kCifarSide, kCifarSide}));
    EXPECT_EQ(set.images.scalar_type(), torch::kByte);
    EXPECT_TRUE(set.images.is_contiguous());
    ASSERT_EQ(set.labels.sizes(), torch::IntArrayRef({kPerSeverity}));
    EXPECT_EQ(set.labels.scalar_type(), torch::kLong);
    const auto* px = set.images.data_ptr<uint8_t>();
    for (int i = 0; i < kPerSeverity; ++i) {
      const int row = (severity - 1) * kPerSeverity + i;
      EXPECT_EQ(set.labels[i].item<int64_t>(), row % 10 + 90);
      // NCHW offset of channel 2, y = 7, x = 19.
      EXPECT_EQ(px[((i * 3 + 2) * kCifarSide + 7) * kCifarSide + 19], pixel(row, 7, 19, 2, 0));
      EXPECT_EQ(px[((i * 3 + 0) * kCifarSide + 31) * kCifarSide + 0], pixel(row, 31, 0, 0, 0));
    }
  }
  // A full check of one block against the stored bytes.
  const torch::Tensor stored = torch::from_blob(images_hwc(kRows, 0).data(),
                                                {kRows, kCifarSide, kCifarSide, 3}, torch::kByte)
                                   .permute({0, 3, 1, 2})
                                   .clone();
  EXPECT_TRUE(
      torch::equal(reader.read("fog", 3).images, stored.narrow(0, 2 * kPerSeverity, kPerSeverity)));
}

TEST_F(PrecomputedCifarC, SwitchingCorruptionsReadsTheOtherFile) {
  CifarCReader reader(dir_.path());
  EXPECT_EQ(reader.corruptions(), std::vector<std::string>({"contrast", "fog"}));
  const CorruptedSet fog = reader.read("fog", 2);
  const CorruptedSet contrast = reader.read("contrast", 2);
  EXPECT_EQ(contrast.images[1][1][4][5].item<uint8_t>(), pixel(kPerSeverity + 1, 4, 5, 1, 50));
  EXPECT_FALSE(torch::equal(fog.images, contrast.images));
  EXPECT_TRUE(torch::equal(fog.labels, contrast.labels));
  reader.release();
  EXPECT_TRUE(torch::equal(reader.read("fog", 2).images, fog.images));
}

TEST_F(PrecomputedCifarC, OneShotFunctionAndInt64Labels) {
  std::vector<int64_t> labels;
  for (int n = 0; n < kRows; ++n) labels.push_back(1000 + n);
  std::vector<uint8_t> bytes(reinterpret_cast<const uint8_t*>(labels.data()),
                             reinterpret_cast<const uint8_t*>(labels.data() + labels.size()));
  write_file(dir_ / "labels.npy", npy_bytes(npy_dict("<i8", "(20,)"), bytes));
  const CorruptedSet set = read_cifar_c(dir_.path(), "contrast", 5);
  EXPECT_EQ(set.labels[0].item<int64_t>(), 1000 + 4 * kPerSeverity);
  EXPECT_EQ(set.images[3][0][0][0].item<uint8_t>(), pixel(kRows - 1, 0, 0, 0, 50));
}

TEST_F(PrecomputedCifarC, GreyImagesWithoutChannelAxisGetOneChannel) {
  std::vector<uint8_t> grey;
  for (int n = 0; n < kRows; ++n)
    for (int p = 0; p < 28 * 28; ++p) grey.push_back(static_cast<uint8_t>(n * 10 + p % 7));
  write_file(dir_ / "shot_noise.npy", npy_bytes(npy_dict("|u1", "(20, 28, 28)"), grey));
  const CorruptedSet set = read_cifar_c(dir_.path(), "shot_noise", 4);
  ASSERT_EQ(set.images.sizes(), torch::IntArrayRef({kPerSeverity, 1, 28, 28}));
  EXPECT_EQ(set.images[2][0][0][3].item<uint8_t>(), (3 * kPerSeverity + 2) * 10 + 3);
}

TEST_F(PrecomputedCifarC, MissingCorruptionListsThePresentOnes) {
  const std::string message = data_error([&] { read_cifar_c(dir_.path(), "snow", 1); });
  EXPECT_NE(message.find((dir_ / "snow.npy").string()), std::string::npos) << message;
  EXPECT_NE(message.find("no corruption 'snow' here; present: contrast, fog"), std::string::npos)
      << message;
  EXPECT_NE(data_error([&] { read_cifar_c(dir_.path(), "labels", 1); }).find("present:"),
            std::string::npos);
}

TEST_F(PrecomputedCifarC, LabelCountMismatchIsNamed) {
  write_labels_u1(dir_ / "labels.npy", kRows - 1);
  const std::string message = data_error([&] { read_cifar_c(dir_.path(), "fog", 1); });
  EXPECT_NE(message.find("fog.npy: 20 images but"), std::string::npos) << message;
  EXPECT_NE(message.find("labels.npy has 19 labels"), std::string::npos) << message;
}

TEST_F(PrecomputedCifarC, RowCountNotDivisibleByFiveIsRefused) {
  write_images(dir_ / "odd.npy", 18, 0);
  write_labels_u1(dir_ / "labels.npy", 18);
  const std::string message = data_error([&] { read_cifar_c(dir_.path(), "odd", 1); });
  EXPECT_NE(message.find("odd.npy: 18 rows is not a multiple of the 5 severities"),
            std::string::npos)
      << message;
}

TEST_F(PrecomputedCifarC, WrongImageTypeOrLabelsAreRefused) {
  write_file(dir_ / "float.npy", npy_bytes(npy_dict("<f4", "(20, 2)"), std::vector<uint8_t>(160)));
  const std::string message = data_error([&] { read_cifar_c(dir_.path(), "float", 1); });
  EXPECT_NE(message.find("expected uint8 images"), std::string::npos) << message;

  write_file(dir_ / "labels.npy", npy_bytes(npy_dict("<f4", "(20,)"), std::vector<uint8_t>(80)));
  EXPECT_NE(
      data_error([&] { CifarCReader reader(dir_.path()); }).find("expected 1-D integer labels"),
      std::string::npos);
}

TEST_F(PrecomputedCifarC, MissingFolderOrLabelsAreNamed) {
  const std::string message = data_error([&] { read_cifar_c(dir_ / "nowhere", "fog", 1); });
  EXPECT_NE(message.find((dir_ / "nowhere").string() + ": no such folder"), std::string::npos)
      << message;
  std::filesystem::remove(dir_ / "labels.npy");
  EXPECT_NE(data_error([&] { CifarCReader reader(dir_.path()); }).find("labels.npy: no such"),
            std::string::npos);
}

TEST_F(PrecomputedCifarC, SeverityOutsideOneToFiveIsRefused) {
  CifarCReader reader(dir_.path());
  EXPECT_NE(data_error([&] { reader.read("fog", 0); }).find("severity 0 is outside 1..5"),
            std::string::npos);
  EXPECT_NE(data_error([&] { reader.read("fog", 6); }).find("severity 6 is outside 1..5"),
            std::string::npos);
}

}  // namespace
}  // namespace robustness
}  // namespace gear::plugins

#include <gtest/gtest.h>

#include <fstream>

#include "gear/dataset.h"
#include "test_support.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<Dataset> open(const fs::path& dir) {
  const auto& registry = test::real_plugins();
  return registry.create<Dataset>("fashion-mnist",
                                  test::make_config(registry.find("fashion-mnist")->info.schema,
                                                    {{"path", Value(dir.string())}}, "data"));
}

std::vector<uint8_t> pixels(int n) {
  std::vector<uint8_t> p(static_cast<size_t>(n) * 784);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7 % 251);
  return p;
}

void write_set(const fs::path& dir, int n, bool gzip) {
  std::vector<uint8_t> labels(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = static_cast<uint8_t>((i * 3) % 10);
  std::string ext = gzip ? ".gz" : "";
  for (const std::string prefix : {"train", "t10k"}) {
    test::write_idx(dir / (prefix + "-images-idx3-ubyte" + ext), 0x803, {n, 28, 28}, pixels(n),
                    gzip);
    test::write_idx(dir / (prefix + "-labels-idx1-ubyte" + ext), 0x801, {n}, labels, gzip);
  }
}

std::string error_of(const fs::path& dir, SplitKind split = SplitKind::kTrain) {
  try {
    auto dataset = open(dir);
    dataset->info();
    dataset->load(split);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(IdxReader, ReadsGzipAndPlainFilesExactly) {
  for (bool gzip : {true, false}) {
    auto dir = test::temp_dir("idx-good");
    write_set(dir, 5, gzip);
    auto dataset = open(dir);
    DatasetInfo info = dataset->info();
    EXPECT_EQ(info.num_classes, 10);
    EXPECT_EQ(info.image_shape, (std::vector<int64_t>{1, 28, 28}));
    DataSplit split = dataset->load(SplitKind::kTest);
    ASSERT_EQ(split.images.sizes(), (std::vector<int64_t>{5, 1, 28, 28}));
    EXPECT_EQ(split.images.scalar_type(), torch::kUInt8);
    auto expected = pixels(5);
    auto flat = split.images.flatten();
    EXPECT_EQ(flat[0].item<int>(), expected[0]);
    EXPECT_EQ(flat[1234].item<int>(), expected[1234]);
    EXPECT_EQ(flat[5 * 784 - 1].item<int>(), expected[5 * 784 - 1]);
    EXPECT_EQ(split.labels.scalar_type(), torch::kLong);
    EXPECT_EQ(split.labels[4].item<int64_t>(), 2);
  }
}

TEST(IdxReader, TruncatedFileNamesFileAndSizes) {
  auto dir = test::temp_dir("idx-trunc");
  write_set(dir, 5, false);
  auto images = dir / "train-images-idx3-ubyte";
  fs::resize_file(images, 16 + 5 * 784 - 100);
  std::string error = error_of(dir);
  EXPECT_NE(error.find(images.string()), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find("3920"), std::string::npos) << error;
}

TEST(IdxReader, WrongMagicShowsExpectedAndFound) {
  auto dir = test::temp_dir("idx-magic");
  write_set(dir, 3, false);
  // A labels file where images belong.
  test::write_idx(dir / "train-images-idx3-ubyte", 0x801, {3}, {1, 2, 3});
  std::string error = error_of(dir);
  EXPECT_NE(error.find("train-images-idx3-ubyte"), std::string::npos) << error;
  EXPECT_NE(error.find("0x00000803"), std::string::npos) << error;
  EXPECT_NE(error.find("0x00000801"), std::string::npos) << error;
}

TEST(IdxReader, CorruptGzipAndMissingFiles) {
  auto dir = test::temp_dir("idx-gz");
  write_set(dir, 3, true);
  std::ofstream(dir / "train-labels-idx1-ubyte.gz", std::ios::binary) << "not gzip at all";
  EXPECT_NE(
      error_of(dir).find("not a gzip file: expected it to start with 0x1f 0x8b, found 0x6e 0x6f"),
      std::string::npos)
      << error_of(dir);
  // Two bytes are enough to show them; one is not.
  std::ofstream(dir / "train-labels-idx1-ubyte.gz", std::ios::binary) << "ab";
  EXPECT_NE(error_of(dir).find("found 0x61 0x62"), std::string::npos) << error_of(dir);
  std::ofstream(dir / "train-labels-idx1-ubyte.gz", std::ios::binary) << "a";
  EXPECT_NE(error_of(dir).find("found a file of 1 bytes"), std::string::npos) << error_of(dir);
  auto empty = test::temp_dir("idx-missing");
  std::string missing = error_of(empty);
  EXPECT_NE(missing.find("missing"), std::string::npos) << missing;
  EXPECT_NE(missing.find("train-images-idx3-ubyte"), std::string::npos) << missing;
}

TEST(IdxReader, LabelCountMismatch) {
  auto dir = test::temp_dir("idx-count");
  write_set(dir, 4, false);
  test::write_idx(dir / "train-labels-idx1-ubyte", 0x801, {3}, {1, 2, 3});
  std::string error = error_of(dir);
  EXPECT_NE(error.find("4 images"), std::string::npos) << error;
  EXPECT_NE(error.find("3 labels"), std::string::npos) << error;
}

}  // namespace
}  // namespace gear::plugins::datasets

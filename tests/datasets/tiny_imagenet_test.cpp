// Tiny ImageNet on a small tiny-imagenet-200 tree of JPEGs written here with libjpeg.

#include "tiny_imagenet.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "image_writers.h"
#include "test_files.h"
#include "test_support.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;
using robustness::testing::encode_jpeg;
using robustness::testing::flat_image;
using robustness::testing::write_file;
using test::contains;
using test::data_error;

// A flat-colour JPEG (flat colours survive JPEG compression within a level or two).
void write_jpeg(const fs::path& file, int width, int height, std::vector<uint8_t> colour) {
  const int channels = static_cast<int>(colour.size());
  write_file(file, encode_jpeg(flat_image(width, height, colour), width, height, channels));
}

Config config(const fs::path& root, const fs::path& cache,
              std::vector<std::pair<std::string, Value>> extra = {}) {
  extra.emplace_back("path", root.string());
  extra.emplace_back("cache_dir", cache.string());
  return test::make_config(TinyImageNet::schema(), extra, "data");
}

// wnids.txt lists n02, n01, n03 (not sorted); train images: n01 x2, n02 x3, n03 x1, each flat
// (40 + 60 c, 100, 10 k); val: a red n03, a greyscale n01, a green n02.
fs::path tiny_tree(const std::string& label) {
  fs::path root = test::temp_dir("tiny-" + label) / "tiny-imagenet-200";
  fs::create_directories(root / "val");
  test::write_text(root / "wnids.txt", "n02\nn01\nn03\n");
  test::write_text(root / "words.txt", "n01\tone\nn02\ttwo\nn03\tthree\nn99\tother\n");
  const std::vector<std::pair<std::string, int>> classes = {{"n01", 2}, {"n02", 3}, {"n03", 1}};
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path dir = root / "train" / classes[c].first;
    test::write_text(dir / (classes[c].first + "_boxes.txt"), "");
    for (int k = 0; k < classes[c].second; ++k)
      write_jpeg(dir / "images" / (classes[c].first + "_" + std::to_string(k) + ".JPEG"), 64, 64,
                 {static_cast<uint8_t>(40 + 60 * c), 100, static_cast<uint8_t>(10 * k)});
  }
  write_jpeg(root / "val" / "images" / "val_0.JPEG", 64, 64, {200, 20, 20});
  write_jpeg(root / "val" / "images" / "val_1.JPEG", 64, 64, {90});  // greyscale
  write_jpeg(root / "val" / "images" / "val_2.JPEG", 64, 64, {20, 200, 20});
  test::write_text(root / "val" / "val_annotations.txt",
                   "val_0.JPEG\tn03\t0\t0\t10\t10\nval_1.JPEG\tn01\t1\t1\t5\t5\n"
                   "val_2.JPEG\tn02\t0\t0\t63\t63\n");
  // The unlabelled test/ split is never read.
  write_file(root / "test" / "images" / "test_0.JPEG", {1, 2, 3});
  return root;
}

TEST(TinyImageNet, LabelsFollowSortedWnidsAndValIsTheTestSplit) {
  fs::path root = tiny_tree("good");
  TinyImageNet tiny(config(root, root.parent_path() / "cache"));
  DatasetInfo info = tiny.info();
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"n01", "n02", "n03"}));
  EXPECT_EQ(info.num_classes, 3);
  EXPECT_EQ(info.image_shape, (std::vector<int64_t>{3, 64, 64}));
  EXPECT_EQ(info.mean, (std::vector<double>{0.4802, 0.4481, 0.3975}));
  EXPECT_EQ(info.std, (std::vector<double>{0.2770, 0.2691, 0.2821}));
  DataSplit train = tiny.load(SplitKind::kTrain);
  ASSERT_EQ(train.images.sizes(), (std::vector<int64_t>{6, 3, 64, 64}));
  EXPECT_EQ(train.images.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(torch::equal(train.labels, torch::tensor({0, 0, 1, 1, 1, 2}, torch::kLong)));
  // Every training image is its flat colour, within JPEG's rounding.
  const std::vector<std::vector<int>> colours = {{40, 100, 0},   {40, 100, 10},  {100, 100, 0},
                                                 {100, 100, 10}, {100, 100, 20}, {160, 100, 0}};
  for (size_t i = 0; i < colours.size(); ++i)
    for (int c = 0; c < 3; ++c) {
      const torch::Tensor plane = train.images[static_cast<int64_t>(i)][c].to(torch::kInt);
      EXPECT_LE((plane - colours[i][c]).abs().max().item<int>(), 2) << i << " " << c;
    }
  DataSplit test = tiny.load(SplitKind::kTest);
  EXPECT_TRUE(torch::equal(test.labels, torch::tensor({2, 0, 1}, torch::kLong)));
  EXPECT_NEAR(test.images[0][0].to(torch::kFloat).mean().item<float>(), 200, 2);
  // The greyscale JPEG comes back as RGB with three equal channels.
  EXPECT_TRUE(torch::equal(test.images[1][0], test.images[1][1]));
  EXPECT_TRUE(torch::equal(test.images[1][0], test.images[1][2]));
  EXPECT_NEAR(test.images[1].to(torch::kFloat).mean().item<float>(), 90, 2);
}

TEST(TinyImageNet, TheSecondLoadReadsTheCache) {
  fs::path root = tiny_tree("cache");
  const fs::path cache = root.parent_path() / "cache";
  const DataSplit first = TinyImageNet(config(root, cache)).load(SplitKind::kTrain);
  // Same size and modification time, but no longer a JPEG: only a cache hit still loads.
  const fs::path file = root / "train" / "n02" / "images" / "n02_1.JPEG";
  const auto size = fs::file_size(file);
  const auto time = fs::last_write_time(file);
  write_file(file, std::vector<uint8_t>(size, 0));
  fs::last_write_time(file, time);
  const DataSplit second = TinyImageNet(config(root, cache)).load(SplitKind::kTrain);
  EXPECT_TRUE(torch::equal(second.images, first.images));
  EXPECT_TRUE(torch::equal(second.labels, first.labels));
  // Without the cache, or once the file looks changed, it is decoded: and fails, naming it.
  EXPECT_TRUE(
      contains(data_error([&] {
                 TinyImageNet(config(root, cache, {{"cache", false}})).load(SplitKind::kTrain);
               }),
               "n02_1.JPEG: not a JPEG or PNG image"));
  fs::last_write_time(file, time + std::chrono::seconds(3));
  EXPECT_TRUE(
      contains(data_error([&] { TinyImageNet(config(root, cache)).load(SplitKind::kTrain); }),
               "n02_1.JPEG: not a JPEG or PNG image"));
  // The cache files: <cache_dir>/decoded/tiny-imagenet-train-<hash>.bin, nothing else.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(cache / "decoded"))
    names.push_back(entry.path().filename().string());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].rfind("tiny-imagenet-train-", 0), 0u) << names[0];
  EXPECT_EQ(names[0].size(), std::string("tiny-imagenet-train-").size() + 16 + 4);
}

TEST(TinyImageNet, BadAnnotationsWnidsAndImagesAreNamed) {
  fs::path root = tiny_tree("bad");
  const Config options = config(root, root.parent_path() / "cache", {{"cache", false}});
  const std::string annotations = (root / "val" / "val_annotations.txt").string();
  test::write_text(root / "val" / "val_annotations.txt",
                   "val_0.JPEG\tn03\t0\t0\t1\t1\nval_1.JPEG\tn09\t0\t0\t1\t1\n");
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTest); }),
                       annotations + ":2: unknown wnid 'n09' (not in wnids.txt)"));
  test::write_text(root / "val" / "val_annotations.txt", "\nval_7.JPEG\tn03\t0\t0\t1\t1\n");
  EXPECT_TRUE(
      contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTest); }),
               annotations + ":2: " + (root / "val/images/val_7.JPEG").string() + " is missing"));
  test::write_text(root / "val" / "val_annotations.txt", "val_0.JPEG n03\n");
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTest); }),
                       annotations + ":1: expected <file> TAB <wnid> TAB <box>"));
  fs::remove(root / "val" / "val_annotations.txt");
  EXPECT_TRUE(
      contains(data_error([&] { TinyImageNet(options).info(); }), annotations + ": missing"));
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTest); }),
                       annotations + ": missing"));

  // A wrongly sized image, and a corrupt one: the first in file order is named.
  write_jpeg(root / "train" / "n02" / "images" / "n02_2.JPEG", 32, 64, {1, 2, 3});
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTrain); }),
                       "n02_2.JPEG: 32x64 pixels (width x height), expected 64x64"));
  write_file(root / "train" / "n01" / "images" / "n01_1.JPEG", {0xff, 0xd8, 0xff, 0xe0, 0, 0});
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTrain); }),
                       "n01_1.JPEG: corrupt JPEG"));
  fs::remove_all(root / "train" / "n03");
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).load(SplitKind::kTrain); }),
                       (root / "train" / "n03" / "images").string() + ": no such folder"));

  test::write_text(root / "wnids.txt", "n02\nn01\n\nn02\n");
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).info(); }),
                       "wnids.txt:4: wnid 'n02' is listed twice (first on line 1)"));
  fs::remove(root / "wnids.txt");
  EXPECT_TRUE(contains(data_error([&] { TinyImageNet(options).info(); }), "wnids.txt: missing"));

  const std::string message = data_error(
      [&] { TinyImageNet(test::make_config(TinyImageNet::schema(), {}, "data")).info(); });
  EXPECT_TRUE(contains(message, "tiny-imagenet: no data.path"));
  EXPECT_TRUE(contains(message, "http://cs231n.stanford.edu/tiny-imagenet-200.zip"));
  EXPECT_TRUE(contains(message, "tiny-imagenet-200 folder"));
}

}  // namespace
}  // namespace gear::plugins::datasets

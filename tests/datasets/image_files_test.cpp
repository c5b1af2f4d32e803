// Tiny ImageNet and image folders on small trees of JPEGs written here with libjpeg, and the
// decoded-tensor cache.

#include "image_files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "image_folder.h"
#include "test_files.h"
#include "test_support.h"
#include "tiny_imagenet.h"

namespace gear {
namespace {

namespace fs = std::filesystem;
using robustness::testing::encode_jpeg;
using robustness::testing::flat_image;
using robustness::testing::write_file;

// A flat-colour JPEG (flat colours survive JPEG compression within a level or two).
void write_jpeg(const fs::path& file, int width, int height, std::vector<uint8_t> rgb) {
  fs::create_directories(file.parent_path());
  const int channels = static_cast<int>(rgb.size());
  write_file(file, encode_jpeg(flat_image(width, height, rgb), width, height, channels));
}

std::string data_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no error)";
}

Config config(const OptionSchema& schema, const fs::path& root, const fs::path& cache,
              std::vector<std::pair<std::string, Value>> extra = {}) {
  extra.emplace_back("path", root.string());
  extra.emplace_back("cache_dir", cache.string());
  return test::make_config(schema, extra, "data");
}

// wnids b (3 train images, colour 40 + 10k), a (2 train images), c (1); val: 3 images.
fs::path tiny_tree(const std::string& label) {
  fs::path root = test::temp_dir("tiny-" + label) / "tiny-imagenet-200";
  fs::create_directories(root / "val");
  test::write_text(root / "wnids.txt", "n02\nn01\nn03\n");
  const std::vector<std::pair<std::string, int>> classes = {{"n01", 2}, {"n02", 3}, {"n03", 1}};
  for (size_t c = 0; c < classes.size(); ++c)
    for (int k = 0; k < classes[c].second; ++k)
      write_jpeg(root / "train" / classes[c].first / "images" /
                     (classes[c].first + "_" + std::to_string(k) + ".JPEG"),
                 64, 64, {static_cast<uint8_t>(40 + 60 * c), 100, static_cast<uint8_t>(10 * k)});
  write_jpeg(root / "val" / "images" / "val_0.JPEG", 64, 64, {200, 20, 20});
  write_jpeg(root / "val" / "images" / "val_1.JPEG", 64, 64, {90});  // greyscale
  write_jpeg(root / "val" / "images" / "val_2.JPEG", 64, 64, {20, 200, 20});
  test::write_text(root / "val" / "val_annotations.txt",
                   "val_0.JPEG\tn03\t0\t0\t10\t10\nval_1.JPEG\tn01\t1\t1\t5\t5\n"
                   "val_2.JPEG\tn02\t0\t0\t63\t63\n");
  return root;
}

TEST(TinyImageNet, LabelsFollowSortedWnidsAndValIsTheTestSplit) {
  fs::path root = tiny_tree("good");
  TinyImageNet tiny(config(TinyImageNet::schema(), root, root.parent_path() / "cache"));
  DatasetInfo info = tiny.info();
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"n01", "n02", "n03"}));
  EXPECT_EQ(info.image_shape, (std::vector<int64_t>{3, 64, 64}));
  DataSplit train = tiny.load(SplitKind::kTrain);
  ASSERT_EQ(train.images.sizes(), (std::vector<int64_t>{6, 3, 64, 64}));
  EXPECT_TRUE(torch::equal(train.labels, torch::tensor({0, 0, 1, 1, 1, 2}, torch::kLong)));
  // n02's third image: colour (100, 100, 20), within JPEG's rounding.
  torch::Tensor pixel = train.images[4].to(torch::kInt).mean({1, 2}, false, torch::kFloat);
  EXPECT_NEAR(pixel[0].item<float>(), 100, 2);
  EXPECT_NEAR(pixel[2].item<float>(), 20, 2);
  DataSplit test = tiny.load(SplitKind::kTest);
  EXPECT_TRUE(torch::equal(test.labels, torch::tensor({2, 0, 1}, torch::kLong)));
  // The greyscale JPEG comes back as RGB with three equal channels.
  EXPECT_TRUE(torch::equal(test.images[1][0], test.images[1][1]));
  EXPECT_TRUE(torch::equal(test.images[1][0], test.images[1][2]));
  EXPECT_NEAR(test.images[1].to(torch::kFloat).mean().item<float>(), 90, 2);
}

TEST(TinyImageNet, MissingAnnotationsUnknownWnidsAndWrongSizesAreNamed) {
  fs::path root = tiny_tree("bad");
  auto options =
      config(TinyImageNet::schema(), root, root.parent_path() / "cache", {{"cache", false}});
  test::write_text(root / "val" / "val_annotations.txt",
                   "val_0.JPEG\tn03\t0\t0\t1\t1\nval_1.JPEG\tn09\t0\t0\t1\t1\n");
  std::string message = data_error([&] { TinyImageNet(options).load(SplitKind::kTest); });
  EXPECT_NE(message.find("val_annotations.txt:2: unknown wnid 'n09'"), std::string::npos)
      << message;
  test::write_text(root / "val" / "val_annotations.txt", "val_7.JPEG\tn03\t0\t0\t1\t1\n");
  message = data_error([&] { TinyImageNet(options).load(SplitKind::kTest); });
  EXPECT_NE(message.find("val_annotations.txt:1: " + (root / "val/images/val_7.JPEG").string() +
                         " is missing"),
            std::string::npos)
      << message;
  fs::remove(root / "val" / "val_annotations.txt");
  message = data_error([&] { TinyImageNet(options).info(); });
  EXPECT_NE(message.find("val_annotations.txt: missing"), std::string::npos) << message;
  write_jpeg(root / "train" / "n03" / "images" / "n03_0.JPEG", 32, 64, {1, 2, 3});
  message = data_error([&] { TinyImageNet(options).load(SplitKind::kTrain); });
  EXPECT_NE(message.find("n03_0.JPEG: 32x64 pixels, expected 64x64"), std::string::npos) << message;
  message = data_error(
      [&] { TinyImageNet(test::make_config(TinyImageNet::schema(), {}, "data")).info(); });
  EXPECT_NE(message.find("tiny-imagenet-200.zip"), std::string::npos) << message;
}

fs::path flat_folder(const std::string& label) {
  fs::path root = test::temp_dir("folder-" + label) / "images";
  for (int k = 0; k < 5; ++k)
    write_jpeg(root / "cat" / ("c" + std::to_string(k) + ".jpg"), 16, 12, {200, 50, 50});
  for (int k = 0; k < 10; ++k)
    write_jpeg(root / "dog" / ("d" + std::to_string(k) + ".JPG"), 16, 12, {50, 50, 200});
  test::write_text(root / "dog" / "notes.txt", "not an image");
  return root;
}

TEST(ImageFolder, StratifiedSplitComputedStatisticsAndSkippedFiles) {
  fs::path root = flat_folder("flat");
  ImageFolder folder(config(ImageFolder::schema(), root, root.parent_path() / "cache"));
  DatasetInfo info = folder.info();
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(info.image_shape, (std::vector<int64_t>{3, 12, 16}));
  DataSplit train = folder.load(SplitKind::kTrain), test = folder.load(SplitKind::kTest);
  // 20% of 5 cats and of 10 dogs; notes.txt is skipped.
  EXPECT_EQ((train.labels == 0).sum().item<int64_t>(), 4);
  EXPECT_EQ((train.labels == 1).sum().item<int64_t>(), 8);
  EXPECT_EQ((test.labels == 0).sum().item<int64_t>(), 1);
  EXPECT_EQ((test.labels == 1).sum().item<int64_t>(), 2);
  // The statistics are those of the training pixels.
  torch::Tensor x = train.images.to(torch::kDouble) / 255.0;
  for (int64_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(info.mean[c], x.select(1, c).mean().item<double>(), 1e-9);
    EXPECT_NEAR(info.std[c], x.select(1, c).std(false).item<double>(), 1e-6);
  }
}

TEST(ImageFolder, TrainTestLayoutResizingAndErrors) {
  fs::path root = test::temp_dir("folder-split") / "images";
  write_jpeg(root / "train" / "a" / "1.jpg", 40, 20, {10, 20, 30});
  write_jpeg(root / "train" / "b" / "1.jpg", 20, 20, {30, 20, 10});
  write_jpeg(root / "val" / "b" / "2.jpg", 30, 30, {30, 20, 10});
  const fs::path cache = root.parent_path() / "cache";
  ImageFolder resized(
      config(ImageFolder::schema(), root, cache, {{"size", std::vector<int64_t>{8, 8}}}));
  EXPECT_EQ(resized.info().image_shape, (std::vector<int64_t>{3, 8, 8}));
  EXPECT_EQ(resized.load(SplitKind::kTrain).images.size(0), 2);
  DataSplit test = resized.load(SplitKind::kTest);
  EXPECT_TRUE(torch::equal(test.labels, torch::tensor({1}, torch::kLong)));
  EXPECT_NEAR(test.images[0][0].to(torch::kFloat).mean().item<float>(), 30, 2);
  // Without `size`, mixed sizes are an error naming the odd file.
  std::string message = data_error([&] {
    ImageFolder(config(ImageFolder::schema(), root, cache, {{"cache", false}})).info();
  });
  EXPECT_NE(message.find("b/1.jpg: 20x20 pixels, expected 40x20"), std::string::npos) << message;
  // A corrupt .jpg is an error naming it.
  write_file(root / "train" / "a" / "2.jpg", std::vector<uint8_t>{1, 2, 3, 4});
  message = data_error([&] {
    ImageFolder(config(ImageFolder::schema(), root, cache, {{"size", std::vector<int64_t>{8, 8}}}))
        .info();
  });
  EXPECT_NE(message.find("a/2.jpg"), std::string::npos) << message;
  fs::remove(root / "train" / "a" / "2.jpg");
  fs::create_directories(root / "train" / "empty");
  message = data_error([&] {
    ImageFolder(config(ImageFolder::schema(), root, cache, {{"size", std::vector<int64_t>{8, 8}}}))
        .info();
  });
  EXPECT_NE(message.find("empty: a class folder without JPEG images"), std::string::npos)
      << message;
}

TEST(ImageFolder, TheSecondLoadReadsTheCacheUntilAFileChanges) {
  fs::path root = flat_folder("cache");
  const fs::path cache = root.parent_path() / "cache";
  const torch::Tensor first =
      ImageFolder(config(ImageFolder::schema(), root, cache)).load(SplitKind::kTrain).images;
  ASSERT_EQ(std::distance(fs::directory_iterator(cache / ""), fs::directory_iterator()), 1);
  // Same size and modification time, but no longer a JPEG: only a cache hit still loads.
  const fs::path file = root / "cat" / "c0.jpg";
  const auto size = fs::file_size(file);
  const auto time = fs::last_write_time(file);
  write_file(file, std::vector<uint8_t>(size, 0));
  fs::last_write_time(file, time);
  EXPECT_TRUE(torch::equal(
      ImageFolder(config(ImageFolder::schema(), root, cache)).load(SplitKind::kTrain).images,
      first));
  // A new modification time is a new key: the folder is decoded again, and the file fails.
  fs::last_write_time(file, time + std::chrono::seconds(5));
  const std::string message = data_error(
      [&] { ImageFolder(config(ImageFolder::schema(), root, cache)).load(SplitKind::kTrain); });
  EXPECT_NE(message.find("c0.jpg"), std::string::npos) << message;
  write_jpeg(file, 16, 12, {0, 255, 0});
  const torch::Tensor again =
      ImageFolder(config(ImageFolder::schema(), root, cache)).load(SplitKind::kTrain).images;
  EXPECT_FALSE(torch::equal(again, first));
  // A damaged cache file is ignored and rewritten.
  for (const auto& entry : fs::directory_iterator(cache)) fs::resize_file(entry.path(), 100);
  EXPECT_TRUE(torch::equal(
      ImageFolder(config(ImageFolder::schema(), root, cache)).load(SplitKind::kTrain).images,
      again));
  uintmax_t largest = 0;  // the current key's file was rewritten whole; the stale one stays
  for (const auto& entry : fs::directory_iterator(cache))
    largest = std::max(largest, fs::file_size(entry.path()));
  EXPECT_GT(largest, 15u * 3 * 12 * 16);
}

}  // namespace
}  // namespace gear

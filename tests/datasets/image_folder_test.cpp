// image-folder on small trees of PNGs (exact) and JPEGs written here, and its decoded-tensor
// cache.

#include "image_folder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
using test::pattern_image;
using test::write_png;

Config config(const fs::path& root, std::vector<std::pair<std::string, Value>> extra = {}) {
  extra.emplace_back("path", root.string());
  extra.emplace_back("cache_dir", (root.parent_path() / "cache").string());
  return test::make_config(ImageFolder::schema(), extra, "data");
}

ImageFolder folder(const fs::path& root, std::vector<std::pair<std::string, Value>> extra = {}) {
  return ImageFolder(config(root, std::move(extra)));
}

std::vector<fs::path> cache_files(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(root.parent_path() / "cache" / "decoded"))
    out.push_back(entry.path());
  return out;
}

// cat: 5 RGB PNGs, dog: 10 (one of them a PNG named .JPG); pixels pattern_image(3, 12, 16, k)
// for the k-th image overall. Besides: a note, Thumbs.db, a hidden file, a sub-folder.
fs::path pet_folder(const std::string& label, std::vector<torch::Tensor>* images = nullptr) {
  fs::path root = test::temp_dir("folder-" + label) / "pets";
  int k = 0;
  for (int i = 0; i < 5; ++i, ++k) {
    write_png(root / "cat" / ("c" + std::to_string(i) + ".png"), pattern_image(3, 12, 16, k));
    if (images) images->push_back(pattern_image(3, 12, 16, k));
  }
  for (int i = 0; i < 10; ++i, ++k) {
    write_png(root / "dog" / ("d" + std::to_string(i) + (i == 3 ? ".JPG" : ".png")),
              pattern_image(3, 12, 16, k));
    if (images) images->push_back(pattern_image(3, 12, 16, k));
  }
  test::write_text(root / "dog" / "notes.txt", "not an image");
  write_file(root / "dog" / "Thumbs.db", {0xd0, 0xcf, 0x11, 0xe0});
  write_file(root / "cat" / ".hidden.png", {1, 2, 3});
  write_png(root / "cat" / "extra" / "nested.png", pattern_image(3, 5, 5, 0));
  return root;
}

TEST(ImageFolder, PngPixelsRoundTripExactlyInAStratifiedSeededSplit) {
  std::vector<torch::Tensor> images;
  const fs::path root = pet_folder("split", &images);
  ImageFolder pets = folder(root);
  const DatasetInfo info = pets.info();
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(info.num_classes, 2);
  EXPECT_EQ(info.image_shape, (std::vector<int64_t>{3, 12, 16}));
  const DataSplit train = pets.load(SplitKind::kTrain), test = pets.load(SplitKind::kTest);
  // 20% of 5 cats and of 10 dogs held out; the note, Thumbs.db, the hidden file and the
  // sub-folder are skipped.
  EXPECT_EQ(train.images.size(0), 12);
  EXPECT_EQ(test.images.size(0), 3);
  EXPECT_EQ((train.labels == 0).sum().item<int64_t>(), 4);
  EXPECT_EQ((test.labels == 0).sum().item<int64_t>(), 1);
  EXPECT_EQ((test.labels == 1).sum().item<int64_t>(), 2);
  // Every image appears exactly once, pixel for pixel, with its class's label, and each split
  // keeps the sorted file order.
  std::vector<int> seen(images.size(), 0);
  for (const DataSplit* split : {&train, &test}) {
    int64_t previous = -1;
    for (int64_t i = 0; i < split->images.size(0); ++i) {
      int64_t found = -1;
      for (size_t k = 0; k < images.size(); ++k)
        if (torch::equal(split->images[i], images[k])) found = static_cast<int64_t>(k);
      ASSERT_GE(found, 0) << "image " << i << " is none of the written ones";
      ++seen[static_cast<size_t>(found)];
      EXPECT_EQ(split->labels[i].item<int64_t>(), found < 5 ? 0 : 1);
      EXPECT_GT(found, previous);
      previous = found;
    }
  }
  for (size_t k = 0; k < seen.size(); ++k) EXPECT_EQ(seen[k], 1) << k;

  // The same seed holds out the same files; another seed (almost surely) others.
  const DataSplit again = folder(root, {{"cache", false}}).load(SplitKind::kTest);
  EXPECT_TRUE(torch::equal(again.images, test.images));
  const DataSplit other =
      folder(root, {{"cache", false}, {"split_seed", int64_t{7}}}).load(SplitKind::kTest);
  EXPECT_EQ(other.images.size(0), 3);
  EXPECT_FALSE(torch::equal(other.images, test.images));
  // A larger fraction, rounded per class; at least one image per class stays for training.
  const DataSplit half =
      folder(root, {{"cache", false}, {"test_fraction", 0.5}}).load(SplitKind::kTest);
  EXPECT_EQ((half.labels == 0).sum().item<int64_t>(), 3);  // round(2.5) = 3
  EXPECT_EQ((half.labels == 1).sum().item<int64_t>(), 5);
}

TEST(ImageFolder, StatisticsAreThoseOfTheTrainingPixels) {
  const fs::path root = pet_folder("stats");
  ImageFolder pets = folder(root);
  const DatasetInfo info = pets.info();
  const torch::Tensor x = pets.load(SplitKind::kTrain).images.to(torch::kDouble) / 255.0;
  ASSERT_EQ(info.mean.size(), 3u);
  for (int64_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(info.mean[c], x.select(1, c).mean().item<double>(), 1e-12);
    EXPECT_NEAR(info.std[c], x.select(1, c).std(/*unbiased=*/false).item<double>(), 1e-12);
  }
  // From the cache, the same statistics.
  const DatasetInfo cached = folder(root).info();
  EXPECT_EQ(cached.mean, info.mean);
  EXPECT_EQ(cached.std, info.std);
}

TEST(ImageFolder, TrainAndTestFoldersAreTheSplits) {
  const fs::path root = test::temp_dir("folder-layout") / "data";
  write_png(root / "train" / "b" / "1.png", pattern_image(3, 6, 6, 1));
  write_png(root / "train" / "a" / "1.png", pattern_image(3, 6, 6, 2));
  write_png(root / "train" / "a" / "2.png", pattern_image(3, 6, 6, 3));
  write_png(root / "train" / "c" / "1.png", pattern_image(3, 6, 6, 4));
  write_png(root / "val" / "b" / "9.png", pattern_image(3, 6, 6, 5));
  write_png(root / "val" / "a" / "8.png", pattern_image(3, 6, 6, 6));
  ImageFolder data = folder(root);
  EXPECT_EQ(data.info().class_names, (std::vector<std::string>{"a", "b", "c"}));
  const DataSplit train = data.load(SplitKind::kTrain), test = data.load(SplitKind::kTest);
  EXPECT_TRUE(torch::equal(train.labels, torch::tensor({0, 0, 1, 2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(train.images[2], pattern_image(3, 6, 6, 1)));
  EXPECT_TRUE(torch::equal(test.labels, torch::tensor({0, 1}, torch::kLong)));
  EXPECT_TRUE(torch::equal(test.images[0], pattern_image(3, 6, 6, 6)));
  EXPECT_TRUE(torch::equal(test.images[1], pattern_image(3, 6, 6, 5)));
  // test/ wins over val/, and a class only in test/ is an error.
  write_png(root / "test" / "d" / "1.png", pattern_image(3, 6, 6, 7));
  EXPECT_TRUE(contains(data_error([&] {
                         folder(root, {{"cache", false}}).info();
                       }),
                       (root / "test" / "d").string() + ": test class 'd' has no training folder"));
  // A train/ folder alone is one folder to split.
  fs::remove_all(root / "test");
  fs::remove_all(root / "val");
  ImageFolder only_train = folder(root, {{"test_fraction", 0.5}});
  EXPECT_EQ(only_train.info().class_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(only_train.load(SplitKind::kTest).images.size(0), 1);  // round(1) of a's 2 images
}

TEST(ImageFolder, BadFilesAndFoldersAreNamed) {
  const fs::path root = test::temp_dir("folder-bad") / "data";
  write_png(root / "a" / "1.png", pattern_image(3, 8, 10, 0));
  write_png(root / "a" / "2.png", pattern_image(3, 8, 10, 1));
  write_png(root / "b" / "1.png", pattern_image(3, 8, 10, 2));
  // A mixed size without `size`: the odd file, its size, the reference, and the way out.
  write_png(root / "b" / "2.png", pattern_image(3, 9, 10, 3));
  std::string message = data_error([&] { folder(root).info(); });
  EXPECT_TRUE(contains(message, (root / "b" / "2.png").string() +
                                    ": 10x9 pixels (width x height), expected 10x8 like " +
                                    (root / "a" / "1.png").string()));
  EXPECT_TRUE(contains(message, "set the dataset option size = [height, width]"));
  EXPECT_EQ(folder(root, {{"size", std::vector<int64_t>{8, 10}}}).info().image_shape,
            (std::vector<int64_t>{3, 8, 10}));
  fs::remove(root / "b" / "2.png");
  // A corrupt .png, and a text file named .jpg: errors naming them, the first in file order.
  write_file(root / "b" / "3.png", {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0});
  EXPECT_TRUE(contains(data_error([&] { folder(root).info(); }),
                       (root / "b" / "3.png").string() + ": corrupt PNG"));
  test::write_text(root / "a" / "3.jpg", "hello");
  EXPECT_TRUE(contains(
      data_error([&] { folder(root).info(); }),
      (root / "a" / "3.jpg").string() + ": not a JPEG or PNG image (it starts with 68 65 6c 6c)"));
  fs::remove(root / "a" / "3.jpg");
  fs::remove(root / "b" / "3.png");
  // An empty class folder (only a note in it).
  fs::create_directories(root / "c");
  test::write_text(root / "c" / "readme.txt", "soon");
  EXPECT_TRUE(contains(data_error([&] { folder(root).info(); }),
                       (root / "c").string() + ": a class folder without images"));
  fs::remove_all(root / "c");
  EXPECT_TRUE(contains(data_error([&] { folder(root / "missing").info(); }),
                       (root / "missing").string() + ": no such folder"));
  EXPECT_TRUE(contains(
      data_error([&] { ImageFolder(test::make_config(ImageFolder::schema(), {}, "data")).info(); }),
      "image-folder: no data.path"));
  // Options a schema cannot check.
  EXPECT_THROW(folder(root, {{"size", std::vector<int64_t>{8}}}), ConfigError);
  EXPECT_THROW(folder(root, {{"size", std::vector<int64_t>{8, 0}}}), ConfigError);
  EXPECT_THROW(folder(root, {{"channels", int64_t{2}}}), ConfigError);
}

TEST(ImageFolder, SizeResizesByCropOrStretch) {
  // 40x10: a red left quarter, a green middle half, a blue right quarter.
  const fs::path root = test::temp_dir("folder-resize") / "data";
  torch::Tensor bands = torch::zeros({3, 10, 40}, torch::kUInt8);
  bands[0].narrow(1, 0, 10).fill_(255);
  bands[1].narrow(1, 10, 20).fill_(255);
  bands[2].narrow(1, 30, 10).fill_(255);
  write_png(root / "x" / "bands.png", bands);
  write_png(root / "x" / "small.png", pattern_image(3, 3, 2, 0));
  // crop: the height binds (10 -> 8, width 40 -> 32), the centre 8 columns are all green.
  const DataSplit crop =
      folder(root, {{"size", std::vector<int64_t>{8, 8}}, {"test_fraction", 0.0}})
          .load(SplitKind::kTrain);
  ASSERT_EQ(crop.images.sizes(), (std::vector<int64_t>{2, 3, 8, 8}));
  torch::Tensor green = torch::zeros({3, 8, 8}, torch::kUInt8);
  green[1].fill_(255);
  EXPECT_TRUE(torch::equal(crop.images[0], green));
  // stretch: the whole width squeezed into 8 columns: red left, blue right.
  const DataSplit stretch = folder(root, {{"size", std::vector<int64_t>{8, 8}},
                                          {"fit", std::string("stretch")},
                                          {"test_fraction", 0.0}})
                                .load(SplitKind::kTrain);
  EXPECT_EQ(stretch.images[0][0][4][0].item<int>(), 255);
  EXPECT_EQ(stretch.images[0][2][4][0].item<int>(), 0);
  EXPECT_EQ(stretch.images[0][2][4][7].item<int>(), 255);
  EXPECT_EQ(stretch.images[0][0][4][7].item<int>(), 0);
  // The upscaled small image: within the range of its pixels, and the right shape.
  EXPECT_EQ(stretch.images[1].sizes(), (std::vector<int64_t>{3, 8, 8}));
}

TEST(ImageFolder, ChannelsFollowTheImagesOrTheOption) {
  const fs::path root = test::temp_dir("folder-channels") / "data";
  // Colours whose Pillow luma is known: (0,255,0) -> 150, (128,128,127) -> 128, (3,7,250) -> 34.
  torch::Tensor rgb =
      torch::tensor({0, 128, 3, 255, 128, 7, 0, 127, 250}, torch::kUInt8).view({3, 1, 3});
  write_png(root / "grey" / "g.png", pattern_image(1, 1, 3, 4));
  write_file(root / "grey" / "j.jpg", encode_jpeg(flat_image(3, 1, {77}), 3, 1, 1));
  const DataSplit auto_grey =
      folder(root, {{"test_fraction", 0.0}}).load(SplitKind::kTrain);  // all grey: 1 channel
  ASSERT_EQ(auto_grey.images.sizes(), (std::vector<int64_t>{2, 1, 1, 3}));
  EXPECT_TRUE(torch::equal(auto_grey.images[0], pattern_image(1, 1, 3, 4)));
  const DataSplit as_rgb =
      folder(root, {{"test_fraction", 0.0}, {"channels", int64_t{3}}}).load(SplitKind::kTrain);
  ASSERT_EQ(as_rgb.images.sizes(), (std::vector<int64_t>{2, 3, 1, 3}));
  EXPECT_TRUE(torch::equal(as_rgb.images[0], pattern_image(1, 1, 3, 4).expand({3, 1, 3})));
  // One colour image: automatic means RGB; channels = 1 is Pillow's luma.
  write_png(root / "rgb" / "c.png", rgb);
  ImageFolder mixed = folder(root, {{"test_fraction", 0.0}});
  EXPECT_EQ(mixed.info().image_shape, (std::vector<int64_t>{3, 1, 3}));
  EXPECT_TRUE(torch::equal(mixed.load(SplitKind::kTrain).images[2], rgb));
  const DataSplit luma =
      folder(root, {{"test_fraction", 0.0}, {"channels", int64_t{1}}}).load(SplitKind::kTrain);
  ASSERT_EQ(luma.images.sizes(), (std::vector<int64_t>{3, 1, 1, 3}));
  EXPECT_TRUE(
      torch::equal(luma.images[2], torch::tensor({150, 128, 34}, torch::kUInt8).view({1, 1, 3})));
  EXPECT_TRUE(torch::equal(luma.images[0], pattern_image(1, 1, 3, 4)));
}

TEST(ImageFolder, TheSecondLoadReadsTheCacheUntilAFileChanges) {
  const fs::path root = test::temp_dir("folder-cache") / "data";
  // Uncompressed PNGs: a file's size depends only on its dimensions, not on its pixels.
  for (int k = 0; k < 4; ++k)
    write_png(root / (k < 2 ? "a" : "b") / (std::to_string(k) + ".png"), pattern_image(3, 8, 8, k),
              /*compression=*/0);
  const auto load = [&] {
    ImageFolder data = folder(root);
    const DatasetInfo info = data.info();
    return std::make_pair(info, data.load(SplitKind::kTrain));
  };
  const auto [info, first] = load();
  ASSERT_EQ(cache_files(root).size(), 1u);
  // The same folder spelled differently is the same key.
  ImageFolder(test::make_config(ImageFolder::schema(),
                                {{"path", (root.parent_path() / "." / "data" / "").string()},
                                 {"cache_dir", (root.parent_path() / "cache").string()}},
                                "data"))
      .info();
  ASSERT_EQ(cache_files(root).size(), 1u);
  EXPECT_EQ(cache_files(root)[0].filename().string().rfind("image-folder-", 0), 0u);

  // New pixels, same size, modification time restored: the cache answers with the old pixels.
  const fs::path file = root / "a" / "0.png";
  const auto size = fs::file_size(file);
  const auto time = fs::last_write_time(file);
  write_png(file, pattern_image(3, 8, 8, 50), 0);
  ASSERT_EQ(fs::file_size(file), size);
  fs::last_write_time(file, time);
  const auto [cached_info, cached] = load();
  EXPECT_TRUE(torch::equal(cached.images, first.images));
  EXPECT_TRUE(torch::equal(cached.labels, first.labels));
  EXPECT_EQ(cached_info.class_names, info.class_names);
  EXPECT_EQ(cached_info.mean, info.mean);
  EXPECT_EQ(cached_info.std, info.std);
  EXPECT_EQ(cached_info.image_shape, info.image_shape);

  // A new modification time is a new key: decoded again, the new pixels show.
  fs::last_write_time(file, time + std::chrono::seconds(5));
  const auto [fresh_info, fresh] = load();
  EXPECT_FALSE(torch::equal(fresh.images, first.images));
  bool found = false;
  for (int64_t i = 0; i < fresh.images.size(0); ++i)
    found = found || torch::equal(fresh.images[i], pattern_image(3, 8, 8, 50));
  EXPECT_TRUE(found);
  EXPECT_NE(fresh_info.mean, info.mean);
  ASSERT_EQ(cache_files(root).size(), 2u);  // old entries stay

  // Options that change the result are part of the key.
  folder(root, {{"size", std::vector<int64_t>{4, 4}}}).info();
  folder(root, {{"channels", int64_t{1}}}).info();
  EXPECT_EQ(cache_files(root).size(), 4u);
  // With cache = false nothing is read or written.
  folder(root, {{"cache", false}, {"split_seed", int64_t{3}}}).info();
  EXPECT_EQ(cache_files(root).size(), 4u);
}

// The current key's cache file for `root` at default options: the newest one.
fs::path newest_cache_file(const fs::path& root) {
  fs::path newest;
  for (const fs::path& f : cache_files(root))
    if (newest.empty() || fs::last_write_time(f) > fs::last_write_time(newest)) newest = f;
  return newest;
}

TEST(ImageFolder, DamagedCacheFilesAreIgnoredAndRewritten) {
  const fs::path root = test::temp_dir("folder-damage") / "data";
  for (int k = 0; k < 4; ++k)
    write_png(root / (k < 2 ? "a" : "b") / (std::to_string(k) + ".png"), pattern_image(3, 8, 8, k));
  const DataSplit good = folder(root).load(SplitKind::kTrain);
  const fs::path cache = newest_cache_file(root);
  const auto good_size = fs::file_size(cache);
  std::vector<char> bytes(good_size);
  std::ifstream(cache, std::ios::binary)
      .read(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  const auto rewrite = [&](const std::vector<char>& content) {
    std::ofstream(cache, std::ios::binary | std::ios::trunc)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
  };
  const auto check_rewritten = [&](const char* what) {
    const DataSplit again = folder(root).load(SplitKind::kTrain);
    EXPECT_TRUE(torch::equal(again.images, good.images)) << what;
    EXPECT_TRUE(torch::equal(again.labels, good.labels)) << what;
    EXPECT_EQ(fs::file_size(cache), good_size) << what;
    std::vector<char> now(good_size);
    std::ifstream(cache, std::ios::binary)
        .read(now.data(), static_cast<std::streamsize>(now.size()));
    EXPECT_EQ(now, bytes) << what << ": the file was not rewritten whole";
  };

  std::vector<char> damaged(bytes.begin(),
                            bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
  rewrite(damaged);
  check_rewritten("truncated");
  damaged = bytes;
  damaged[8] = 1;  // format version 1
  rewrite(damaged);
  check_rewritten("another version");
  damaged = bytes;
  damaged[damaged.size() - 200] ^= 0x40;  // one pixel bit: the checksum
  rewrite(damaged);
  check_rewritten("a flipped pixel bit");
  damaged = bytes;
  damaged.push_back(0);
  rewrite(damaged);
  check_rewritten("a byte appended");
  rewrite({});
  check_rewritten("empty");
  // No temporary files left behind.
  EXPECT_EQ(cache_files(root).size(), 1u);
}

}  // namespace
}  // namespace gear::plugins::datasets

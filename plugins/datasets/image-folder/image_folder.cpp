#include "image_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "directory_listing.h"
#include "image_files.h"

namespace gear {
namespace {

namespace fs = std::filesystem;

bool is_folder(const fs::directory_entry& entry) { return entry.is_directory(); }

bool has_image_extension(const fs::path& file) {
  const std::string ext = lower_case(file.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// The images of one class folder, sorted; other files (notes, thumbnails) are skipped.
std::vector<fs::path> class_images(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const std::string& name : image_io::sorted_entries(dir, [](const fs::directory_entry& e) {
         return e.is_regular_file() && has_image_extension(e.path());
       })) {
    if (lower_case(fs::path(name).extension().string()) == ".png")
      throw DataError((dir / name).string() +
                      ": PNG images are not read yet; convert the folder to JPEG");
    out.push_back(dir / name);
  }
  if (out.empty()) throw DataError(dir.string() + ": a class folder without JPEG images");
  return out;
}

}  // namespace

ImageFolder::ImageFolder(const Config& options)
    : path_(options.get<std::string>("path")),
      size_(options.get<std::vector<int64_t>>("size")),
      test_fraction_(options.get<double>("test_fraction")),
      split_seed_(options.get<int64_t>("split_seed")),
      cache_(options.get<bool>("cache")),
      cache_dir_(options.get<std::string>("cache_dir")) {
  if (!size_.empty() && (size_.size() != 2 || size_[0] <= 0 || size_[1] <= 0))
    options.fail("size", "must be [height, width] with positive sizes");
}

OptionSchema ImageFolder::schema() {
  return OptionSchema()
      .add_string("path", "",
                  "root folder: <class>/<image>.jpg, or train/<class>/... with test/ or val/")
      .add_int_list("size", {},
                    "[height, width] to resize every image to (shorter side, then centre crop); "
                    "empty: all images must have the first one's size")
      .add_float("test_fraction", 0.2,
                 "share of each class held out as the test split when there is no "
                 "train/ and test/ layout")
      .range(0.0, 0.9)
      .add_int("split_seed", 0, "seed of that held-out draw")
      .add_bool("cache", true,
                "keep the decoded images on disk so that later runs do not decode them again")
      .add_string("cache_dir", "",
                  "where the decoded images go (empty: $XDG_CACHE_HOME/gear/decoded, else "
                  "~/.cache/gear/decoded)");
}

void ImageFolder::prepare() {
  if (info_) return;
  if (path_.empty()) throw DataError("image-folder: no data.path; set it to the root folder");
  const fs::path root(path_);
  image_io::require_folder(root, "the image-folder root");
  fs::path train_root = root, test_root;
  std::error_code error;
  if (fs::is_directory(root / "train", error)) {
    for (const char* name : {"test", "val"})
      if (test_root.empty() && fs::is_directory(root / name, error)) test_root = root / name;
  }
  if (!test_root.empty()) train_root = root / "train";

  DatasetInfo info;
  info.class_names = image_io::sorted_entries(train_root, is_folder);
  if (info.class_names.empty()) throw DataError(train_root.string() + ": no class folders");
  info.num_classes = static_cast<int64_t>(info.class_names.size());
  LabelledFiles train, test;
  if (!test_root.empty()) {
    for (const std::string& name : image_io::sorted_entries(test_root, is_folder))
      if (!std::binary_search(info.class_names.begin(), info.class_names.end(), name))
        throw DataError((test_root / name).string() + ": a test class with no training folder");
    for (size_t c = 0; c < info.class_names.size(); ++c) {
      for (const auto& file : class_images(train_root / info.class_names[c])) {
        train.files.push_back(file);
        train.labels.push_back(static_cast<int64_t>(c));
      }
      if (!fs::is_directory(test_root / info.class_names[c], error)) continue;
      for (const auto& file : class_images(test_root / info.class_names[c])) {
        test.files.push_back(file);
        test.labels.push_back(static_cast<int64_t>(c));
      }
    }
  } else {
    // A stratified, seeded hold-out: the same files go to test on every machine.
    std::mt19937_64 rng(static_cast<uint64_t>(split_seed_));
    for (size_t c = 0; c < info.class_names.size(); ++c) {
      std::vector<fs::path> files = class_images(root / info.class_names[c]);
      std::vector<size_t> order(files.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      const auto held =
          static_cast<size_t>(test_fraction_ * static_cast<double>(files.size()) + 0.5);
      std::set<size_t> to_test(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(held));
      for (size_t i = 0; i < files.size(); ++i) {
        LabelledFiles& split = to_test.count(i) ? test : train;
        split.files.push_back(files[i]);
        split.labels.push_back(static_cast<int64_t>(c));
      }
    }
  }

  // The key needs no decoding: without `size`, the images' own size is part of the result.
  const bool resize = !size_.empty();
  const std::string settings =
      resize ? "image-folder " + std::to_string(size_[0]) + "x" + std::to_string(size_[1])
             : "image-folder native size";
  const DecodedCache cache(cache_dir_, {train, test}, settings);
  std::optional<std::vector<DataSplit>> cached;
  if (cache_) cached = cache.read();
  if (cached && cached->size() == 2) {
    train_ = (*cached)[0];
    test_ = (*cached)[1];
  } else {
    int64_t height = 0, width = 0;
    if (resize) {
      height = size_[0];
      width = size_[1];
    } else {
      std::tie(height, width) = image_size(train.files.front());
    }
    train_ = decode_files(train, height, width, resize);
    test_ = test.files.empty() ? DataSplit{torch::empty({0, 3, height, width}, torch::kUInt8),
                                           torch::empty({0}, torch::kLong)}
                               : decode_files(test, height, width, resize);
    if (cache_) cache.write({train_, test_});
  }
  const int64_t height = train_.images.size(2), width = train_.images.size(3);
  info.image_shape = {3, height, width};
  // Normalisation statistics of the training images, in [0, 1] units, accumulated in chunks so
  // that a large folder does not need a float copy of all its pixels.
  torch::Tensor sum = torch::zeros({3}, torch::kDouble),
                squares = torch::zeros({3}, torch::kDouble);
  const int64_t n = train_.images.size(0);
  for (int64_t begin = 0; begin < n; begin += 1024) {
    torch::Tensor x = train_.images.narrow(0, begin, std::min<int64_t>(1024, n - begin))
                          .to(torch::kDouble)
                          .div_(255.0);
    sum += x.sum({0, 2, 3});
    squares += x.square().sum({0, 2, 3});
  }
  const double count = static_cast<double>(n * height * width);
  for (int64_t ch = 0; ch < 3; ++ch) {
    const double mean = sum[ch].item<double>() / count;
    const double var = std::max(squares[ch].item<double>() / count - mean * mean, 0.0);
    info.mean.push_back(mean);
    info.std.push_back(std::max(std::sqrt(var), 1e-6));
  }
  info_ = info;
}

DatasetInfo ImageFolder::info() {
  prepare();
  return *info_;
}

DataSplit ImageFolder::load(SplitKind split) {
  prepare();
  return split == SplitKind::kTrain ? train_ : test_;
}

}  // namespace gear

#include "image_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <tuple>

#include "decoded_cache.h"
#include "directory_listing.h"
#include "file_bytes.h"
#include "image_decode.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

bool is_folder(const fs::directory_entry& entry) {
  std::error_code error;
  return entry.is_directory(error);
}

bool has_image_extension(const fs::path& file) {
  const std::string ext = lower_case(file.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// The images of one class folder, sorted bytewise: files named .jpg, .jpeg or .png in any case
// (decoded by content, so a PNG named .jpg is fine). Other files (notes, Thumbs.db, hidden
// files) and sub-folders are skipped.
std::vector<fs::path> class_images(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const std::string& name : image_io::sorted_entries(dir, [](const fs::directory_entry& e) {
         std::error_code error;
         return e.is_regular_file(error) && has_image_extension(e.path());
       }))
    out.push_back(dir / name);
  if (out.empty())
    throw DataError(dir.string() + ": a class folder without images (.jpg, .jpeg or .png)");
  return out;
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// The positions of `count` files to hold out for testing: a Fisher-Yates shuffle drawn from
// mt19937_64 seeded by the seed and the class name (both fully specified by the standard, so
// every machine holds out the same files, and adding a class does not move another's files).
std::set<size_t> held_out(size_t files, size_t count, int64_t seed, const std::string& name) {
  const uint64_t name_hash = fnv1a(name);
  const auto seed_bits = static_cast<uint64_t>(seed);
  std::seed_seq sequence{static_cast<uint32_t>(seed_bits), static_cast<uint32_t>(seed_bits >> 32),
                         static_cast<uint32_t>(name_hash), static_cast<uint32_t>(name_hash >> 32)};
  std::mt19937_64 rng(sequence);
  std::vector<size_t> order(files);
  for (size_t i = 0; i < files; ++i) order[i] = i;
  for (size_t i = files; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return std::set<size_t>(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
}

}  // namespace

ImageFolder::ImageFolder(const Config& options)
    : path_(options.get<std::string>("path")),
      size_(options.get<std::vector<int64_t>>("size")),
      fit_(options.get<std::string>("fit") == "stretch" ? Fit::kStretch : Fit::kCrop),
      channels_(options.get<int64_t>("channels")),
      test_fraction_(options.get<double>("test_fraction")),
      split_seed_(options.get<int64_t>("split_seed")),
      cache_(options.get<bool>("cache")),
      cache_dir_(options.get<std::string>("cache_dir")) {
  if (!size_.empty() && (size_.size() != 2 || size_[0] <= 0 || size_[1] <= 0))
    options.fail("size", "must be [height, width] with positive sizes, or [] for the images' own");
  if (channels_ != 0 && channels_ != 1 && channels_ != 3)
    options.fail("channels", "must be 0 (automatic), 1 (greyscale) or 3 (RGB), not " +
                                 std::to_string(channels_));
}

OptionSchema ImageFolder::schema() {
  return OptionSchema()
      .add_string("path", "",
                  "root folder: <class>/<image> (JPEG or PNG), or train/<class>/<image> beside "
                  "test/<class>/... or val/<class>/...; labels follow the sorted class folder "
                  "names")
      .add_int_list("size", {},
                    "[height, width] to bring every image to (see fit); empty: the images keep "
                    "their size, which they must all share")
      .add_string("fit", "crop",
                  "with size: crop resizes the shorter side (bilinear, antialiased) and cuts out "
                  "the centre; stretch resizes to [height, width], ignoring the aspect ratio")
      .one_of({"crop", "stretch"})
      .add_int("channels", 0,
               "0: 3 if any image is colour, else 1; 1: greyscale (colour images become "
               "ITU-R 601-2 luma, as Pillow's convert('L')); 3: RGB (grey images replicated)")
      .range(0, 3)
      .add_float("test_fraction", 0.2,
                 "without train/ and test/ (or val/) folders: share of each class held out as "
                 "the test split (rounded, at least one image left for training)")
      .range(0.0, 0.9)
      .add_int("split_seed", 0, "seed of that held-out draw (per class, the same on every machine)")
      .add_bool("cache", true,
                "keep the decoded images and their statistics on disk (<cache_dir>/decoded/) so "
                "that later runs do not decode them again; any change to a file decodes afresh")
      .add_string("cache_dir", "",
                  "folder of the decoded-tensor cache (empty: $XDG_CACHE_HOME/gear, else "
                  "~/.cache/gear)");
}

std::vector<std::string> ImageFolder::list(LabelledFiles& train, LabelledFiles& test) const {
  if (path_.empty())
    throw DataError(
        "image-folder: no data.path; set it to the root folder holding one sub-folder of "
        "images per class");
  const fs::path root(path_);
  image_io::require_folder(root, "the image-folder root");
  std::error_code error;
  fs::path train_root = root, test_root;
  if (fs::is_directory(root / "train", error)) {
    train_root = root / "train";
    for (const char* name : {"test", "val"})
      if (test_root.empty() && fs::is_directory(root / name, error)) test_root = root / name;
  }

  std::vector<std::string> classes = image_io::sorted_entries(train_root, is_folder);
  if (classes.empty())
    throw DataError(train_root.string() + ": no class folders (expected <class>/<image>)");
  if (!test_root.empty()) {
    for (const std::string& name : image_io::sorted_entries(test_root, is_folder))
      if (!std::binary_search(classes.begin(), classes.end(), name))
        throw DataError((test_root / name).string() + ": test class '" + name +
                        "' has no training folder in " + train_root.string());
    for (size_t c = 0; c < classes.size(); ++c) {
      for (const fs::path& file : class_images(train_root / classes[c])) {
        train.files.push_back(file);
        train.labels.push_back(static_cast<int64_t>(c));
      }
      if (!fs::is_directory(test_root / classes[c], error)) continue;
      for (const fs::path& file : class_images(test_root / classes[c])) {
        test.files.push_back(file);
        test.labels.push_back(static_cast<int64_t>(c));
      }
    }
    return classes;
  }
  // A stratified, seeded hold-out; within each split the files keep their sorted order.
  for (size_t c = 0; c < classes.size(); ++c) {
    const std::vector<fs::path> files = class_images(train_root / classes[c]);
    const auto wanted = static_cast<size_t>(std::llround(test_fraction_ * files.size()));
    const std::set<size_t> to_test =
        held_out(files.size(), std::min(wanted, files.size() - 1), split_seed_, classes[c]);
    for (size_t i = 0; i < files.size(); ++i) {
      LabelledFiles& split = to_test.count(i) ? test : train;
      split.files.push_back(files[i]);
      split.labels.push_back(static_cast<int64_t>(c));
    }
  }
  return classes;
}

void ImageFolder::prepare() {
  if (info_) return;
  LabelledFiles train, test;
  DatasetInfo info;
  info.class_names = list(train, test);
  info.num_classes = static_cast<int64_t>(info.class_names.size());

  const bool resize = !size_.empty();
  const std::string settings =
      "size " + (resize ? std::to_string(size_[0]) + "x" + std::to_string(size_[1]) : "native") +
      ", fit " + (resize ? (fit_ == Fit::kCrop ? "crop" : "stretch") : "none") + ", channels " +
      std::to_string(channels_) + ", test_fraction " + std::to_string(test_fraction_) +
      ", split_seed " + std::to_string(split_seed_);
  const DecodedCache cache(cache_dir_, "image-folder", path_, {train, test}, settings);
  std::optional<CachedDataset> cached;
  if (cache_)
    cached =
        cache.read(info.class_names, {channels_, resize ? size_[0] : 0, resize ? size_[1] : 0});
  if (cached && cached->mean.size() == static_cast<size_t>(cached->splits[0].images.size(1))) {
    train_ = cached->splits[0];
    test_ = cached->splits[1];
    info.mean = cached->mean;
    info.std = cached->std;
  } else {
    DecodeTarget target;
    target.channels = channels_ == 1 ? 1 : 3;
    if (resize) {
      target.height = size_[0];
      target.width = size_[1];
      target.fit = fit_;
    } else {
      // The first training image fixes the size.
      const fs::path& first = train.files.front();
      const torch::Tensor image =
          image_io::decode_image(image_io::read_bytes(first), first.string());
      target.height = image.size(1);
      target.width = image.size(2);
      target.reference = first.string();
      target.advice =
          "; the images differ in size: set the dataset option size = [height, width] to "
          "resize them all";
    }
    DecodedFiles decoded_train = decode_files(train, target);
    DecodedFiles decoded_test =
        test.files.empty()
            ? DecodedFiles{{torch::empty({0, target.channels, target.height, target.width},
                                         torch::kUInt8),
                            torch::empty({0}, torch::kLong)},
                           false}
            : decode_files(test, target);
    train_ = decoded_train.split;
    test_ = decoded_test.split;
    if (channels_ == 0 && !decoded_train.any_colour && !decoded_test.any_colour) {
      // All greyscale: decoded as three equal channels, kept as one.
      train_.images = train_.images.narrow(1, 0, 1).contiguous();
      test_.images = test_.images.narrow(1, 0, 1).contiguous();
    }
    std::tie(info.mean, info.std) = channel_statistics(train_.images);
    if (cache_) cache.write({info.class_names, info.mean, info.std, {train_, test_}});
  }
  info.image_shape = {train_.images.size(1), train_.images.size(2), train_.images.size(3)};
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

}  // namespace gear::plugins::datasets

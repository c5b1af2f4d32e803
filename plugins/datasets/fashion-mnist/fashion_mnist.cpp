#include "fashion_mnist.h"

#include <filesystem>
#include <vector>

#include "idx_reader.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNumClasses = 10;
constexpr int64_t kImageSize = 28;

const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

// Compares as folders, so "/usr/share/datasets/fashion-mnist/" counts as the default too.
bool is_default_path(const std::string& path) {
  return (fs::path(path) / "").lexically_normal() ==
         (fs::path(FashionMnist::kDefaultPath) / "").lexically_normal();
}

void check_labels(const std::string& path, const torch::Tensor& labels) {
  if (labels.numel() == 0) return;
  const int64_t worst = labels.argmax().item<int64_t>();
  const int64_t value = labels[worst].item<int64_t>();
  if (value >= kNumClasses)
    throw DataError(path + ": label " + std::to_string(value) + " at index " +
                    std::to_string(worst) + " is out of range [0, " + std::to_string(kNumClasses) +
                    ")");
}

}  // namespace

FashionMnist::FashionMnist(const Config& options) : path_(options.get<std::string>("path")) {}

OptionSchema FashionMnist::schema() {
  return OptionSchema().add_string(
      "path", kDefaultPath,
      "folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
      "and t10k-labels-idx1-ubyte, each uncompressed or as .gz");
}

std::string FashionMnist::find_file(const std::string& stem) const {
  const fs::path plain = fs::path(path_) / stem;
  const fs::path gz = fs::path(path_) / (stem + ".gz");
  std::error_code ec;
  if (fs::is_regular_file(plain, ec)) return plain.string();
  if (fs::is_regular_file(gz, ec)) return gz.string();
  std::string message =
      fs::is_directory(path_, ec)
          ? "fashion-mnist: missing " + plain.string() + " (or " + gz.string() + ")"
          : "fashion-mnist: dataset folder " + path_ + " does not exist";
  if (is_default_path(path_)) {
    message +=
        "; install Debian's dataset-fashion-mnist package (apt-get install "
        "dataset-fashion-mnist)";
  } else {
    message += "; set the dataset's path option to the folder holding the IDX files";
  }
  throw DataError(message);
}

DatasetInfo FashionMnist::info() {
  // Resolving the files here reports a missing dataset before any training is set up.
  for (const char* stem : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
    find_file(stem);
  DatasetInfo info;
  info.num_classes = kNumClasses;
  info.image_shape = {1, kImageSize, kImageSize};
  info.class_names = class_names();
  info.mean = {0.2860};
  info.std = {0.3530};
  return info;
}

DataSplit FashionMnist::load(SplitKind split) {
  const std::string prefix = split == SplitKind::kTrain ? "train" : "t10k";
  const std::string images_path = find_file(prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(prefix + "-labels-idx1-ubyte");

  torch::Tensor images = read_idx(images_path, 3);
  if (images.size(1) != kImageSize || images.size(2) != kImageSize)
    throw DataError(images_path + ": expected 28x28 images, found " +
                    std::to_string(images.size(1)) + "x" + std::to_string(images.size(2)));
  torch::Tensor labels = read_idx(labels_path, 1);
  if (labels.size(0) != images.size(0))
    throw DataError(images_path + " holds " + std::to_string(images.size(0)) + " images but " +
                    labels_path + " holds " + std::to_string(labels.size(0)) + " labels");
  check_labels(labels_path, labels);

  return {images.unsqueeze(1), labels.to(torch::kLong)};
}

}  // namespace gear::plugins::datasets

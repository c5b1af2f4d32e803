#include "cifar_dataset.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "cifar_classes.h"
#include "file_bytes.h"

namespace gear {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPixels = 3 * 32 * 32;

std::string download_hint(bool cifar100) {
  return cifar100 ? "the cifar-100-binary folder from "
                    "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
                  : "the cifar-10-batches-bin folder from "
                    "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
}

// Non-empty lines of a names file, trimmed.
std::vector<std::string> read_names(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    names.push_back(line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1));
  }
  return names;
}

}  // namespace

DataSplit read_cifar_files(const std::vector<std::string>& files, const CifarRecordFormat& format) {
  const int64_t record = format.label_bytes + kPixels;
  std::vector<torch::Tensor> images, labels;
  for (const std::string& file : files) {
    std::error_code error;
    if (!fs::is_regular_file(file, error)) throw DataError(file + ": missing");
    const std::vector<uint8_t> bytes = image_io::read_bytes(file);
    const auto size = static_cast<int64_t>(bytes.size());
    if (size == 0 || size % record != 0)
      throw DataError(file + ": " + std::to_string(size) + " bytes is not a whole number of " +
                      std::to_string(record) + "-byte records (truncated, or not a " +
                      (format.label_bytes == 1 ? "CIFAR-10" : "CIFAR-100") + " file?)");
    torch::Tensor records = torch::empty({size / record, record}, torch::kUInt8);
    std::memcpy(records.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    torch::Tensor label = records.select(1, format.label_index).to(torch::kLong);
    const int64_t worst = label.argmax().item<int64_t>();
    const int64_t value = label[worst].item<int64_t>();
    if (value >= format.num_classes)
      throw DataError(file + ": record " + std::to_string(worst) + " has label " +
                      std::to_string(value) + ", outside [0, " +
                      std::to_string(format.num_classes) + ")");
    images.push_back(records.narrow(1, format.label_bytes, kPixels).reshape({-1, 3, 32, 32}));
    labels.push_back(label);
  }
  return {torch::cat(images).contiguous(), torch::cat(labels)};
}

CifarDataset::CifarDataset(std::string name, std::string path, bool cifar100, bool fine)
    : name_(std::move(name)), path_(std::move(path)), cifar100_(cifar100), fine_(fine) {}

std::vector<std::string> CifarDataset::files(SplitKind split) const {
  if (path_.empty())
    throw DataError(name_ + ": no data.path; set it to " + download_hint(cifar100_));
  std::error_code error;
  if (!fs::is_directory(path_, error))
    throw DataError(name_ + ": dataset folder " + path_ + " does not exist; data.path should be " +
                    download_hint(cifar100_));
  const fs::path root(path_);
  if (cifar100_) return {(root / (split == SplitKind::kTrain ? "train.bin" : "test.bin")).string()};
  if (split == SplitKind::kTest) return {(root / "test_batch.bin").string()};
  std::vector<std::string> out;
  for (int i = 1; i <= 5; ++i)
    out.push_back((root / ("data_batch_" + std::to_string(i) + ".bin")).string());
  return out;
}

std::vector<std::string> CifarDataset::class_names() const {
  const char* meta = !cifar100_ ? "batches.meta.txt"
                     : fine_    ? "fine_label_names.txt"
                                : "coarse_label_names.txt";
  std::vector<std::string> standard;
  if (!cifar100_) {
    standard = cifar10_class_names();
  } else if (fine_) {
    standard = cifar100_fine_names();
  } else {
    for (const ClassGroup& g : cifar100_superclasses()) standard.push_back(g.name);
  }
  const fs::path file = fs::path(path_) / meta;
  std::error_code error;
  if (!fs::is_regular_file(file, error)) return standard;
  std::vector<std::string> names = read_names(file);
  if (names.size() != standard.size())
    throw DataError(file.string() + ": " + std::to_string(names.size()) +
                    " class names, expected " + std::to_string(standard.size()));
  return names;
}

DatasetInfo CifarDataset::info() {
  // Resolving the files here reports a missing dataset before any training is set up.
  for (SplitKind split : {SplitKind::kTrain, SplitKind::kTest})
    for (const std::string& file : files(split)) {
      std::error_code error;
      if (!fs::is_regular_file(file, error))
        throw DataError(name_ + ": missing " + file + "; data.path should be " +
                        download_hint(cifar100_));
    }
  DatasetInfo info;
  info.class_names = class_names();
  info.num_classes = static_cast<int64_t>(info.class_names.size());
  info.image_shape = {3, 32, 32};
  if (cifar100_) {
    info.mean = {0.5071, 0.4865, 0.4409};
    info.std = {0.2673, 0.2564, 0.2762};
  } else {
    info.mean = {0.4914, 0.4822, 0.4465};
    info.std = {0.2470, 0.2435, 0.2616};
  }
  return info;
}

DataSplit CifarDataset::load(SplitKind split) {
  CifarRecordFormat format;
  if (cifar100_) {
    format.label_bytes = 2;
    format.label_index = fine_ ? 1 : 0;
    format.num_classes = fine_ ? 100 : 20;
  }
  return read_cifar_files(files(split), format);
}

std::vector<ClassGroup> CifarDataset::class_groups() {
  if (cifar100_ && fine_) return cifar100_superclasses();
  return {};
}

Cifar10::Cifar10(const Config& options)
    : CifarDataset("cifar10", options.get<std::string>("path"), false, true) {}

OptionSchema Cifar10::schema() {
  return OptionSchema().add_string(
      "path", "",
      "the cifar-10-batches-bin folder (data_batch_1.bin ... data_batch_5.bin, test_batch.bin) "
      "from cifar-10-binary.tar.gz");
}

Cifar100::Cifar100(const Config& options)
    : CifarDataset("cifar100", options.get<std::string>("path"), true,
                   options.get<std::string>("label") == "fine") {}

OptionSchema Cifar100::schema() {
  return OptionSchema()
      .add_string("path", "",
                  "the cifar-100-binary folder (train.bin, test.bin) from cifar-100-binary.tar.gz")
      .add_string("label", "fine",
                  "fine: the 100 classes (data.classes may name superclasses, such as "
                  "'vehicles_1', for their 5 classes); coarse: the 20 superclasses as labels")
      .one_of({"fine", "coarse"});
}

}  // namespace gear

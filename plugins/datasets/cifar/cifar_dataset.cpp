#include "cifar_dataset.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "cifar_classes.h"
#include "file_bytes.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPixels = 3 * 32 * 32;

// What to download and where to point data.path.
std::string download_hint(bool cifar100) {
  return cifar100 ? "download cifar-100-binary.tar.gz (the binary version) from "
                    "https://www.cs.toronto.edu/~kriz/ , unpack it (tar -xzf) and set data.path "
                    "to its cifar-100-binary folder"
                  : "download cifar-10-binary.tar.gz (the binary version) from "
                    "https://www.cs.toronto.edu/~kriz/ , unpack it (tar -xzf) and set data.path "
                    "to its cifar-10-batches-bin folder";
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
  const auto label_bytes = static_cast<int64_t>(format.labels.size());
  const int64_t record = label_bytes + kPixels;
  // The sizes first, so that the output is allocated once.
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (const std::string& file : files) {
    std::error_code error;
    if (!fs::is_regular_file(file, error)) throw DataError(file + ": missing");
    const auto size = static_cast<int64_t>(fs::file_size(file, error));
    if (error) throw DataError(file + ": cannot read its size: " + error.message());
    if (size == 0 || size % record != 0) {
      const int64_t other = label_bytes == 1 ? record + 1 : record - 1;
      const std::string cause = size > 0 && size % other == 0
                                    ? "; it holds whole " + std::to_string(other) +
                                          "-byte records: a " +
                                          (label_bytes == 1 ? "CIFAR-100" : "CIFAR-10") + " file?"
                                    : " (truncated?)";
      throw DataError(file + ": " + std::to_string(size) + " bytes is not a whole number of " +
                      std::to_string(record) + "-byte records" + cause);
    }
    counts.push_back(size / record);
    total += size / record;
  }

  torch::Tensor images = torch::empty({total, 3, 32, 32}, torch::kUInt8);
  torch::Tensor labels = torch::empty({total}, torch::kLong);
  uint8_t* image_out = images.data_ptr<uint8_t>();
  int64_t* label_out = labels.data_ptr<int64_t>();
  for (size_t f = 0; f < files.size(); ++f) {
    const std::vector<uint8_t> bytes = image_io::read_bytes(files[f]);
    if (static_cast<int64_t>(bytes.size()) != counts[f] * record)
      throw DataError(files[f] + ": changed size while being read");
    for (int64_t r = 0; r < counts[f]; ++r) {
      const uint8_t* in = bytes.data() + r * record;
      for (size_t j = 0; j < format.labels.size(); ++j)
        if (in[j] >= format.labels[j].second)
          throw DataError(files[f] + ": record " + std::to_string(r) + " has " +
                          format.labels[j].first + " " + std::to_string(in[j]) + ", outside [0, " +
                          std::to_string(format.labels[j].second) + ")");
      *label_out++ = in[format.label_index];
      std::memcpy(image_out, in + label_bytes, kPixels);
      image_out += kPixels;
    }
  }
  return {images, labels};
}

CifarDataset::CifarDataset(std::string name, std::string path, bool cifar100, bool fine)
    : name_(std::move(name)), path_(std::move(path)), cifar100_(cifar100), fine_(fine) {}

std::vector<std::string> CifarDataset::files(SplitKind split) const {
  if (path_.empty()) throw DataError(name_ + ": no data.path; " + download_hint(cifar100_));
  std::error_code error;
  if (!fs::is_directory(path_, error))
    throw DataError(name_ + ": dataset folder " + path_ + " does not exist; " +
                    download_hint(cifar100_));
  const fs::path root(path_);
  if (cifar100_) return {(root / (split == SplitKind::kTrain ? "train.bin" : "test.bin")).string()};
  if (split == SplitKind::kTest) return {(root / "test_batch.bin").string()};
  std::vector<std::string> out;
  for (int i = 1; i <= 5; ++i)
    out.push_back((root / ("data_batch_" + std::to_string(i) + ".bin")).string());
  return out;
}

std::vector<std::string> CifarDataset::class_names(bool coarse) const {
  const char* meta = !cifar100_ ? "batches.meta.txt"
                     : coarse   ? "coarse_label_names.txt"
                                : "fine_label_names.txt";
  std::vector<std::string> standard;
  if (!cifar100_) {
    standard = cifar10_class_names();
  } else if (!coarse) {
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
        throw DataError(name_ + ": missing " + file + "; " + download_hint(cifar100_));
    }
  DatasetInfo info;
  info.class_names = class_names(cifar100_ && !fine_);
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
    format.labels = {{"coarse label", 20}, {"fine label", 100}};
    format.label_index = fine_ ? 1 : 0;
  }
  return read_cifar_files(files(split), format);
}

std::vector<ClassGroup> CifarDataset::class_groups() {
  if (!cifar100_ || !fine_) return {};
  // The standard hierarchy, by label: superclass k holds the fine labels the table lists for it.
  // Names come from the meta files when present, so the groups name the classes as info() does.
  const std::vector<std::string> fine = class_names(false), coarse = class_names(true);
  const std::vector<std::string>& standard = cifar100_fine_names();
  std::vector<ClassGroup> groups;
  for (size_t k = 0; k < cifar100_superclasses().size(); ++k) {
    ClassGroup group{coarse[k], {}};
    for (const std::string& member : cifar100_superclasses()[k].classes) {
      const auto label = std::find(standard.begin(), standard.end(), member) - standard.begin();
      group.classes.push_back(fine[static_cast<size_t>(label)]);
    }
    groups.push_back(group);
  }
  return groups;
}

Cifar10::Cifar10(const Config& options)
    : CifarDataset("cifar10", options.get<std::string>("path"), false, true) {}

OptionSchema Cifar10::schema() {
  return OptionSchema().add_string(
      "path", "",
      "the cifar-10-batches-bin folder (data_batch_1.bin ... data_batch_5.bin, test_batch.bin, "
      "optionally batches.meta.txt) of cifar-10-binary.tar.gz from "
      "https://www.cs.toronto.edu/~kriz/");
}

Cifar100::Cifar100(const Config& options)
    : CifarDataset("cifar100", options.get<std::string>("path"), true,
                   options.get<std::string>("label") == "fine") {}

OptionSchema Cifar100::schema() {
  return OptionSchema()
      .add_string("path", "",
                  "the cifar-100-binary folder (train.bin, test.bin, optionally "
                  "fine_label_names.txt and coarse_label_names.txt) of cifar-100-binary.tar.gz "
                  "from https://www.cs.toronto.edu/~kriz/")
      .add_string("label", "fine",
                  "fine: the 100 classes (data.classes may name superclasses, such as "
                  "'vehicles_1', for their 5 classes); coarse: the 20 superclasses as labels")
      .one_of({"fine", "coarse"});
}

}  // namespace gear::plugins::datasets

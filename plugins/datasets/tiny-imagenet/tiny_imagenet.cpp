#include "tiny_imagenet.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "directory_listing.h"

namespace gear {
namespace {

namespace fs = std::filesystem;

bool is_jpeg(const fs::directory_entry& entry) {
  const std::string ext = lower_case(entry.path().extension().string());
  return entry.is_regular_file() && (ext == ".jpeg" || ext == ".jpg");
}

}  // namespace

TinyImageNet::TinyImageNet(const Config& options)
    : path_(options.get<std::string>("path")),
      cache_(options.get<bool>("cache")),
      cache_dir_(options.get<std::string>("cache_dir")) {}

OptionSchema TinyImageNet::schema() {
  return OptionSchema()
      .add_string("path", "",
                  "the tiny-imagenet-200 folder (wnids.txt, train/<wnid>/images/*.JPEG, "
                  "val/images, val/val_annotations.txt) from "
                  "http://cs231n.stanford.edu/tiny-imagenet-200.zip")
      .add_bool("cache", true,
                "keep the decoded images on disk so that later runs do not decode the JPEGs again")
      .add_string("cache_dir", "",
                  "where the decoded images go (empty: $XDG_CACHE_HOME/gear/decoded, else "
                  "~/.cache/gear/decoded)");
}

std::vector<std::string> TinyImageNet::wnids() const {
  if (path_.empty())
    throw DataError(
        "tiny-imagenet: no data.path; set it to the tiny-imagenet-200 folder from "
        "http://cs231n.stanford.edu/tiny-imagenet-200.zip");
  image_io::require_folder(path_, "the tiny-imagenet-200 folder");
  const fs::path file = fs::path(path_) / "wnids.txt";
  std::ifstream in(file);
  if (!in) throw DataError(file.string() + ": missing (the list of the 200 class wnids)");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string wnid;
    if (words >> wnid) out.push_back(wnid);
  }
  if (out.empty()) throw DataError(file.string() + ": no wnids");
  std::sort(out.begin(), out.end());
  return out;
}

LabelledFiles TinyImageNet::list(SplitKind split, const std::vector<std::string>& wnids) const {
  const fs::path root(path_);
  LabelledFiles list;
  if (split == SplitKind::kTrain) {
    for (size_t label = 0; label < wnids.size(); ++label) {
      const fs::path dir = root / "train" / wnids[label] / "images";
      image_io::require_folder(dir, "the training images of " + wnids[label]);
      for (const std::string& name : image_io::sorted_entries(dir, is_jpeg)) {
        list.files.push_back(dir / name);
        list.labels.push_back(static_cast<int64_t>(label));
      }
    }
    return list;
  }
  std::map<std::string, int64_t> label_of;
  for (size_t i = 0; i < wnids.size(); ++i) label_of[wnids[i]] = static_cast<int64_t>(i);
  const fs::path annotations = root / "val" / "val_annotations.txt";
  std::ifstream in(annotations);
  if (!in)
    throw DataError(annotations.string() +
                    ": missing (the labels of the validation images, used as the test split)");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string name, wnid;
    if (!std::getline(fields, name, '\t') || !std::getline(fields, wnid, '\t'))
      throw DataError(annotations.string() + ":" + std::to_string(number) +
                      ": expected <file> TAB <wnid> TAB <box>, got '" + line + "'");
    auto it = label_of.find(wnid);
    if (it == label_of.end())
      throw DataError(annotations.string() + ":" + std::to_string(number) + ": unknown wnid '" +
                      wnid + "' (not in wnids.txt)");
    const fs::path file = root / "val" / "images" / name;
    std::error_code error;
    if (!fs::is_regular_file(file, error))
      throw DataError(annotations.string() + ":" + std::to_string(number) + ": " + file.string() +
                      " is missing");
    list.files.push_back(file);
    list.labels.push_back(it->second);
  }
  return list;
}

DatasetInfo TinyImageNet::info() {
  DatasetInfo info;
  info.class_names = wnids();
  info.num_classes = static_cast<int64_t>(info.class_names.size());
  info.image_shape = {3, 64, 64};
  const fs::path annotations = fs::path(path_) / "val" / "val_annotations.txt";
  std::error_code error;
  if (!fs::is_regular_file(annotations, error))
    throw DataError(annotations.string() +
                    ": missing (the labels of the validation images, used as the test split)");
  info.mean = {0.4802, 0.4481, 0.3975};
  info.std = {0.2770, 0.2691, 0.2821};
  return info;
}

DataSplit TinyImageNet::load(SplitKind split) {
  const LabelledFiles files = list(split, wnids());
  const DecodedCache cache(cache_dir_, {files}, "tiny-imagenet 64x64 rgb");
  if (cache_)
    if (auto cached = cache.read()) return cached->front();
  DataSplit decoded = decode_files(files, 64, 64, /*resize=*/false);
  if (cache_) cache.write({decoded});
  return decoded;
}

}  // namespace gear

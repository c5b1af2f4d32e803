#include "tiny_imagenet.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "decoded_cache.h"
#include "directory_listing.h"

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDownload =
    "download http://cs231n.stanford.edu/tiny-imagenet-200.zip, unzip it and set data.path to "
    "its tiny-imagenet-200 folder";

bool is_jpeg(const fs::directory_entry& entry) {
  std::error_code error;
  const std::string ext = lower_case(entry.path().extension().string());
  return entry.is_regular_file(error) && (ext == ".jpeg" || ext == ".jpg");
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
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
                  "val/images/*.JPEG, val/val_annotations.txt) from "
                  "http://cs231n.stanford.edu/tiny-imagenet-200.zip; the labelled val/ images "
                  "are the test split")
      .add_bool("cache", true,
                "keep the decoded images on disk (<cache_dir>/decoded/) so that later runs do "
                "not decode the 110000 JPEGs again; any change to a file decodes afresh")
      .add_string("cache_dir", "",
                  "folder of the decoded-tensor cache (empty: $XDG_CACHE_HOME/gear, else "
                  "~/.cache/gear)");
}

std::vector<std::string> TinyImageNet::wnids() const {
  if (path_.empty()) throw DataError(std::string("tiny-imagenet: no data.path; ") + kDownload);
  std::error_code error;
  if (!fs::is_directory(path_, error))
    throw DataError("tiny-imagenet: dataset folder " + path_ + " does not exist; " + kDownload);
  const fs::path file = fs::path(path_) / "wnids.txt";
  std::ifstream in(file);
  if (!in) throw DataError(file.string() + ": missing (the list of the 200 class wnids)");
  std::vector<std::string> out;
  std::map<std::string, int> first_line;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string wnid = trimmed(line);
    if (wnid.empty()) continue;
    const auto [it, added] = first_line.emplace(wnid, number);
    if (!added)
      throw DataError(file.string() + ":" + std::to_string(number) + ": wnid '" + wnid +
                      "' is listed twice (first on line " + std::to_string(it->second) + ")");
    out.push_back(wnid);
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
    if (trimmed(line).empty()) continue;
    const std::string where = annotations.string() + ":" + std::to_string(number) + ": ";
    std::istringstream fields(line);
    std::string name, wnid;
    if (!std::getline(fields, name, '\t') || !std::getline(fields, wnid, '\t') ||
        trimmed(name).empty())
      throw DataError(where + "expected <file> TAB <wnid> TAB <box>, got '" + line + "'");
    wnid = trimmed(wnid);
    const auto it = label_of.find(wnid);
    if (it == label_of.end())
      throw DataError(where + "unknown wnid '" + wnid + "' (not in wnids.txt)");
    const fs::path file = root / "val" / "images" / trimmed(name);
    std::error_code error;
    if (!fs::is_regular_file(file, error)) throw DataError(where + file.string() + " is missing");
    list.files.push_back(file);
    list.labels.push_back(it->second);
  }
  if (list.files.empty()) throw DataError(annotations.string() + ": lists no images");
  return list;
}

DatasetInfo TinyImageNet::info() {
  DatasetInfo info;
  info.class_names = wnids();
  info.num_classes = static_cast<int64_t>(info.class_names.size());
  info.image_shape = {3, kSide, kSide};
  // Both splits' files are checked here, before any training is set up.
  image_io::require_folder(fs::path(path_) / "train", "the training images, train/<wnid>/images");
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
  const std::vector<std::string> classes = wnids();
  const LabelledFiles files = list(split, classes);
  const std::string name = split == SplitKind::kTrain ? "tiny-imagenet-train" : "tiny-imagenet-val";
  const DecodedCache cache(cache_dir_, name, path_, {files}, "64x64, 3 channels");
  if (cache_)
    if (auto cached = cache.read(classes, {3, kSide, kSide})) return cached->splits.front();
  DecodeTarget target;
  target.height = target.width = kSide;
  DataSplit decoded = decode_files(files, target).split;
  if (cache_) cache.write({classes, {}, {}, {decoded}});
  return decoded;
}

}  // namespace gear::plugins::datasets

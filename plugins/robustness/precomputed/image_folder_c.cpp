#include "image_folder_c.h"

#include <ATen/Parallel.h>
#include <gear/dataset.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <unordered_map>

#include "cifar_c.h"
#include "directory_listing.h"
#include "file_bytes.h"
#include "jpeg_decode.h"

namespace gear::plugins {
namespace robustness {
namespace {

using image_io::decode_jpeg;
using image_io::join_names;
using image_io::read_bytes;
using image_io::require_folder;
using image_io::sorted_entries;

// A JPEG of Tiny-ImageNet-C decodes in about 0.1 ms; smaller chunks would cost more to schedule.
constexpr int64_t kDecodeGrain = 16;

/// One image to decode and the label its folder gives it.
struct ImageFile {
  std::filesystem::path path;
  int64_t label;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_folder(const std::filesystem::directory_entry& entry) {
  std::error_code error;
  return entry.is_directory(error);
}

/// The images of one class folder, sorted by name.
void list_images(const std::filesystem::path& dir, int64_t label, std::vector<ImageFile>& out) {
  const std::vector<std::string> names =
      sorted_entries(dir, [](const std::filesystem::directory_entry& entry) {
        std::error_code error;
        return entry.is_regular_file(error);
      });
  for (const std::string& name : names) {
    const std::string extension = lower(std::filesystem::path(name).extension().string());
    if (extension == ".png")
      throw DataError((dir / name).string() + ": PNG images are not supported (only JPEG)");
    if (extension == ".jpeg" || extension == ".jpg") out.push_back({dir / name, label});
  }
}

std::string size_text(const torch::Tensor& image) {
  return std::to_string(image.size(2)) + "x" + std::to_string(image.size(1));
}

/// Decodes file `index` and checks it against the first image's size.
torch::Tensor decode_checked(const ImageFile& file, const torch::Tensor& first,
                             const std::filesystem::path& first_path) {
  torch::Tensor image = decode_jpeg(read_bytes(file.path), file.path.string());
  if (image.sizes() != first.sizes())
    throw DataError(file.path.string() + ": image size " + size_text(image) +
                    " (WxH) differs from " + size_text(first) + " of " + first_path.string() +
                    "; all images of one set must share a size");
  return image;
}

}  // namespace

std::vector<std::string> image_folder_c_corruptions(const std::filesystem::path& root) {
  require_folder(root, "an ImageNet-C style folder <corruption>/<severity>/<wnid>/*.JPEG");
  return sorted_entries(root, is_folder);
}

CorruptedSet read_image_folder_c(const std::filesystem::path& root, const std::string& corruption,
                                 int severity, const std::vector<std::string>& classes) {
  if (severity < kMinSeverity || severity > kMaxSeverity)
    throw DataError(root.string() + ": severity " + std::to_string(severity) +
                    " is outside 1..5 (corruption '" + corruption + "')");
  const std::vector<std::string> present = image_folder_c_corruptions(root);
  const std::filesystem::path corruption_dir = root / corruption;
  if (corruption.empty() || std::find(present.begin(), present.end(), corruption) == present.end())
    throw DataError(corruption_dir.string() + ": no corruption '" + corruption +
                    "' here; present: " + join_names(present));
  const std::filesystem::path dir = corruption_dir / std::to_string(severity);
  require_folder(dir, "severity " + std::to_string(severity) + " of '" + corruption + "'");

  const std::vector<std::string> folders = sorted_entries(dir, is_folder);
  const std::vector<std::string>& names = classes.empty() ? folders : classes;
  std::unordered_map<std::string, int64_t> label_of;
  for (size_t i = 0; i < names.size(); ++i) label_of.emplace(names[i], static_cast<int64_t>(i));

  std::vector<ImageFile> files;
  for (const std::string& folder : folders) {
    const auto found = label_of.find(folder);
    if (found == label_of.end())
      throw DataError((dir / folder).string() + ": class folder '" + folder +
                      "' is not one of the " + std::to_string(names.size()) + " given classes");
    list_images(dir / folder, found->second, files);
  }
  if (files.empty()) throw DataError(dir.string() + ": no JPEG images in its class folders");

  // The first image fixes the size, so the rest decode straight into the output.
  const torch::Tensor first = decode_jpeg(read_bytes(files[0].path), files[0].path.string());
  const auto count = static_cast<int64_t>(files.size());
  CorruptedSet out;
  out.images = torch::empty({count, first.size(0), first.size(1), first.size(2)}, torch::kByte);
  const int64_t image_bytes = first.numel();
  uint8_t* const images = out.images.data_ptr<uint8_t>();
  std::memcpy(images, first.data_ptr<uint8_t>(), image_bytes);

  // Errors are kept per file and the first by file order is thrown, so the message does not
  // depend on thread timing.
  std::vector<std::exception_ptr> errors(files.size());
  at::parallel_for(1, count, kDecodeGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        const torch::Tensor image = decode_checked(files[i], first, files[0].path);
        std::memcpy(images + i * image_bytes, image.data_ptr<uint8_t>(), image_bytes);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  });
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);

  out.labels = torch::empty({count}, torch::kLong);
  int64_t* const labels = out.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) labels[i] = files[i].label;
  return out;
}

}  // namespace robustness
}  // namespace gear::plugins

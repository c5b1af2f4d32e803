#include "cifar_c.h"

#include <gear/dataset.h>

#include <utility>

#include "directory_listing.h"
#include "npy_reader.h"

namespace gear::plugins {
namespace robustness {
namespace {

using image_io::join_names;
using image_io::require_folder;
using image_io::sorted_entries;

constexpr char kLabelsFile[] = "labels.npy";
constexpr char kExtension[] = ".npy";
constexpr int64_t kSeverities = kMaxSeverity - kMinSeverity + 1;

std::string shape_text(const torch::Tensor& t) {
  std::string out;
  for (int64_t d : t.sizes()) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out.empty() ? "scalar" : out;
}

}  // namespace

CifarCReader::CifarCReader(std::filesystem::path root) : root_(std::move(root)) {
  require_folder(root_, "a CIFAR-C folder with <corruption>.npy and labels.npy");
  const std::filesystem::path file = root_ / kLabelsFile;
  torch::Tensor labels = read_npy(file);
  if (labels.dim() != 1 || !torch::isIntegralType(labels.scalar_type(), /*includeBool=*/false))
    throw DataError(file.string() + ": expected 1-D integer labels, got " +
                    std::string(c10::toString(labels.scalar_type())) + " " + shape_text(labels));
  labels_ = labels.to(torch::kLong);
}

std::vector<std::string> CifarCReader::corruptions() const {
  std::vector<std::string> names =
      sorted_entries(root_, [](const std::filesystem::directory_entry& entry) {
        const std::filesystem::path& path = entry.path();
        return path.extension() == kExtension && path.filename() != kLabelsFile &&
               !entry.is_directory();
      });
  for (std::string& name : names) name.resize(name.size() - (sizeof kExtension - 1));
  return names;
}

void CifarCReader::load(const std::string& corruption) {
  if (corruption == loaded_name_ && loaded_images_.defined()) return;
  const std::filesystem::path file = root_ / (corruption + kExtension);
  std::error_code error;
  if (corruption.empty() || corruption == "labels" || corruption.find('/') != std::string::npos ||
      !std::filesystem::is_regular_file(file, error))
    throw DataError(file.string() + ": no corruption '" + corruption +
                    "' here; present: " + join_names(corruptions()));

  release();  // Before reading, so two image files never sit in memory at once.
  torch::Tensor images = read_npy(file);
  if (images.scalar_type() != torch::kByte || (images.dim() != 3 && images.dim() != 4))
    throw DataError(file.string() +
                    ": expected uint8 images [rows, H, W, C] or [rows, H, W], got " +
                    std::string(c10::toString(images.scalar_type())) + " " + shape_text(images));
  const int64_t rows = images.size(0);
  if (rows % kSeverities != 0)
    throw DataError(file.string() + ": " + std::to_string(rows) +
                    " rows is not a multiple of the 5 severities");
  if (rows != labels_.size(0))
    throw DataError(file.string() + ": " + std::to_string(rows) + " images but " +
                    (root_ / kLabelsFile).string() + " has " + std::to_string(labels_.size(0)) +
                    " labels");
  if (images.dim() == 3) images = images.unsqueeze(3);
  loaded_images_ = std::move(images);
  loaded_name_ = corruption;
}

CorruptedSet CifarCReader::read(const std::string& corruption, int severity) {
  if (severity < kMinSeverity || severity > kMaxSeverity)
    throw DataError(root_.string() + ": severity " + std::to_string(severity) +
                    " is outside 1..5 (corruption '" + corruption + "')");
  load(corruption);
  const int64_t block = loaded_images_.size(0) / kSeverities;
  const int64_t start = (severity - kMinSeverity) * block;
  CorruptedSet out;
  out.images = loaded_images_.narrow(0, start, block).permute({0, 3, 1, 2}).contiguous();
  out.labels = labels_.narrow(0, start, block).clone();
  return out;
}

void CifarCReader::release() {
  loaded_images_ = torch::Tensor();
  loaded_name_.clear();
}

CorruptedSet read_cifar_c(const std::filesystem::path& root, const std::string& corruption,
                          int severity) {
  return CifarCReader(root).read(corruption, severity);
}

}  // namespace robustness
}  // namespace gear::plugins

#include "image_files.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/upsampling.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>

#include "file_bytes.h"
#include "jpeg_decode.h"

namespace gear {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'G', 'E', 'A', 'R', 'I', 'M', 'G', '1'};

// 64-bit FNV-1a: stable across runs and machines (std::hash is not).
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

torch::Tensor fit(const torch::Tensor& image, int64_t height, int64_t width) {
  namespace F = torch::nn::functional;
  const double scale = std::max(static_cast<double>(height) / image.size(1),
                                static_cast<double>(width) / image.size(2));
  const int64_t h = std::max<int64_t>(height, std::llround(image.size(1) * scale));
  const int64_t w = std::max<int64_t>(width, std::llround(image.size(2) * scale));
  torch::Tensor resized =
      F::interpolate(image.unsqueeze(0).to(torch::kFloat), F::InterpolateFuncOptions()
                                                               .size(std::vector<int64_t>{h, w})
                                                               .mode(torch::kBilinear)
                                                               .align_corners(false)
                                                               .antialias(true))
          .squeeze(0);
  const int64_t top = (h - height) / 2, left = (w - width) / 2;
  return resized.narrow(1, top, height)
      .narrow(2, left, width)
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8);
}

template <typename T>
void put(std::ofstream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
bool get(std::ifstream& in, T& value) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&value), sizeof(T)));
}

}  // namespace

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::pair<int64_t, int64_t> image_size(const fs::path& file) {
  torch::Tensor image = image_io::decode_jpeg(image_io::read_bytes(file), file.string());
  return {image.size(1), image.size(2)};
}

DataSplit decode_files(const LabelledFiles& list, int64_t height, int64_t width, bool resize) {
  const auto n = static_cast<int64_t>(list.files.size());
  torch::Tensor images = torch::empty({n, 3, height, width}, torch::kUInt8);
  // Exceptions must not leave a parallel region: the first failure is kept and rethrown.
  std::string failure;
  std::mutex failure_mutex;
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        const fs::path& file = list.files[static_cast<size_t>(i)];
        torch::Tensor image = image_io::decode_jpeg(image_io::read_bytes(file), file.string());
        if (image.size(1) != height || image.size(2) != width) {
          if (!resize)
            throw DataError(file.string() + ": " + std::to_string(image.size(2)) + "x" +
                            std::to_string(image.size(1)) + " pixels, expected " +
                            std::to_string(width) + "x" + std::to_string(height));
          image = fit(image, height, width);
        }
        images[i].copy_(image);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (failure.empty()) failure = e.what();
      }
    }
  });
  if (!failure.empty()) throw DataError(failure);
  return {images, torch::tensor(list.labels, torch::kLong)};
}

DecodedCache::DecodedCache(fs::path dir, const std::vector<LabelledFiles>& splits,
                           const std::string& settings) {
  if (dir.empty()) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    dir = xdg && *xdg ? fs::path(xdg) / "gear" : fs::path(home ? home : "/tmp") / ".cache" / "gear";
    dir /= "decoded";
  }
  std::ostringstream key;
  key << settings << '\n';
  for (const LabelledFiles& split : splits) {
    key << "split " << split.files.size() << '\n';
    for (size_t i = 0; i < split.files.size(); ++i) {
      std::error_code error;
      const auto size = fs::file_size(split.files[i], error);
      const auto time = fs::last_write_time(split.files[i], error).time_since_epoch().count();
      key << split.files[i].string() << ' ' << size << ' ' << time << ' ' << split.labels[i]
          << '\n';
    }
  }
  char name[32];
  std::snprintf(name, sizeof(name), "%016llx.bin",
                static_cast<unsigned long long>(fnv1a(key.str())));
  file_ = dir / name;
}

std::optional<std::vector<DataSplit>> DecodedCache::read() const {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return std::nullopt;
  char magic[sizeof(kMagic)];
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0)
    return std::nullopt;
  uint32_t count = 0;
  if (!get(in, count) || count > 16) return std::nullopt;
  std::vector<DataSplit> splits;
  for (uint32_t s = 0; s < count; ++s) {
    int64_t shape[4];
    for (auto& d : shape)
      if (!get(in, d) || d < 0 || d > (int64_t{1} << 31)) return std::nullopt;
    torch::Tensor images = torch::empty({shape[0], shape[1], shape[2], shape[3]}, torch::kUInt8);
    torch::Tensor labels = torch::empty({shape[0]}, torch::kLong);
    if (!in.read(reinterpret_cast<char*>(images.data_ptr<uint8_t>()),
                 static_cast<std::streamsize>(images.numel())) ||
        !in.read(reinterpret_cast<char*>(labels.data_ptr<int64_t>()),
                 static_cast<std::streamsize>(labels.numel() * sizeof(int64_t))))
      return std::nullopt;
    splits.push_back({images, labels});
  }
  char end;
  if (in.read(&end, 1)) return std::nullopt;  // trailing bytes: not a file this code wrote
  return splits;
}

void DecodedCache::write(const std::vector<DataSplit>& splits) const {
  std::error_code error;
  fs::create_directories(file_.parent_path(), error);
  const fs::path temp = file_.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary);
    if (!out) return;
    out.write(kMagic, sizeof(kMagic));
    put(out, static_cast<uint32_t>(splits.size()));
    for (const DataSplit& split : splits) {
      torch::Tensor images = split.images.contiguous();
      torch::Tensor labels = split.labels.to(torch::kLong).contiguous();
      for (int64_t d = 0; d < 4; ++d) put(out, images.size(d));
      out.write(reinterpret_cast<const char*>(images.data_ptr<uint8_t>()),
                static_cast<std::streamsize>(images.numel()));
      out.write(reinterpret_cast<const char*>(labels.data_ptr<int64_t>()),
                static_cast<std::streamsize>(labels.numel() * sizeof(int64_t)));
    }
    if (!out) {
      out.close();
      fs::remove(temp, error);
      return;
    }
  }
  fs::rename(temp, file_, error);
  if (error) fs::remove(temp, error);
}

}  // namespace gear

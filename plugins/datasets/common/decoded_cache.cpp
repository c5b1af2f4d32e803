#include "decoded_cache.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>

namespace gear::plugins::datasets {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'G', 'E', 'A', 'R', 'D', 'S', 'E', 'T'};
constexpr uint32_t kByteOrderMark = 0x01020304;
// Sanity bounds on header fields, so that a damaged header cannot ask for absurd allocations.
constexpr uint32_t kMaxClasses = 1u << 20;
constexpr uint32_t kMaxNameBytes = 4096;
constexpr uint32_t kMaxStatistics = 16;
constexpr uint32_t kMaxSplits = 16;

// 64-bit FNV-1a: stable across runs and machines (std::hash is not). Names the file.
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// A second, independent 64-bit hash (multiply-rotate with a final avalanche), stored in the
// header so that two keys whose file names collide cannot be mistaken for each other.
uint64_t second_hash(const std::string& text) {
  uint64_t hash = 0x9e3779b97f4a7c15ull ^ text.size();
  for (unsigned char c : text) {
    hash = (hash + c + 1) * 0xff51afd7ed558ccdull;
    hash ^= hash >> 29;
  }
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  return hash ^ (hash >> 33);
}

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

// zlib's CRC-32 of `size` bytes more. zlib answers 0 for a null buffer whatever the running
// value, and an empty tensor's data pointer is null: empty buffers must not reach it.
uLong update_crc(uLong crc, const void* data, size_t size) {
  return size == 0 ? crc : crc32_z(crc, static_cast<const Bytef*>(data), size);
}

/// Header fields read one by one; any short read or bound violation turns `ok` false.
class Reader {
 public:
  explicit Reader(FILE* file) : file_(file) {}
  template <typename T>
  T get() {
    T value{};
    if (ok && std::fread(&value, sizeof(T), 1, file_) != 1) ok = false;
    consumed += sizeof(T);
    return value;
  }
  std::string string(uint32_t length) {
    std::string out(length, '\0');
    if (ok && length > 0 && std::fread(out.data(), 1, length, file_) != length) ok = false;
    consumed += length;
    return out;
  }
  bool read_into(void* data, size_t size, uLong* crc) {
    if (ok && size > 0 && std::fread(data, 1, size, file_) != size) ok = false;
    if (ok) *crc = update_crc(*crc, data, size);
    return ok;
  }
  bool ok = true;
  uint64_t consumed = 0;

 private:
  FILE* file_;
};

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

}  // namespace

fs::path default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0') return fs::path(xdg) / "gear";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return fs::path(home) / ".cache" / "gear";
  return fs::temp_directory_path() / "gear-cache";
}

DecodedCache::DecodedCache(fs::path dir, const std::string& dataset, const fs::path& root,
                           const std::vector<LabelledFiles>& splits, const std::string& settings) {
  if (dir.empty()) dir = default_cache_dir();
  std::ostringstream key;
  key << "gear decoded cache " << kFormatVersion << '\n' << dataset << '\n' << settings << '\n';
  // "data/x", "data/x/" and "data/./x" key alike.
  const fs::path base = (root / "").lexically_normal().parent_path();
  for (const LabelledFiles& split : splits) {
    key << "split " << split.files.size() << '\n';
    for (size_t i = 0; i < split.files.size(); ++i) {
      std::error_code error;
      const auto size = fs::file_size(split.files[i], error);
      const auto time = fs::last_write_time(split.files[i], error).time_since_epoch().count();
      key << split.files[i].lexically_normal().lexically_relative(base).generic_string() << '\t'
          << size << '\t' << time << '\t' << split.labels[i] << '\n';
    }
    labels_.push_back(split.labels);
  }
  const std::string text = key.str();
  key_a_ = fnv1a(text);
  key_b_ = second_hash(text);
  char name[40];
  std::snprintf(name, sizeof name, "-%016llx.bin", static_cast<unsigned long long>(key_a_));
  file_ = dir / "decoded" / (dataset + name);
}

std::optional<CachedDataset> DecodedCache::read(const std::vector<std::string>& class_names,
                                                const std::vector<int64_t>& image_shape) const {
  std::error_code error;
  const auto file_size = fs::file_size(file_, error);
  if (error) return std::nullopt;
  File file(std::fopen(file_.c_str(), "rb"), &std::fclose);
  if (!file) return std::nullopt;
  Reader in(file.get());

  if (in.string(sizeof kMagic) != std::string(kMagic, sizeof kMagic) || !in.ok) return std::nullopt;
  if (in.get<uint32_t>() != kFormatVersion || in.get<uint32_t>() != kByteOrderMark)
    return std::nullopt;
  if (in.get<uint64_t>() != key_a_ || in.get<uint64_t>() != key_b_ || !in.ok) return std::nullopt;

  CachedDataset out;
  const auto classes = in.get<uint32_t>();
  if (!in.ok || classes > kMaxClasses || classes != class_names.size()) return std::nullopt;
  for (uint32_t c = 0; c < classes; ++c) {
    const auto length = in.get<uint32_t>();
    if (!in.ok || length > kMaxNameBytes) return std::nullopt;
    out.class_names.push_back(in.string(length));
  }
  if (!in.ok || out.class_names != class_names) return std::nullopt;

  const auto statistics = in.get<uint32_t>();
  if (!in.ok || statistics > kMaxStatistics) return std::nullopt;
  for (uint32_t c = 0; c < statistics; ++c) out.mean.push_back(in.get<double>());
  for (uint32_t c = 0; c < statistics; ++c) out.std.push_back(in.get<double>());

  const auto splits = in.get<uint32_t>();
  if (!in.ok || splits > kMaxSplits || splits != labels_.size()) return std::nullopt;
  std::vector<std::vector<int64_t>> shapes;
  uint64_t payload = 0;
  for (uint32_t s = 0; s < splits; ++s) {
    std::vector<int64_t> shape(4);
    for (int64_t& d : shape) d = in.get<int64_t>();
    if (!in.ok || shape[0] != static_cast<int64_t>(labels_[s].size())) return std::nullopt;
    for (int d = 1; d < 4; ++d) {
      const int64_t want = d - 1 < static_cast<int>(image_shape.size()) ? image_shape[d - 1] : 0;
      if (shape[d] <= 0 || shape[d] > (int64_t{1} << 20) || (want != 0 && shape[d] != want))
        return std::nullopt;
    }
    if (shape[1] != 1 && shape[1] != 3) return std::nullopt;
    if (!shapes.empty() && !std::equal(shape.begin() + 1, shape.end(), shapes[0].begin() + 1))
      return std::nullopt;
    payload += static_cast<uint64_t>(shape[0]) * (shape[1] * shape[2] * shape[3] + 8);
    shapes.push_back(shape);
  }
  const auto checksum = in.get<uint32_t>();
  // The exact size: a truncated file, or one with bytes appended, is not a file this code wrote.
  if (!in.ok || in.consumed + payload != file_size) return std::nullopt;

  uLong crc = 0;
  for (uint32_t s = 0; s < splits; ++s) {
    DataSplit split{torch::empty(shapes[s], torch::kUInt8),
                    torch::empty({shapes[s][0]}, torch::kLong)};
    const auto& expected = labels_[s];
    if (!in.read_into(split.images.data_ptr<uint8_t>(), static_cast<size_t>(split.images.numel()),
                      &crc) ||
        !in.read_into(split.labels.data_ptr<int64_t>(), expected.size() * sizeof(int64_t), &crc))
      return std::nullopt;
    if (!expected.empty() && std::memcmp(split.labels.data_ptr<int64_t>(), expected.data(),
                                         expected.size() * sizeof(int64_t)) != 0)
      return std::nullopt;
    out.splits.push_back(split);
  }
  if (static_cast<uint32_t>(crc) != checksum) return std::nullopt;
  return out;
}

bool DecodedCache::write(const CachedDataset& contents) const {
  std::error_code error;
  fs::create_directories(file_.parent_path(), error);
  if (error) return false;

  std::vector<torch::Tensor> images, labels;
  uLong crc = 0;
  for (const DataSplit& split : contents.splits) {
    images.push_back(split.images.to(torch::kUInt8).contiguous());
    labels.push_back(split.labels.to(torch::kLong).contiguous());
    crc = update_crc(crc, images.back().data_ptr<uint8_t>(),
                     static_cast<size_t>(images.back().numel()));
    crc = update_crc(crc, labels.back().data_ptr<int64_t>(),
                     static_cast<size_t>(labels.back().numel()) * sizeof(int64_t));
  }
  std::string header(kMagic, sizeof kMagic);
  put(header, kFormatVersion);
  put(header, kByteOrderMark);
  put(header, key_a_);
  put(header, key_b_);
  put(header, static_cast<uint32_t>(contents.class_names.size()));
  for (const std::string& name : contents.class_names) {
    put(header, static_cast<uint32_t>(name.size()));
    header += name;
  }
  put(header, static_cast<uint32_t>(contents.mean.size()));
  for (double m : contents.mean) put(header, m);
  for (double s : contents.std) put(header, s);
  put(header, static_cast<uint32_t>(images.size()));
  for (const torch::Tensor& x : images)
    for (int64_t d = 0; d < 4; ++d) put(header, x.size(d));
  put(header, static_cast<uint32_t>(crc));

  // A name no other writer uses: another process may be writing the same key right now.
  char suffix[64];
  std::random_device random;
  std::snprintf(suffix, sizeof suffix, ".tmp.%ld.%08x%08x", static_cast<long>(::getpid()), random(),
                random());
  const fs::path temp = file_.string() + suffix;
  bool ok = false;
  {
    File out(std::fopen(temp.c_str(), "wb"), &std::fclose);
    if (out) {
      ok = std::fwrite(header.data(), 1, header.size(), out.get()) == header.size();
      for (size_t s = 0; ok && s < images.size(); ++s) {
        const auto image_bytes = static_cast<size_t>(images[s].numel());
        const size_t label_bytes = static_cast<size_t>(labels[s].numel()) * sizeof(int64_t);
        ok = std::fwrite(images[s].data_ptr<uint8_t>(), 1, image_bytes, out.get()) == image_bytes &&
             std::fwrite(labels[s].data_ptr<int64_t>(), 1, label_bytes, out.get()) == label_bytes;
      }
      ok = std::fclose(out.release()) == 0 && ok;
    }
  }
  if (ok) {
    fs::rename(temp, file_, error);
    ok = !error;
  }
  if (!ok) fs::remove(temp, error);
  return ok;
}

}  // namespace gear::plugins::datasets

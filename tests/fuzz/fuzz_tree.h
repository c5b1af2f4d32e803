#pragma once

// Folder readers (Tiny ImageNet, image folders, Tiny-ImageNet-C, CIFAR-C folders) take a folder,
// so their fuzz input is a folder tree packed into one byte string:
//
//   === wnids.txt\n<bytes>\n=== train/n01/images/a.JPEG\n<bytes> ...
//
// Each entry is a "=== " line naming a path relative to the root, then the file's bytes up to the
// next "\n=== " (or the end). A path ending in '/' makes an empty folder. Paths are restricted
// (letters, digits, '.', '_', '-'; no "." or ".." components; bounded depth and count), so a
// mutated input can never write outside the scratch folder.

#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace gear::fuzz {

constexpr std::string_view kTreeMarker = "=== ";
constexpr size_t kMaxTreeEntries = 64;
constexpr size_t kMaxTreeDepth = 8;

/// Whether `path` is a safe relative path of at most kMaxTreeDepth components.
inline bool safe_tree_path(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  size_t depth = 0;
  size_t begin = 0;
  while (begin < path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(begin, end - begin);
    if (part.empty() || part == "." || part == ".." || ++depth > kMaxTreeDepth) return false;
    for (char c : part)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
        return false;
    begin = end + 1;
  }
  return true;
}

/// A fresh, empty per-process folder holding the unpacked tree of `data`. Entries with unsafe
/// paths, or that collide with an earlier entry (a file where a folder is), are skipped.
inline std::filesystem::path unpack_tree(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  // Removed at exit, so that replaying a corpus in CI leaves nothing behind.
  struct Scratch {
    fs::path path = fs::temp_directory_path() / ("gear-fuzz-tree-" + std::to_string(getpid()));
    ~Scratch() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  };
  static const Scratch scratch;
  const fs::path& root = scratch.path;
  std::error_code error;
  fs::remove_all(root, error);
  fs::create_directories(root, error);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t at = text.compare(0, kTreeMarker.size(), kTreeMarker) == 0 ? 0 : text.find("\n=== ");
  for (size_t entries = 0; at != std::string_view::npos && entries < kMaxTreeEntries; ++entries) {
    if (text[at] == '\n') ++at;
    const size_t name_begin = at + kTreeMarker.size();
    const size_t name_end = text.find('\n', name_begin);
    if (name_end == std::string_view::npos) break;
    const std::string_view name = text.substr(name_begin, name_end - name_begin);
    const size_t next = text.find("\n=== ", name_end);
    const std::string_view bytes = text.substr(
        name_end + 1, (next == std::string_view::npos ? text.size() : next) - (name_end + 1));
    at = next;
    const bool folder = !name.empty() && name.back() == '/';
    const std::string_view clean = folder ? name.substr(0, name.size() - 1) : name;
    if (!safe_tree_path(clean)) continue;
    const fs::path path = root / std::string(clean);
    if (folder) {
      fs::create_directories(path, error);
      continue;
    }
    fs::create_directories(path.parent_path(), error);
    if (error || fs::is_directory(path, error)) continue;
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  return root;
}

}  // namespace gear::fuzz

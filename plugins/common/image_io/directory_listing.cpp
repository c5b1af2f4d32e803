#include "directory_listing.h"

#include <gear/dataset.h>

#include <algorithm>
#include <system_error>

namespace gear::plugins {
namespace image_io {

std::vector<std::string> sorted_entries(
    const std::filesystem::path& dir,
    const std::function<bool(const std::filesystem::directory_entry&)>& keep) {
  std::vector<std::string> names;
  std::error_code error;
  std::filesystem::directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (keep(*it)) names.push_back(name);
  }
  if (error) throw DataError(dir.string() + ": cannot list the folder: " + error.message());
  std::sort(names.begin(), names.end());
  return names;
}

std::string join_names(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

void require_folder(const std::filesystem::path& dir, const std::string& what) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error))
    throw DataError(dir.string() + ": no such folder (" + what + ")");
}

}  // namespace image_io
}  // namespace gear::plugins

#pragma once

/// @file
/// Deterministic folder listings for the precomputed-set readers, and their error wording.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace gear::plugins {
namespace image_io {

/// Names of the entries of `dir` that `keep` accepts, sorted bytewise so that every machine
/// reads the same order. Hidden entries (".*") are never listed. Throws DataError naming `dir`
/// when it cannot be read.
std::vector<std::string> sorted_entries(
    const std::filesystem::path& dir,
    const std::function<bool(const std::filesystem::directory_entry&)>& keep);

/// "a, b, c", or "(none)" for an empty list; for messages that say what does exist.
std::string join_names(const std::vector<std::string>& names);

/// Throws DataError "<dir>: no such folder (<what>)" unless `dir` is a folder.
void require_folder(const std::filesystem::path& dir, const std::string& what);

}  // namespace image_io
}  // namespace gear::plugins

#pragma once

// Fixture trees for the meters: a temporary folder standing for the file-system root, into which
// a test writes the sysfs and procfs files it needs, exactly where the kernel puts them.

#include <gear/config.h>
#include <gear/power_meter.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace gear::plugins::meters::test {

/// A temporary folder, removed with everything in it when the object dies.
class TempTree {
 public:
  TempTree();
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  /// The folder, to pass as a meter's root.
  std::string root() const { return root_.string(); }
  /// `absolute` ("/sys/class/powercap/...") inside the tree.
  std::filesystem::path path(const std::string& absolute) const;
  /// Writes `text` to `absolute` inside the tree, creating its folders (mode 0755, so that an
  /// unprivileged user can walk them).
  void write(const std::string& absolute, const std::string& text) const;
  /// Appends `text` to `absolute` inside the tree.
  void append(const std::string& absolute, const std::string& text) const;

 private:
  std::filesystem::path root_;
};

/// A Config holding every option of `schema` at its default, then `overrides`.
Config make_config(const OptionSchema& schema, const std::map<std::string, Value>& overrides = {});

/// The names of `info`'s domains, in order.
inline std::vector<std::string> domain_names(const MeterInfo& info) {
  std::vector<std::string> out;
  for (const auto& d : info.domains) out.push_back(d.name);
  return out;
}

/// Whether `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace gear::plugins::meters::test

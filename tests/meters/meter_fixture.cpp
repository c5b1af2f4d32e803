#include "meter_fixture.h"

#include <fstream>
#include <random>
#include <stdexcept>

namespace gear::plugins::meters::test {

TempTree::TempTree() {
  std::random_device device;
  const auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto candidate = base / ("gear-meters-" + std::to_string(device()));
    if (std::filesystem::create_directory(candidate)) {
      root_ = candidate;
      std::filesystem::permissions(root_, std::filesystem::perms(0755));
      return;
    }
  }
  throw std::runtime_error("test: cannot create a temporary folder");
}

TempTree::~TempTree() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

std::filesystem::path TempTree::path(const std::string& absolute) const {
  return root_ / std::filesystem::path(absolute).relative_path();
}

void TempTree::write(const std::string& absolute, const std::string& text) const {
  const auto file = path(absolute);
  std::filesystem::create_directories(file.parent_path());
  // create_directories follows the umask; the unprivileged-reader test needs every folder
  // walkable.
  for (auto dir = file.parent_path(); dir != root_; dir = dir.parent_path())
    std::filesystem::permissions(dir, std::filesystem::perms(0755));
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("test: cannot write " + file.string());
  out << text;
}

void TempTree::append(const std::string& absolute, const std::string& text) const {
  std::ofstream out(path(absolute), std::ios::binary | std::ios::app);
  if (!out) throw std::runtime_error("test: cannot append to " + absolute);
  out << text;
}

Config make_config(const OptionSchema& schema, const std::map<std::string, Value>& overrides) {
  Config config("meter", {"meters.toml", 1, 1});
  for (const auto& spec : schema.options())
    if (spec.default_value) config.set(spec.name, *spec.default_value, {}, false);
  for (const auto& [name, value] : overrides) {
    if (schema.find(name) == nullptr) throw std::logic_error("test: no option " + name);
    config.set(name, value, {"meters.toml", 2, 1}, true);
  }
  return config;
}

}  // namespace gear::plugins::meters::test

#include "json_fields.h"

namespace gear::report {

const nlohmann::json* find_path(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* node = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return node;
}

std::optional<double> number_at(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* node = find_path(root, path);
  if (!node || !node->is_number()) return std::nullopt;
  return node->get<double>();
}

std::optional<std::string> string_at(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* node = find_path(root, path);
  if (!node || !node->is_string()) return std::nullopt;
  return node->get<std::string>();
}

bool bool_at(const nlohmann::json& root, std::string_view path, bool fallback) {
  const nlohmann::json* node = find_path(root, path);
  return node && node->is_boolean() ? node->get<bool>() : fallback;
}

}  // namespace gear::report

#include "gear/errors.h"

#include "gear/dataset.h"

namespace gear {

std::string SourcePosition::str() const {
  if (file.empty()) return {};
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {
std::string compose(const SourcePosition& where, const std::string& key,
                    const std::string& message) {
  std::string text;
  if (!where.file.empty()) text += where.str() + ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}
}  // namespace

ConfigError::ConfigError(SourcePosition where, std::string key, const std::string& message)
    : std::runtime_error(compose(where, key, message)),
      where_(std::move(where)),
      key_(std::move(key)),
      message_(message) {}

ConfigError::~ConfigError() = default;

DataError::~DataError() = default;

}  // namespace gear

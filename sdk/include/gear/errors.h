#pragma once

/// @file
/// Exceptions that carry a position in the user's input.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "gear/export.h"

namespace gear {

/// Where a value came from: a pipeline file position, or a command-line override.
struct SourcePosition {
  /// File path, or "<command line>" for an override. Empty when unknown.
  std::string file;
  /// 1-based line and column; 0 when unknown.
  int64_t line = 0;
  int64_t column = 0;

  /// "file:line:column", "file", or "" when nothing is known.
  std::string str() const;
};

/// Bad user input (pipeline file, override, option value). The host exits with code 2.
class GEAR_EXPORT ConfigError : public std::runtime_error {
 public:
  ~ConfigError() override;
  /// `where` is copied; `key` is the dotted key path ("stage.1.gamma"), may be empty.
  ConfigError(SourcePosition where, std::string key, const std::string& message);

  /// The position of the offending value.
  const SourcePosition& where() const { return where_; }
  /// Dotted key path of the offending value.
  const std::string& key() const { return key_; }
  /// The message without position and key.
  const std::string& message() const { return message_; }

 private:
  SourcePosition where_;
  std::string key_;
  std::string message_;
};

}  // namespace gear

#pragma once

#include <stdexcept>
#include <string>

#include "gear/errors.h"

namespace gear::host {

/// A plugin's code threw. Carries which component, which library and which pipeline position.
class PluginError : public std::runtime_error {
 public:
  PluginError(const std::string& component, const std::string& library, const std::string& where,
              const std::string& what);

  const std::string& component() const { return component_; }
  const std::string& library() const { return library_; }

 private:
  std::string component_;
  std::string library_;
};

}  // namespace gear::host

#pragma once

// The text of an error raised inside c10d, for a message that names what failed. LibTorch 2.x
// throws c10::Error subclasses (DistNetworkError, DistStoreError) whose what() appends a C++
// backtrace; a user reading why a rank stopped needs the reason, not the frames.

#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace gear::host {

/// `error`'s message without the backtrace c10::Error adds; `error` is borrowed for the call.
inline std::string error_text(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error))
    return c10_error->what_without_backtrace();
  return error.what();
}

}  // namespace gear::host

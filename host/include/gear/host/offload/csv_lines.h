#pragma once

/// @file
/// The line handling the offload stage's small CSV inputs share (bandwidth traces, frame
/// labels): trimmed lines with their numbers, blank lines and '#' comments skipped.

#include <cstdint>
#include <functional>
#include <istream>
#include <string>

namespace gear::host {

/// `text` without leading and trailing spaces, tabs and carriage returns.
std::string trim_blanks(const std::string& text);

/// Calls `row(line, text)` for every line of `in` (borrowed) that is neither blank nor a '#'
/// comment, with its 1-based number and trimmed; returns the number of the last line read.
int64_t for_each_csv_line(std::istream& in,
                          const std::function<void(int64_t line, const std::string& text)>& row);

}  // namespace gear::host

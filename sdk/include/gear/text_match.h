#pragma once

/// @file
/// Did-you-mean suggestions for names a user mistyped: the host's messages about unknown keys,
/// plugins and stage kinds, and a plugin's own about names it looks up (a device profile).

#include <cstddef>
#include <string>
#include <vector>

#include "gear/export.h"

namespace gear {

/// Edit distance (insertions, deletions, substitutions) between `a` and `b`.
GEAR_EXPORT size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` if it is close enough to be a likely typo, else "". The
/// arguments are borrowed for the call.
GEAR_EXPORT std::string did_you_mean(const std::string& word,
                                     const std::vector<std::string>& candidates);

/// The suffix of an "unknown X 'word'" message: " (did you mean 'y'?); available: a, b, c", or
/// "; available: none" when there are no candidates.
GEAR_EXPORT std::string suggestion_text(const std::string& word,
                                        const std::vector<std::string>& candidates);

}  // namespace gear

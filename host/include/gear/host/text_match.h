#pragma once

#include <string>
#include <vector>

namespace gear::host {

/// Edit distance (insertions, deletions, substitutions).
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// "unknown X 'word' (did you mean 'y'?); available: a, b, c"-style suffix: " (did you mean
/// 'y'?); available: a, b, c", or "; available: none" when empty.
std::string suggestion_text(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace gear::host

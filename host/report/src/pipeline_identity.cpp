#include "pipeline_identity.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace gear::report {
namespace {

std::string trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

/// The key of a `key = value` line, "" for anything else.
std::string key_of(const std::string& line) {
  const size_t eq = line.find('=');
  if (eq == std::string::npos) return "";
  return trimmed(line.substr(0, eq));
}

}  // namespace

std::string normalized_resolved_toml(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  bool first = true, in_run = false;
  while (std::getline(in, line)) {
    const std::string t = trimmed(line);
    if (first) {
      first = false;
      if (!t.empty() && t[0] == '#') continue;
    }
    if (!t.empty() && t[0] == '[') in_run = t == "[run]";
    if (in_run) {
      const std::string key = key_of(t);
      if (key == "seed" || key == "seeds" || key == "name" || key == "out") continue;
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string text_hash(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

std::optional<std::string> resolved_pipeline_hash(const std::filesystem::path& run_dir) {
  std::ifstream in(run_dir / "pipeline.resolved.toml", std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text_hash(normalized_resolved_toml(text.str()));
}

}  // namespace gear::report

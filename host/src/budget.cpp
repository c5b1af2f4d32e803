#include "gear/host/budget.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "gear/host/text_match.h"
#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

constexpr const char* kUnitHelp =
    "write a positive integer number of bytes, or a number with a unit: B, KB, MB, GB "
    "(1000-based) or KiB, MiB, GiB (1024-based), e.g. \"512MiB\"";

int64_t unit_factor(const std::string& unit) {
  if (unit.empty() || unit == "B") return 1;
  if (unit == "KB") return 1000;
  if (unit == "MB") return 1000 * 1000;
  if (unit == "GB") return 1000 * 1000 * 1000;
  if (unit == "KiB") return int64_t{1} << 10;
  if (unit == "MiB") return int64_t{1} << 20;
  if (unit == "GiB") return int64_t{1} << 30;
  return 0;
}

bool is_byte_field(const std::string& name) { return name != "params"; }

std::string node_kind(const toml::node& node) {
  if (node.is_string()) return "a string";
  if (node.is_integer()) return "an integer";
  if (node.is_floating_point()) return "a float";
  if (node.is_boolean()) return "a bool";
  if (node.is_array()) return "an array";
  if (node.is_table()) return "a table";
  return "a date/time";
}

}  // namespace

const std::vector<std::string>& budget_fields() {
  static const std::vector<std::string> fields = {"params", "bytes", "train_memory"};
  return fields;
}

std::optional<int64_t> parse_byte_size(const std::string& text) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_space();
  const size_t number_begin = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  const size_t integer_end = i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  }
  const std::string number = text.substr(number_begin, i - number_begin);
  if (integer_end == number_begin || number.back() == '.') return std::nullopt;
  skip_space();
  size_t unit_begin = i;
  while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
  const std::string unit = text.substr(unit_begin, i - unit_begin);
  skip_space();
  if (i != text.size()) return std::nullopt;
  const int64_t factor = unit_factor(unit);
  if (factor == 0) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t bytes = 0;
  if (number.find('.') == std::string::npos) {
    // Whole numbers stay exact: no detour through floating point.
    int64_t value = 0;
    for (char c : number) {
      if (value > (kMax - (c - '0')) / 10) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value > kMax / factor) return std::nullopt;
    bytes = value * factor;
  } else {
    long double value = 0;
    try {
      value = std::stold(number) * static_cast<long double>(factor);
    } catch (const std::out_of_range&) {
      // Thousands of digits: beyond long double either way (too large, or too small to be a
      // byte), which is not a size, rather than an escaping "stold".
      return std::nullopt;
    }
    if (value >= static_cast<long double>(kMax)) return std::nullopt;
    bytes = static_cast<int64_t>(std::llround(value));
  }
  if (bytes <= 0) return std::nullopt;
  return bytes;
}

BudgetSpec read_budget(const toml::node* node, const std::string& path, const std::string& file) {
  BudgetSpec spec;
  if (!node) return spec;
  spec.where = position_of(*node, file);
  if (!node->is_table())
    throw ConfigError(spec.where, path,
                      "expected a table such as { params = 2000000, bytes = \"8MiB\", "
                      "train_memory = \"512MiB\" }, got " +
                          node_kind(*node));
  const toml::table& table = *node->as_table();
  for (const auto& [key, value] : table) {
    const std::string name(key.str());
    const SourcePosition where = position_of(value, file);
    const std::string full = path + "." + name;
    const auto& fields = budget_fields();
    if (std::find(fields.begin(), fields.end(), name) == fields.end())
      throw ConfigError(where, full,
                        "unknown budget key '" + name + "'" + suggestion_text(name, fields));
  }
  // Read in the fixed field order so reports and the resolved file do not depend on the input.
  for (const auto& name : budget_fields()) {
    const toml::node* value = table.get(name);
    if (!value) continue;
    const SourcePosition where = position_of(*value, file);
    const std::string full = path + "." + name;
    int64_t amount = 0;
    if (value->is_integer()) {
      amount = *value->value<int64_t>();
      if (amount <= 0)
        throw ConfigError(where, full,
                          "must be positive, got " + std::to_string(amount) +
                              (name == "params" ? "" : " (a size in bytes)"));
      spec.written.emplace_back(name, Value(amount));
    } else if (value->is_string() && is_byte_field(name)) {
      const std::string text = *value->value<std::string>();
      std::optional<int64_t> bytes = parse_byte_size(text);
      if (!bytes)
        throw ConfigError(where, full, "cannot read '" + text + "' as a size; " + kUnitHelp);
      amount = *bytes;
      spec.written.emplace_back(name, Value(text));
    } else {
      throw ConfigError(where, full,
                        name == "params" ? "expected a positive integer (a parameter count), got " +
                                               node_kind(*value)
                                         : "expected an integer or a size string, got " +
                                               node_kind(*value) + "; " + kUnitHelp);
    }
    if (name == "params") spec.budget.params = amount;
    if (name == "bytes") spec.budget.bytes = amount;
    if (name == "train_memory") spec.budget.train_memory = amount;
  }
  return spec;
}

std::string BudgetSpec::toml() const {
  std::string out = "{";
  for (size_t i = 0; i < written.size(); ++i)
    out += (i ? ", " : " ") + written[i].first + " = " + to_toml(written[i].second);
  return out + (written.empty() ? "}" : " }");
}

nlohmann::json BudgetSpec::json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : written) {
    if (const auto* i = std::get_if<int64_t>(&value)) out[name] = *i;
    if (const auto* s = std::get_if<std::string>(&value)) out[name] = *s;
  }
  return out;
}

}  // namespace gear::host

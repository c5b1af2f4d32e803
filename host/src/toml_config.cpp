#include "gear/host/toml_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "gear/host/text_match.h"

namespace gear::host {
namespace {

constexpr const char* kOverridePrefix = "override ";
// A stage index in an override longer than this is out of range whatever the pipeline.
constexpr size_t kMaxIndexDigits = 9;

std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a bool";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

template <typename T, typename Check>
std::optional<std::vector<T>> read_array(const toml::node& node, Check check) {
  const toml::array* array = node.as_array();
  if (!array) return std::nullopt;
  std::vector<T> out;
  for (const auto& item : *array) {
    if (!check(item)) return std::nullopt;
    if constexpr (std::is_same_v<T, double>) {
      out.push_back(item.is_integer() ? static_cast<double>(*item.value<int64_t>())
                                      : *item.value<double>());
    } else {
      out.push_back(*item.value<T>());
    }
  }
  return out;
}

std::optional<Value> convert(const toml::node& node, ValueType type) {
  auto is_number = [](const toml::node& n) { return n.is_integer() || n.is_floating_point(); };
  switch (type) {
    case ValueType::kBool:
      if (node.is_boolean()) return Value(*node.value<bool>());
      break;
    case ValueType::kInt:
      if (node.is_integer()) return Value(*node.value<int64_t>());
      break;
    case ValueType::kFloat:
      if (node.is_integer()) return Value(static_cast<double>(*node.value<int64_t>()));
      if (node.is_floating_point()) return Value(*node.value<double>());
      break;
    case ValueType::kString:
      if (node.is_string()) return Value(*node.value<std::string>());
      break;
    case ValueType::kIntList:
      if (auto v = read_array<int64_t>(node, [](const toml::node& n) { return n.is_integer(); }))
        return Value(*v);
      break;
    case ValueType::kFloatList:
      if (auto v = read_array<double>(node, is_number)) return Value(*v);
      break;
    case ValueType::kStringList:
      if (auto v = read_array<std::string>(node, [](const toml::node& n) { return n.is_string(); }))
        return Value(*v);
      break;
  }
  return std::nullopt;
}

// The type an undeclared key is read as, where the schema allows other keys: a scalar as it is,
// an array by its elements (integers among floats make a float list).
std::optional<ValueType> natural_type(const toml::node& node) {
  if (node.is_boolean()) return ValueType::kBool;
  if (node.is_integer()) return ValueType::kInt;
  if (node.is_floating_point()) return ValueType::kFloat;
  if (node.is_string()) return ValueType::kString;
  const toml::array* array = node.as_array();
  if (!array) return std::nullopt;
  bool ints = true, numbers = true, strings = true;
  for (const auto& item : *array) {
    ints = ints && item.is_integer();
    numbers = numbers && (item.is_integer() || item.is_floating_point());
    strings = strings && item.is_string();
  }
  if (ints) return ValueType::kIntList;  // an empty array too
  if (numbers) return ValueType::kFloatList;
  if (strings) return ValueType::kStringList;
  return std::nullopt;
}

bool integral(const OptionSpec& spec) {
  return spec.type == ValueType::kInt || spec.type == ValueType::kIntList;
}

// Renders a number as the option's type would be written.
std::string number_text(const OptionSpec& spec, double v) {
  return integral(spec) ? std::to_string(static_cast<int64_t>(v)) : to_toml(Value(v));
}

std::string bounds_text(const OptionSpec& spec) {
  auto fmt = [&](double v) { return number_text(spec, v); };
  if (spec.min && spec.max) return "[" + fmt(*spec.min) + ", " + fmt(*spec.max) + "]";
  if (spec.min) return ">= " + fmt(*spec.min);
  return "<= " + fmt(*spec.max);
}

// Checks range and choices of a converted value; returns an error message or "".
std::string check_limits(const OptionSpec& spec, const Value& value) {
  std::vector<double> numbers;
  std::vector<std::string> strings;
  if (auto* i = std::get_if<int64_t>(&value)) numbers.push_back(static_cast<double>(*i));
  if (auto* d = std::get_if<double>(&value)) numbers.push_back(*d);
  if (auto* il = std::get_if<std::vector<int64_t>>(&value)) numbers.assign(il->begin(), il->end());
  if (auto* dl = std::get_if<std::vector<double>>(&value)) numbers = *dl;
  if (auto* s = std::get_if<std::string>(&value)) strings.push_back(*s);
  if (auto* sl = std::get_if<std::vector<std::string>>(&value)) strings = *sl;
  for (double x : numbers) {
    if (!std::isfinite(x)) return "value " + number_text(spec, x) + " is not finite";
    if ((spec.min && x < *spec.min) || (spec.max && x > *spec.max))
      return "value " + number_text(spec, x) + " is out of range " + bounds_text(spec);
  }
  if (!spec.choices.empty()) {
    for (const auto& s : strings)
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end())
        return "value '" + s + "' is not allowed" + suggestion_text(s, spec.choices);
  }
  return {};
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::string quoted(const std::string& raw) {
  std::string out = "\"";
  for (char c : raw) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

SourcePosition position_of(const toml::node& node, const std::string& file) {
  const auto& source = node.source();
  if (source.path && source.path->rfind(kOverridePrefix, 0) == 0) return {*source.path, 0, 0};
  return {file, static_cast<int64_t>(source.begin.line), static_cast<int64_t>(source.begin.column)};
}

Config config_from_table(const toml::table& table, const std::string& path,
                         const OptionSchema& schema, const std::string& file,
                         const std::vector<std::string>& skip) {
  Config config(path, position_of(table, file));
  std::vector<std::string> known;
  for (const auto& spec : schema.options())
    if (spec.name != OptionSchema::kOtherKeys) known.push_back(spec.name);
  known.insert(known.end(), skip.begin(), skip.end());
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()),
              known.end());  // a skipped key may be declared
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    const OptionSpec* spec = schema.find(name);
    if (!spec && schema.allows_other_keys() && name != OptionSchema::kOtherKeys) {
      const std::optional<ValueType> type = natural_type(node);
      if (!type)
        throw ConfigError(position_of(node, file), path + "." + name,
                          "expected a bool, number, string or a list of one of them, got " +
                              describe(node));
      config.set(name, *convert(node, *type), position_of(node, file), true);
      continue;
    }
    if (!spec || spec->name == OptionSchema::kOtherKeys)
      throw ConfigError(position_of(node, file), path + "." + name,
                        "unknown key '" + name + "' in [" + path + "]" +
                            suggestion_text(name, known));
    std::optional<Value> value = convert(node, spec->type);
    if (!value)
      throw ConfigError(position_of(node, file), path + "." + name,
                        "expected " + std::string(to_string(spec->type)) + ", got " +
                            describe(node));
    std::string problem = check_limits(*spec, *value);
    if (!problem.empty()) throw ConfigError(position_of(node, file), path + "." + name, problem);
    config.set(name, std::move(*value), position_of(node, file), true);
  }
  for (const auto& spec : schema.options()) {
    if (config.has(spec.name) || spec.name == OptionSchema::kOtherKeys) continue;
    if (!spec.default_value)
      throw ConfigError(position_of(table, file), path + "." + spec.name,
                        "missing required key '" + spec.name + "' (" + spec.doc + ")");
    config.set(spec.name, *spec.default_value, {}, false);
  }
  return config;
}

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
  for (const auto& text : overrides) {
    const std::string label = kOverridePrefix + ("'" + text + "'");
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError({label, 0, 0}, "", "expected key=value");
    const std::string key = text.substr(0, eq);
    const std::string raw = text.substr(eq + 1);
    std::vector<std::string> parts = split(key, '.');
    // Parse the value as TOML so numbers, booleans and arrays keep their types.
    toml::table parsed;
    try {
      parsed = toml::parse("value = " + raw, std::string_view(label));
    } catch (const toml::parse_error&) {
      // Not TOML: a bare word such as data.plugin=cifar10 is meant as a string.
      try {
        parsed = toml::parse("value = " + quoted(raw), std::string_view(label));
      } catch (const toml::parse_error& e) {
        // Not even a string: a newline or another control character, which TOML strings forbid.
        throw ConfigError(
            {label, 0, 0}, key,
            "cannot read the value as TOML or as a string: " + std::string(e.description()));
      }
    }
    toml::node* value = parsed.get("value");
    toml::table* table = &root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const std::string& part = parts[i];
      if (part.empty()) throw ConfigError({label, 0, 0}, key, "empty key component");
      toml::node* next = table->get(part);
      if (part == "stage") {
        if (i + 1 >= parts.size() - 1 || !is_index(parts[i + 1]))
          throw ConfigError({label, 0, 0}, key, "stage keys are written stage.<index>.<key>");
        toml::array* stages = next ? next->as_array() : nullptr;
        const size_t count = stages ? stages->size() : 0;
        // More digits than any stage count has: out of range without std::stoul's overflow.
        const size_t index = parts[i + 1].size() > kMaxIndexDigits
                                 ? std::numeric_limits<size_t>::max()
                                 : std::stoul(parts[i + 1]);
        if (index >= count)
          throw ConfigError({label, 0, 0}, key,
                            "the pipeline has " + std::to_string(count) + " stage(s)" +
                                (count ? " (indices 0.." + std::to_string(count - 1) + ")" : ""));
        // `stage = [1, 2]` is an array, but not of [[stage]] tables.
        table = stages->get(index)->as_table();
        if (!table)
          throw ConfigError({label, 0, 0}, key,
                            "stage " + parts[i + 1] +
                                " of the pipeline is not a table: stages are written as "
                                "[[stage]] tables");
        ++i;
        continue;
      }
      if (!next) {
        table->insert(part, toml::table{});
        next = table->get(part);
      }
      if (!next->is_table())
        throw ConfigError({label, 0, 0}, key, "'" + part + "' is not a table");
      table = next->as_table();
    }
    if (parts.back().empty()) throw ConfigError({label, 0, 0}, key, "empty key component");
    // Moving (not copying) keeps the node's source: the override's label.
    table->insert_or_assign(parts.back(), std::move(*value));
  }
}

}  // namespace gear::host

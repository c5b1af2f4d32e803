#include "gear/config.h"

#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace gear {

const char* to_string(ValueType type) {
  switch (type) {
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "integer";
    case ValueType::kFloat: return "float";
    case ValueType::kString: return "string";
    case ValueType::kIntList: return "list of integers";
    case ValueType::kFloatList: return "list of floats";
    case ValueType::kStringList: return "list of strings";
  }
  return "?";
}

ValueType type_of(const Value& value) { return static_cast<ValueType>(value.index()); }

namespace {
std::string quote(const std::string& s) {
  std::ostringstream out;
  out << std::quoted(s);
  return out.str();
}
std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(10) << v;
  std::string text = out.str();
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}
template <typename T, typename F>
std::string list(const std::vector<T>& items, F render) {
  std::string text = "[";
  for (size_t i = 0; i < items.size(); ++i) text += (i ? ", " : "") + render(items[i]);
  return text + "]";
}
// "an int", "a float list": the type's name with its article, for sentences.
std::string article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

}  // namespace

std::string to_toml(const Value& value) {
  struct Render {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return number(v); }
    std::string operator()(const std::string& v) const { return quote(v); }
    std::string operator()(const std::vector<int64_t>& v) const {
      return list(v, [](int64_t x) { return std::to_string(x); });
    }
    std::string operator()(const std::vector<double>& v) const { return list(v, number); }
    std::string operator()(const std::vector<std::string>& v) const { return list(v, quote); }
  };
  return std::visit(Render{}, value);
}

OptionSpec& OptionSchema::add(OptionSpec spec) {
  for (auto& existing : options_) {
    if (existing.name == spec.name) {
      existing = std::move(spec);
      return existing;
    }
  }
  options_.push_back(std::move(spec));
  return options_.back();
}

OptionSchema& OptionSchema::add_bool(const std::string& name, bool def, const std::string& doc) {
  add({name, ValueType::kBool, Value(def), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_int(const std::string& name, int64_t def, const std::string& doc) {
  add({name, ValueType::kInt, Value(def), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_float(const std::string& name, double def,
                                      const std::string& doc) {
  add({name, ValueType::kFloat, Value(def), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_string(const std::string& name, const std::string& def,
                                       const std::string& doc) {
  add({name, ValueType::kString, Value(def), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_int_list(const std::string& name, std::vector<int64_t> def,
                                         const std::string& doc) {
  add({name, ValueType::kIntList, Value(std::move(def)), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_float_list(const std::string& name, std::vector<double> def,
                                           const std::string& doc) {
  add({name, ValueType::kFloatList, Value(std::move(def)), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_string_list(const std::string& name,
                                            std::vector<std::string> def,
                                            const std::string& doc) {
  add({name, ValueType::kStringList, Value(std::move(def)), {}, {}, {}, doc});
  return *this;
}
OptionSchema& OptionSchema::add_required(const std::string& name, ValueType type,
                                         const std::string& doc) {
  add({name, type, std::nullopt, {}, {}, {}, doc});
  return *this;
}

OptionSchema& OptionSchema::range(double min, double max) {
  if (options_.empty()) throw std::logic_error("OptionSchema::range before any option");
  options_.back().min = min;
  options_.back().max = max;
  return *this;
}
OptionSchema& OptionSchema::at_least(double min) {
  if (options_.empty()) throw std::logic_error("OptionSchema::at_least before any option");
  options_.back().min = min;
  return *this;
}
OptionSchema& OptionSchema::one_of(std::vector<std::string> choices) {
  if (options_.empty()) throw std::logic_error("OptionSchema::one_of before any option");
  options_.back().choices = std::move(choices);
  return *this;
}
OptionSchema& OptionSchema::merge(const OptionSchema& other) {
  for (const auto& spec : other.options_) add(spec);
  return *this;
}

OptionSchema& OptionSchema::allow_other_keys(const std::string& doc) {
  OptionSpec spec;
  spec.name = kOtherKeys;
  spec.type = ValueType::kString;
  spec.default_value = Value(std::string());  // never "required"
  spec.doc = doc;
  add(std::move(spec));
  return *this;
}

const OptionSpec* OptionSchema::find(const std::string& name) const {
  for (const auto& spec : options_)
    if (spec.name == name) return &spec;
  return nullptr;
}

Config::Config(std::string path, SourcePosition where)
    : path_(std::move(path)), where_(std::move(where)) {}

const Config::Entry& Config::find(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw std::logic_error("option '" + name + "' is not declared in the schema of '" + path_ +
                           "'");
  return it->second;
}

const char* cpp_type_name(const Value& value) {
  switch (type_of(value)) {
    case ValueType::kBool:
      return "bool";
    case ValueType::kInt:
      return "int64_t";
    case ValueType::kFloat:
      return "double";
    case ValueType::kString:
      return "std::string";
    case ValueType::kIntList:
      return "std::vector<int64_t>";
    case ValueType::kFloatList:
      return "std::vector<double>";
    case ValueType::kStringList:
      return "std::vector<std::string>";
  }
  return "?";
}

void Config::throw_type_mismatch(const std::string& name, const Value& value,
                                 const char* wanted) const {
  const std::string key = path_.empty() ? name : path_ + "." + name;
  throw std::logic_error(key + " is " + article(to_string(type_of(value))) + "; read it with get<" +
                         cpp_type_name(value) + ">, not get<" + wanted + ">");
}

bool Config::given(const std::string& name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.given;
}

SourcePosition Config::where(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end() || !it->second.given) return where_;
  return it->second.where;
}

std::vector<std::string> Config::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_) out.push_back(name);
  return out;
}

void Config::fail(const std::string& name, const std::string& message) const {
  throw ConfigError(where(name), path_.empty() ? name : path_ + "." + name, message);
}

void Config::set(const std::string& name, Value value, SourcePosition where, bool given) {
  entries_[name] = Entry{std::move(value), std::move(where), given};
}

}  // namespace gear

#pragma once

/// @file
/// Plugin options: a declared schema and a validated, read-only view of the values.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "gear/errors.h"

namespace gear {

/// One option value. Integers given where a float is declared are promoted by the host.
using Value = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                           std::vector<double>, std::vector<std::string>>;

/// Whether `T` is one of Value's alternatives (what Config::get accepts).
template <typename T, typename V = Value>
struct IsValueAlternative;
template <typename T, typename... Ts>
struct IsValueAlternative<T, std::variant<Ts...>>
    : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};
template <typename T>
inline constexpr bool kIsValueType = IsValueAlternative<T>::value;

/// The C++ type that holds a value of `value`'s type, as a reader writes it: "int64_t",
/// "std::vector<std::string>", ...
GEAR_EXPORT const char* cpp_type_name(const Value& value);

/// The declared type of an option.
enum class ValueType { kBool, kInt, kFloat, kString, kIntList, kFloatList, kStringList };

/// "bool", "int", "float", "string", "int list", ...
const char* to_string(ValueType type);

/// The type a Value holds.
ValueType type_of(const Value& value);

/// Renders a value in TOML syntax ("0.5", "\"era\"", "[1, 2]").
std::string to_toml(const Value& value);

/// Declaration of one option: name, type, default, range and documentation.
struct OptionSpec {
  std::string name;
  ValueType type = ValueType::kFloat;
  /// Unset means the option is required.
  std::optional<Value> default_value;
  /// Inclusive bounds for numbers (each element, for lists).
  std::optional<double> min, max;
  /// Allowed values for strings (each element, for lists); empty means any.
  std::vector<std::string> choices;
  std::string doc;
};

/// An ordered list of option declarations, built fluently:
/// `OptionSchema().add_float("gamma", 0.9, "growth ratio").range(0, 10)`.
class GEAR_EXPORT OptionSchema {
 public:
  /// Declares an option with a default. Names are unique; a second declaration replaces the first.
  OptionSchema& add_bool(const std::string& name, bool def, const std::string& doc);
  OptionSchema& add_int(const std::string& name, int64_t def, const std::string& doc);
  OptionSchema& add_float(const std::string& name, double def, const std::string& doc);
  OptionSchema& add_string(const std::string& name, const std::string& def,
                           const std::string& doc);
  OptionSchema& add_int_list(const std::string& name, std::vector<int64_t> def,
                             const std::string& doc);
  OptionSchema& add_float_list(const std::string& name, std::vector<double> def,
                               const std::string& doc);
  OptionSchema& add_string_list(const std::string& name, std::vector<std::string> def,
                                const std::string& doc);
  /// Declares an option without a default: the user must give it.
  OptionSchema& add_required(const std::string& name, ValueType type, const std::string& doc);
  /// Sets inclusive bounds on the option declared last.
  OptionSchema& range(double min, double max);
  /// Sets a lower bound on the option declared last.
  OptionSchema& at_least(double min);
  /// Restricts the string option declared last to these values.
  OptionSchema& one_of(std::vector<std::string> choices);
  /// Appends every option of `other` (replacing same-named ones).
  OptionSchema& merge(const OptionSchema& other);
  /// Accepts keys the schema does not declare, typed as written (bool, int, float, string or a
  /// list of one of them) and passed on in the Config: for components whose options are only
  /// known at run time, such as a Python growth strategy's constructor arguments. `doc` says
  /// where they go. Recorded as a declaration named kOtherKeys. Since SDK 0.4.
  OptionSchema& allow_other_keys(const std::string& doc);
  /// Whether allow_other_keys() was called.
  bool allows_other_keys() const { return find(kOtherKeys) != nullptr; }
  /// The name of the declaration allow_other_keys() adds.
  static constexpr const char* kOtherKeys = "*";

  /// The declarations, in declaration order.
  const std::vector<OptionSpec>& options() const { return options_; }
  /// The declaration named `name`, or nullptr. The pointer lives as long as this schema.
  const OptionSpec* find(const std::string& name) const;

 private:
  OptionSpec& add(OptionSpec spec);
  std::vector<OptionSpec> options_;
};

/// A validated, read-only view of one plugin's (or stage's) options: every declared option has a
/// value of its declared type (given or default). Copyable; owns its data.
class GEAR_EXPORT Config {
 public:
  Config() = default;
  /// `path` names the table for messages ("stage.1", "model"); `where` is the table's position.
  Config(std::string path, SourcePosition where);

  /// Value of a declared option. Throws std::logic_error if the option was never declared or the
  /// type differs from the declaration (a plugin bug, not a user error), with a sentence that
  /// names the option, its type and the call that reads it ("stage.1.batches is an int; read it
  /// with get<int64_t>").
  template <typename T>
  T get(const std::string& name) const {
    static_assert(kIsValueType<T>,
                  "Config::get<T>: T must be one of the option types: bool, int64_t, double, "
                  "std::string, std::vector<int64_t>, std::vector<double>, "
                  "std::vector<std::string>");
    const Entry& entry = find(name);
    if (const T* value = std::get_if<T>(&entry.value)) return *value;
    throw_type_mismatch(name, entry.value, cpp_type_name(Value(T{})));
  }

  /// True when the user wrote the option (as opposed to the default being used).
  bool given(const std::string& name) const;
  /// True when the option exists in this view.
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  /// Position of the option's value, or of the table when it was defaulted.
  SourcePosition where(const std::string& name) const;
  /// Dotted path of the table ("stage.1").
  const std::string& path() const { return path_; }
  /// Names in this view, sorted.
  std::vector<std::string> names() const;
  /// Raw value (any type).
  const Value& value(const std::string& name) const { return find(name).value; }

  /// Throws ConfigError at the option's position: for semantic checks a schema cannot express.
  [[noreturn]] void fail(const std::string& name, const std::string& message) const;

  /// Host side: sets a value. `given` records whether the user wrote it.
  void set(const std::string& name, Value value, SourcePosition where, bool given);

 private:
  struct Entry {
    Value value;
    SourcePosition where;
    bool given = false;
  };
  const Entry& find(const std::string& name) const;
  [[noreturn]] void throw_type_mismatch(const std::string& name, const Value& value,
                                        const char* wanted) const;

  std::string path_;
  SourcePosition where_;
  std::map<std::string, Entry> entries_;
};

}  // namespace gear

#pragma once

/// @file
/// Options declared once: an OptionBinder ties each member of a plain options struct to its
/// option name, documentation, bounds and checks, and produces from that one declaration both the
/// schema the host validates against and the struct read back from the validated Config.
///
/// ```cpp
/// struct MyOptions {
///   double gamma = 0.9;
///   int64_t depth = -1;
/// };
/// const gear::OptionBinder<MyOptions>& my_binder() {
///   static const gear::OptionBinder<MyOptions> binder = [] {
///     gear::OptionBinder<MyOptions> b;
///     b.bind("gamma", &MyOptions::gamma, "growth ratio").range(0.0, 16.0);
///     b.bind("depth", &MyOptions::depth, "ops per chain; -1: 1 to 3")
///         .at_least(-1)
///         .check([](int64_t d) { return d == 0 ? "must not be 0" : ""; });
///     return b;
///   }();
///   return binder;
/// }
/// static gear::OptionSchema schema() { return my_binder().schema(); }  // defaults: MyOptions{}
/// explicit Component(const gear::Config& c) : options_(my_binder().read(c)) {}
/// ```
///
/// Header-only: nothing here changes the SDK's binary interface.

#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "gear/config.h"

namespace gear {

/// True for the member types an OptionBinder binds directly: the alternatives of Value.
template <typename T>
inline constexpr bool kIsOptionType = kIsValueType<T>;

/// True for the option types that take bounds: int64_t, double and lists of them.
template <typename T>
inline constexpr bool kIsNumericOptionType =
    std::is_same_v<T, int64_t> || std::is_same_v<T, double> ||
    std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<double>>;

/// True for the option types that take choices: std::string and lists of strings.
template <typename T>
inline constexpr bool kIsStringOptionType =
    std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>>;

/// Binds the members of a plain options struct to option declarations, once, and derives both the
/// OptionSchema (defaults taken from an instance of the struct, so a preset is just another
/// instance) and the struct read from a validated Config. Bindings keep the order of declaration,
/// which is the order of the schema. Copyable; owns its bindings (member pointers and callables,
/// no reference to any instance of `Options`).
///
/// `Options` must be default-constructible and copyable. A binder is usually built once, in a
/// function-local static, and shared by schema() and the component's constructor.
template <typename Options>
class OptionBinder {
 public:
  /// Refines the option bound last by bind() or bind_as(): bounds, choices and checks. A handle
  /// points into its binder: it is valid while that binder lives and is not moved, and is meant
  /// to be used in the statement that created it. `T` is the option's type (as written by the
  /// user), not necessarily the member's.
  template <typename T>
  class Option {
   public:
    /// Inclusive bounds (each element, for lists), enforced by the host's validation. Only for
    /// numeric options.
    Option& range(double min, double max) {
      static_assert(kIsNumericOptionType<T>,
                    "OptionBinder: range() applies to int64_t, double and their lists only");
      spec().min = min;
      spec().max = max;
      return *this;
    }

    /// Inclusive lower bound (each element, for lists), enforced by the host's validation. Only
    /// for numeric options.
    Option& at_least(double min) {
      static_assert(kIsNumericOptionType<T>,
                    "OptionBinder: at_least() applies to int64_t, double and their lists only");
      spec().min = min;
      return *this;
    }

    /// Allowed values (each element, for lists), enforced by the host's validation. Only for
    /// string options. `choices` is taken by value and kept.
    Option& one_of(std::vector<std::string> choices) {
      static_assert(kIsStringOptionType<T>,
                    "OptionBinder: one_of() applies to std::string and std::vector<std::string>");
      spec().choices = std::move(choices);
      return *this;
    }

    /// A semantic check a schema cannot express: `check(const T& value)` returns an error
    /// message, or an empty string when the value is fine. read() runs it on the value as the
    /// user wrote it (after the host's validation, before any conversion) and reports a message
    /// through Config::fail at the option's position. The callable is copied into the binder and
    /// must not refer to anything that dies before it. Several checks run in the order given;
    /// the first message wins.
    template <typename Check>
    Option& check(Check check) {
      constexpr bool kInvocable = std::is_invocable_v<const Check&, const T&>;
      static_assert(kInvocable,
                    "OptionBinder: check() takes a callable invoked with the option's value "
                    "(const T&)");
      if constexpr (kInvocable) {
        static_assert(
            std::is_convertible_v<std::invoke_result_t<const Check&, const T&>, std::string>,
            "OptionBinder: a check returns the error message (std::string, empty when the value "
            "is fine)");
        auto& slot = binder_->bindings_[index_].check;
        slot = [previous = std::move(slot), check = std::move(check)](const Value& value) {
          if (previous) {
            std::string error = previous(value);
            if (!error.empty()) return error;
          }
          return std::string(check(std::get<T>(value)));
        };
      }
      return *this;
    }

   private:
    friend class OptionBinder;
    /// `binder` is borrowed: it must outlive the handle.
    Option(OptionBinder* binder, size_t index) : binder_(binder), index_(index) {}
    OptionSpec& spec() const { return binder_->bindings_[index_].spec; }

    OptionBinder* binder_;
    size_t index_;
  };

  /// Binds `member` to the option `name` with documentation `doc`. The member's type is the
  /// option's type (bool, int64_t, double, std::string or a list of int64_t, double or strings);
  /// its value in the defaults instance given to schema() is the default. `name` must be new to
  /// this binder (std::logic_error otherwise). Arguments are copied.
  template <typename T>
  Option<T> bind(std::string name, T Options::*member, std::string doc) {
    static_assert(kIsOptionType<T>,
                  "OptionBinder::bind: the member must be bool, int64_t, double, std::string, "
                  "std::vector<int64_t>, std::vector<double> or std::vector<std::string>; bind "
                  "other types with bind_as() and a conversion");
    return bind_as<T>(
        std::move(name), member, std::move(doc), [](const T& value) { return value; },
        [](const T& value) { return value; });
  }

  /// Binds `member`, of any copyable type M, to the option `name` of type T (one of the types
  /// bind() accepts, given explicitly: `bind_as<std::vector<std::string>>(...)`), through two
  /// conversions: `to_member(const T&) -> M` when reading, `to_option(const M&) -> T` for the
  /// schema's default. A std::invalid_argument thrown by `to_member` is reported through
  /// Config::fail at the option's position, with its what() as the message. The callables are
  /// copied into the binder and must not refer to anything that dies before it.
  template <typename T, typename M, typename ToMember, typename ToOption>
  Option<T> bind_as(std::string name, M Options::*member, std::string doc, ToMember to_member,
                    ToOption to_option) {
    static_assert(kIsOptionType<T>,
                  "OptionBinder::bind_as<T>: the option type T must be bool, int64_t, double, "
                  "std::string, std::vector<int64_t>, std::vector<double> or "
                  "std::vector<std::string>");
    static_assert(std::is_convertible_v<std::invoke_result_t<const ToMember&, const T&>, M>,
                  "OptionBinder::bind_as: to_member must turn the option value (const T&) into "
                  "the member's type");
    static_assert(std::is_convertible_v<std::invoke_result_t<const ToOption&, const M&>, T>,
                  "OptionBinder::bind_as: to_option must turn the member (const M&) into the "
                  "option type T");
    Binding binding;
    binding.spec.name = std::move(name);
    binding.spec.type = type_of(Value(T{}));
    binding.spec.doc = std::move(doc);
    binding.member_type = &typeid(M);
    binding.address = [member](const Options& options) -> const void* {
      return &(options.*member);
    };
    binding.value_of = [member, to_option](const Options& options) {
      return Value(T(to_option(options.*member)));
    };
    binding.read = [member, to_member](const Config& config, const std::string& key,
                                       const Check& check, Options& options) {
      const T value = config.get<T>(key);
      if (check) {
        const std::string error = check(config.value(key));
        if (!error.empty()) config.fail(key, error);
      }
      try {
        options.*member = to_member(value);
      } catch (const std::invalid_argument& e) {
        config.fail(key, e.what());
      }
    };
    add(std::move(binding));
    return Option<T>(this, bindings_.size() - 1);
  }

  /// Appends every binding of `inner` (names, docs, bounds, checks, in its order) as bindings of
  /// the nested struct `member`: the way to share a set of options, such as the growth
  /// strategies' `gamma` and `groups`, between components. Names are not prefixed and must be
  /// new to this binder (std::logic_error otherwise). `inner`'s bindings are copied; it may die
  /// after the call.
  template <typename Inner>
  OptionBinder& include(Inner Options::*member, const OptionBinder<Inner>& inner) {
    for (const auto& b : inner.bindings_) {
      Binding binding;
      binding.spec = b.spec;
      binding.member_type = b.member_type;
      binding.check = b.check;
      binding.address = [member, address = b.address](const Options& options) {
        return address(options.*member);
      };
      binding.value_of = [member, value_of = b.value_of](const Options& options) {
        return value_of(options.*member);
      };
      binding.read = [member, read = b.read](const Config& config, const std::string& key,
                                             const Check& check, Options& options) {
        read(config, key, check, options.*member);
      };
      add(std::move(binding));
    }
    return *this;
  }

  /// The schema of every binding, in binding order, with each default taken from the matching
  /// member of `defaults` (borrowed for the call): a preset is a differently initialised
  /// instance. Every option has a default; none is required.
  OptionSchema schema(const Options& defaults = Options{}) const {
    OptionSchema schema;
    for (const auto& b : bindings_) {
      std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            const std::string& name = b.spec.name;
            if constexpr (std::is_same_v<T, bool>) schema.add_bool(name, value, b.spec.doc);
            if constexpr (std::is_same_v<T, int64_t>) schema.add_int(name, value, b.spec.doc);
            if constexpr (std::is_same_v<T, double>) schema.add_float(name, value, b.spec.doc);
            if constexpr (std::is_same_v<T, std::string>)
              schema.add_string(name, value, b.spec.doc);
            if constexpr (std::is_same_v<T, std::vector<int64_t>>)
              schema.add_int_list(name, value, b.spec.doc);
            if constexpr (std::is_same_v<T, std::vector<double>>)
              schema.add_float_list(name, value, b.spec.doc);
            if constexpr (std::is_same_v<T, std::vector<std::string>>)
              schema.add_string_list(name, value, b.spec.doc);
          },
          b.value_of(defaults));
      if (b.spec.min && b.spec.max) {
        schema.range(*b.spec.min, *b.spec.max);
      } else if (b.spec.min) {
        schema.at_least(*b.spec.min);
      }
      if (!b.spec.choices.empty()) schema.one_of(b.spec.choices);
    }
    return schema;
  }

  /// A default-constructed Options with every bound member read from `config` (borrowed for the
  /// call), in binding order, each option's checks run and conversions applied. Throws
  /// ConfigError (Config::fail) for a failed check or conversion, std::logic_error when `config`
  /// lacks a bound option or holds it with another type (a schema/Config mismatch: a bug).
  Options read(const Config& config) const {
    Options options{};
    for (const auto& b : bindings_) b.read(config, b.spec.name, b.check, options);
    return options;
  }

  /// The option name bound to `member` (a member of Options, or of a nested struct when called
  /// on the binder that binds it). Throws std::logic_error when it is not bound. The reference
  /// lives as long as this binder.
  template <typename M>
  const std::string& name_of(M Options::*member) const {
    const Options probe{};
    const void* target = &(probe.*member);
    for (const auto& b : bindings_)
      if (*b.member_type == typeid(M) && b.address(probe) == target) return b.spec.name;
    throw std::logic_error("OptionBinder::name_of: the member is not bound to an option");
  }

  /// Throws ConfigError at the position of the option bound to `member` in `config`, with
  /// `message`: for checks that need more than the value (the network, other options).
  template <typename M>
  [[noreturn]] void fail(const Config& config, M Options::*member,
                         const std::string& message) const {
    config.fail(name_of(member), message);
  }

  /// The bound option names, in binding order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& b : bindings_) out.push_back(b.spec.name);
    return out;
  }

 private:
  template <typename Other>
  friend class OptionBinder;

  /// A type-erased check: the option value (of the binding's type) to an error, empty if fine.
  using Check = std::function<std::string(const Value&)>;

  /// One bound option, type-erased.
  struct Binding {
    /// Name, type, doc, bounds and choices; the default comes from value_of at schema() time.
    OptionSpec spec;
    /// The bound member's type, with address telling which member a binding is (name_of).
    const std::type_info* member_type = nullptr;
    /// The address of the bound member within an instance.
    std::function<const void*(const Options&)> address;
    /// The bound member of an instance, as an option value.
    std::function<Value(const Options&)> value_of;
    /// Reads option `key` from the Config into the member, running `check` first.
    std::function<void(const Config&, const std::string& key, const Check& check, Options&)> read;
    /// The option's checks; empty when none.
    Check check;
  };

  /// Appends `binding`, whose name must be new.
  void add(Binding binding) {
    for (const auto& b : bindings_)
      if (b.spec.name == binding.spec.name)
        throw std::logic_error("OptionBinder: option '" + binding.spec.name + "' is bound twice");
    bindings_.push_back(std::move(binding));
  }

  std::vector<Binding> bindings_;
};

}  // namespace gear

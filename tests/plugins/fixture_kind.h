#pragma once

// A component kind that exists only in the tests: proof that a new kind of plugin needs its
// interface and one GEAR_COMPONENT_KIND line, and no change to the SDK or the host.

#include <string>

#include "gear/component_kind.h"

namespace gear::test {

/// Turns a word into a greeting.
class Greeter {
 public:
  virtual ~Greeter() = default;
  /// The greeting for `name` (borrowed for the call).
  virtual std::string greet(const std::string& name) const = 0;
};

}  // namespace gear::test

GEAR_COMPONENT_KIND(gear::test::Greeter, "greeter", "a test-only kind: greets a name");

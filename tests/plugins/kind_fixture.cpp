// Registers components of a kind the SDK does not know (fixture_kind.h), through the generic
// registration path, and one plugin that registers nothing.
#include <cctype>

#include "fixture_kind.h"
#include "gear/plugin.h"

namespace {

class LoudGreeter final : public gear::test::Greeter {
 public:
  explicit LoudGreeter(const gear::Config& options)
      : punctuation_(options.get<std::string>("punctuation")),
        repeat_(options.get<int64_t>("repeat")) {}
  static gear::OptionSchema schema() {
    return gear::OptionSchema()
        .add_string("punctuation", "!", "what ends the greeting")
        .add_int("repeat", 1, "how often")
        .range(1, 3);
  }
  std::string greet(const std::string& name) const override {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string out;
    for (int64_t i = 0; i < repeat_; ++i) out += "HELLO " + upper + punctuation_;
    return out;
  }

 private:
  std::string punctuation_;
  int64_t repeat_;
};

}  // namespace

GEAR_PLUGIN("fixture-kind", "0.1.0", "A component of a kind declared by the tests") {
  r.add<gear::test::Greeter, LoudGreeter>("fixture-loud", "greets loudly");
}

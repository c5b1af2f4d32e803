// [model] budget: byte sizes, validation with positions, the resolved pipeline, overrides, and
// the order in which the grow stage checks the caps.

#include "gear/host/budget.h"

#include <gtest/gtest.h>

#include "gear/architecture.h"
#include "gear/host/growth_stage.h"
#include "gear/host/pipeline.h"
#include "gear/host/train_memory.h"
#include "test_support.h"

namespace gear::host {
namespace {

using test::expect_pipeline_error;
using test::pipeline_file;
using test::real_plugins;

// Line 4 holds the budget, its value starting at column 10.
std::string with_budget(const std::string& budget) {
  return "[model]\n"
         "architecture = \"vgg11\"\n"
         "width = 0.125\n"
         "budget = " +
         budget +
         "\n"
         "\n"
         "[[stage]]\n"
         "kind = \"evaluate\"\n";
}

TEST(Budget, ByteSizesWithUnits) {
  EXPECT_EQ(parse_byte_size("4096"), 4096);
  EXPECT_EQ(parse_byte_size("4096B"), 4096);
  EXPECT_EQ(parse_byte_size("8KB"), 8000);
  EXPECT_EQ(parse_byte_size("8MB"), 8000000);
  EXPECT_EQ(parse_byte_size("2GB"), 2000000000);
  EXPECT_EQ(parse_byte_size("8KiB"), 8192);
  EXPECT_EQ(parse_byte_size("8MiB"), 8 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("3GiB"), int64_t{3} << 30);
  EXPECT_EQ(parse_byte_size(" 512 MiB "), int64_t{512} << 20);
  EXPECT_EQ(parse_byte_size("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(parse_byte_size("0.5KB"), 500);
  for (const char* bad : {"", "MiB", "8 mib", "8MiBs", "8 M", "-8MiB", "0", "0KB", "1.", ".5MB",
                          "8 MiB x", "99999999999GiB", "1e3"})
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << "'" << bad << "'";
}

// A decimal beyond long double's range made std::stold throw std::out_of_range out of the
// pipeline reader instead of a "cannot read ... as a size" ConfigError.
TEST(Budget, ByteSizeOfThousandsOfDigitsIsRefused) {
  const std::string huge = std::string(5000, '9') + ".5MiB";
  const std::string tiny = "0." + std::string(5000, '0') + "1GiB";
  for (const std::string& text : {huge, tiny}) {
    std::optional<int64_t> bytes;
    EXPECT_NO_THROW(bytes = parse_byte_size(text)) << text.size() << " characters";
    EXPECT_FALSE(bytes.has_value());
  }
}

TEST(Budget, ReadsEveryFieldAndKeepsTheWrittenForm) {
  Pipeline p = read_pipeline(
      pipeline_file(
          with_budget("{ train_memory = \"512MiB\", params = 2_000_000, bytes = \"8MB\" }")),
      {}, real_plugins());
  EXPECT_EQ(p.budget.budget.params, 2000000);
  EXPECT_EQ(p.budget.budget.bytes, 8000000);
  EXPECT_EQ(p.budget.budget.train_memory, int64_t{512} << 20);
  // Reports show what was asked for, in the fixed order params, bytes, train_memory.
  EXPECT_EQ(
      p.budget.json(),
      nlohmann::json::parse(R"({"params": 2000000, "bytes": "8MB", "train_memory": "512MiB"})"));
  EXPECT_NE(p.resolved_toml().find(
                "budget = { params = 2000000, bytes = \"8MB\", train_memory = \"512MiB\" }\n"),
            std::string::npos)
      << p.resolved_toml();
}

TEST(Budget, IntegerBytesAndNoBudget) {
  Pipeline p = read_pipeline(pipeline_file(with_budget("{ bytes = 1048576 }")), {}, real_plugins());
  EXPECT_FALSE(p.budget.budget.params);
  EXPECT_EQ(p.budget.budget.bytes, 1048576);
  EXPECT_FALSE(p.budget.budget.train_memory);
  std::string none = with_budget("{}");
  Pipeline q = read_pipeline(pipeline_file(none), {}, real_plugins());
  EXPECT_TRUE(q.budget.empty());
  EXPECT_EQ(q.resolved_toml().find("budget ="), std::string::npos) << q.resolved_toml();
}

TEST(Budget, ResolvedTomlReadsBackToTheSameBudget) {
  Pipeline p = read_pipeline(
      pipeline_file(with_budget("{ params = 5000, train_memory = \"1GB\" }")), {}, real_plugins());
  Pipeline again = read_pipeline(pipeline_file(p.resolved_toml()), {}, real_plugins());
  EXPECT_EQ(again.budget.budget.params, 5000);
  EXPECT_EQ(again.budget.budget.train_memory, 1000000000);
  EXPECT_EQ(again.resolved_toml().substr(again.resolved_toml().find('\n')),
            p.resolved_toml().substr(p.resolved_toml().find('\n')));
}

TEST(Budget, OverridesSetAndAddFields) {
  Pipeline p =
      read_pipeline(pipeline_file(with_budget("{ params = 5000 }")),
                    {"model.budget.params=1000", "model.budget.bytes=2KiB"}, real_plugins());
  EXPECT_EQ(p.budget.budget.params, 1000);
  EXPECT_EQ(p.budget.budget.bytes, 2048);
  // A pipeline without a budget gets one from the command line alone.
  std::string text = with_budget("{}");
  text.erase(text.find("budget = {}\n"), 12);
  Pipeline q =
      read_pipeline(pipeline_file(text), {"model.budget.train_memory=64MiB"}, real_plugins());
  EXPECT_EQ(q.budget.budget.train_memory, int64_t{64} << 20);
  ConfigError e = expect_pipeline_error(text, {"model.budget.params=0"});
  EXPECT_EQ(e.key(), "model.budget.params");
  EXPECT_EQ(e.where().file, "override 'model.budget.params=0'");
}

TEST(Budget, UnknownSubKeySuggests) {
  ConfigError e = expect_pipeline_error(with_budget("{ params = 10, byts = 5 }"));
  EXPECT_EQ(e.key(), "model.budget.byts");
  EXPECT_EQ(e.where().line, 4);
  EXPECT_EQ(e.where().column, 32);
  EXPECT_NE(e.message().find("unknown budget key 'byts'"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("did you mean 'bytes'?"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("p.toml:4:32"), std::string::npos) << e.what();
}

TEST(Budget, WrongTypes) {
  ConfigError params = expect_pipeline_error(with_budget("{ params = \"2M\" }"));
  EXPECT_EQ(params.key(), "model.budget.params");
  EXPECT_EQ(params.where().line, 4);
  EXPECT_EQ(params.where().column, 21);
  EXPECT_EQ(params.message(), "expected a positive integer (a parameter count), got a string");
  ConfigError bytes = expect_pipeline_error(with_budget("{ bytes = true }"));
  EXPECT_EQ(bytes.key(), "model.budget.bytes");
  EXPECT_EQ(bytes.where().column, 20);
  EXPECT_NE(bytes.message().find("expected an integer or a size string, got a bool"),
            std::string::npos)
      << bytes.what();
  ConfigError fraction = expect_pipeline_error(with_budget("{ params = 1.5e6 }"));
  EXPECT_EQ(fraction.key(), "model.budget.params");
  EXPECT_NE(fraction.message().find("got a float"), std::string::npos) << fraction.what();
  ConfigError scalar = expect_pipeline_error(with_budget("1000"));
  EXPECT_EQ(scalar.key(), "model.budget");
  EXPECT_EQ(scalar.where().line, 4);
  EXPECT_EQ(scalar.where().column, 10);
  EXPECT_NE(scalar.message().find("expected a table such as { params = 2000000"), std::string::npos)
      << scalar.what();
}

TEST(Budget, NonPositiveValues) {
  ConfigError zero = expect_pipeline_error(with_budget("{ params = 0 }"));
  EXPECT_EQ(zero.key(), "model.budget.params");
  EXPECT_EQ(zero.where().column, 21);
  EXPECT_EQ(zero.message(), "must be positive, got 0");
  ConfigError negative = expect_pipeline_error(with_budget("{ train_memory = -5 }"));
  EXPECT_EQ(negative.key(), "model.budget.train_memory");
  EXPECT_EQ(negative.where().column, 27);
  EXPECT_EQ(negative.message(), "must be positive, got -5 (a size in bytes)");
}

TEST(Budget, BadUnitStrings) {
  ConfigError e = expect_pipeline_error(with_budget("{ bytes = \"8 MiBs\" }"));
  EXPECT_EQ(e.key(), "model.budget.bytes");
  EXPECT_EQ(e.where().line, 4);
  EXPECT_EQ(e.where().column, 20);
  EXPECT_NE(e.message().find("cannot read '8 MiBs' as a size"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("KiB, MiB, GiB"), std::string::npos) << e.what();
  ConfigError zero = expect_pipeline_error(with_budget("{ train_memory = \"0MiB\" }"));
  EXPECT_EQ(zero.key(), "model.budget.train_memory");
}

TEST(Budget, MisspelledBudgetKeySuggestsIt) {
  std::string text = with_budget("{ params = 10 }");
  text.replace(text.find("budget ="), 6, "budjet");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "model.budjet");
  EXPECT_NE(e.message().find("did you mean 'budget'?"), std::string::npos) << e.what();
}

std::shared_ptr<GrowableNet> tiny_vgg() {
  const auto& registry = real_plugins();
  auto arch = registry.create<Architecture>(
      "vgg11", test::make_config(registry.find("vgg11")->info.schema, {}, "model"));
  ModelSpec spec;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.width = 0.125;
  return arch->build(spec);
}

TEST(Budget, ExceededFieldIsCheckedCheapestFirst) {
  auto net = tiny_vgg();
  const std::vector<int64_t> shape = {1, 28, 28};
  const int64_t params = net->params(), bytes = model_bytes(*net);
  const int64_t memory = measure_train_memory(*net, shape, 8, torch::kCPU);
  auto exceeded = [&](Budget b) { return exceeded_budget_field(*net, b, shape, 8, torch::kCPU); };
  EXPECT_EQ(exceeded({}), "");
  EXPECT_EQ(exceeded({params, bytes, memory}), "");  // equal to the cap still fits
  EXPECT_EQ(exceeded({params - 1, bytes - 1, memory - 1}), "params");
  EXPECT_EQ(exceeded({params, bytes - 1, memory - 1}), "bytes");
  EXPECT_EQ(exceeded({std::nullopt, std::nullopt, memory - 1}), "train_memory");
  EXPECT_EQ(exceeded({std::nullopt, std::nullopt, memory}), "");
}

}  // namespace
}  // namespace gear::host

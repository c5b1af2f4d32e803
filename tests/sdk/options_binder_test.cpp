// OptionBinder: one declaration gives the schema (defaults from a defaults instance, bounds,
// choices, docs, order) and the read-back struct (every member, checks at the option's position,
// conversions, nested binders), validated through the host's real TOML path.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gear/host/toml_config.h"
#include "gear/options.h"

namespace gear {
namespace {

// One member of every supported type, none at its type's zero value.
struct Sample {
  bool flag = true;
  int64_t count = 3;
  double ratio = 0.5;
  std::string mode = "fast";
  std::vector<int64_t> sizes{1, 2};
  std::vector<double> weights{0.25};
  std::vector<std::string> tags{"a"};
};

// Every member differs from Sample{}.
Sample sample_preset() {
  Sample s;
  s.flag = false;
  s.count = 7;
  s.ratio = 0.125;
  s.mode = "slow";
  s.sizes = {4};
  s.weights = {0.5, 0.75};
  s.tags = {"b", "c"};
  return s;
}

const OptionBinder<Sample>& sample_binder() {
  static const OptionBinder<Sample> binder = [] {
    OptionBinder<Sample> b;
    b.bind("flag", &Sample::flag, "a switch");
    b.bind("count", &Sample::count, "a count").at_least(1).check([](int64_t n) {
      return n == 13 ? "13 is unlucky" : "";
    });
    b.bind("ratio", &Sample::ratio, "a ratio").range(0.0, 1.0);
    b.bind("mode", &Sample::mode, "a mode").one_of({"fast", "slow"});
    b.bind("sizes", &Sample::sizes, "sizes").at_least(0);
    b.bind("weights", &Sample::weights, "weights").range(0.0, 1.0);
    b.bind("tags", &Sample::tags, "tags").one_of({"a", "b", "c"});
    return b;
  }();
  return binder;
}

// The host's validation of `text` (a TOML table) against `schema`, as a pipeline's stage.1.
Config parse(const std::string& text, const OptionSchema& schema) {
  toml::table table = toml::parse(text, std::string_view("binder.toml"));
  return host::config_from_table(table, "stage.1", schema, "binder.toml");
}

// The ConfigError `body` throws; fails the test when it throws nothing.
ConfigError config_error(const std::function<void()>& body) {
  try {
    body();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigError";
  return ConfigError({}, "", "");
}

void expect_same(const Sample& actual, const Sample& expected) {
  EXPECT_EQ(actual.flag, expected.flag);
  EXPECT_EQ(actual.count, expected.count);
  EXPECT_EQ(actual.ratio, expected.ratio);
  EXPECT_EQ(actual.mode, expected.mode);
  EXPECT_EQ(actual.sizes, expected.sizes);
  EXPECT_EQ(actual.weights, expected.weights);
  EXPECT_EQ(actual.tags, expected.tags);
}

const OptionSpec& spec(const OptionSchema& schema, const std::string& name) {
  const OptionSpec* found = schema.find(name);
  if (found == nullptr) throw std::logic_error("no option " + name);
  return *found;
}

TEST(OptionBinder, SchemaKeepsBindingOrderTypesAndDocs) {
  const OptionSchema schema = sample_binder().schema();
  const std::vector<std::string> names{"flag",  "count",   "ratio", "mode",
                                       "sizes", "weights", "tags"};
  ASSERT_EQ(schema.options().size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(schema.options()[i].name, names[i]);
  EXPECT_EQ(sample_binder().names(), names);
  const std::vector<ValueType> types{
      ValueType::kBool,    ValueType::kInt,       ValueType::kFloat,     ValueType::kString,
      ValueType::kIntList, ValueType::kFloatList, ValueType::kStringList};
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(schema.options()[i].type, types[i]) << i;
  EXPECT_EQ(spec(schema, "flag").doc, "a switch");
  EXPECT_EQ(spec(schema, "ratio").doc, "a ratio");
  EXPECT_EQ(spec(schema, "tags").doc, "tags");
}

TEST(OptionBinder, SchemaBoundsAndChoicesAreTheDeclaredOnes) {
  const OptionSchema schema = sample_binder().schema();
  EXPECT_EQ(spec(schema, "count").min, 1.0);
  EXPECT_FALSE(spec(schema, "count").max.has_value());
  EXPECT_EQ(spec(schema, "ratio").min, 0.0);
  EXPECT_EQ(spec(schema, "ratio").max, 1.0);
  EXPECT_FALSE(spec(schema, "flag").min.has_value());
  EXPECT_EQ(spec(schema, "mode").choices, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(spec(schema, "tags").choices, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(spec(schema, "sizes").choices.empty());
}

TEST(OptionBinder, SchemaDefaultsComeFromTheDefaultsInstance) {
  for (const Sample& defaults : {Sample{}, sample_preset()}) {
    const OptionSchema schema = sample_binder().schema(defaults);
    for (const auto& option : schema.options()) ASSERT_TRUE(option.default_value) << option.name;
    EXPECT_EQ(*spec(schema, "flag").default_value, Value(defaults.flag));
    EXPECT_EQ(*spec(schema, "count").default_value, Value(defaults.count));
    EXPECT_EQ(*spec(schema, "ratio").default_value, Value(defaults.ratio));
    EXPECT_EQ(*spec(schema, "mode").default_value, Value(defaults.mode));
    EXPECT_EQ(*spec(schema, "sizes").default_value, Value(defaults.sizes));
    EXPECT_EQ(*spec(schema, "weights").default_value, Value(defaults.weights));
    EXPECT_EQ(*spec(schema, "tags").default_value, Value(defaults.tags));
  }
  // schema() without an argument is schema(Sample{}).
  EXPECT_EQ(*spec(sample_binder().schema(), "count").default_value, Value(int64_t{3}));
}

TEST(OptionBinder, AnEmptyTableReadsThePresetBack) {
  const Sample preset = sample_preset();
  expect_same(sample_binder().read(parse("", sample_binder().schema(preset))), preset);
  expect_same(sample_binder().read(parse("", sample_binder().schema())), Sample{});
}

TEST(OptionBinder, ReadsEveryBoundMember) {
  const Config config = parse(
      "flag = false\ncount = 9\nratio = 0.75\nmode = \"slow\"\nsizes = [5, 6, 7]\n"
      "weights = [0.0, 1.0]\ntags = [\"c\"]\n",
      sample_binder().schema());
  Sample expected;
  expected.flag = false;
  expected.count = 9;
  expected.ratio = 0.75;
  expected.mode = "slow";
  expected.sizes = {5, 6, 7};
  expected.weights = {0.0, 1.0};
  expected.tags = {"c"};
  expect_same(sample_binder().read(config), expected);
}

TEST(OptionBinder, AnIntegerGivenForAFloatIsRead) {
  EXPECT_EQ(sample_binder().read(parse("ratio = 1\n", sample_binder().schema())).ratio, 1.0);
}

TEST(OptionBinder, BoundsAndChoicesAreEnforcedByTheHost) {
  const OptionSchema schema = sample_binder().schema();
  const std::vector<std::pair<std::string, std::string>> bad{
      {"count = 0\n", "stage.1.count"},
      {"ratio = 1.5\n", "stage.1.ratio"},
      {"ratio = -0.5\n", "stage.1.ratio"},
      {"mode = \"medium\"\n", "stage.1.mode"},
      {"sizes = [1, -1]\n", "stage.1.sizes"},
      {"weights = [0.5, 2.0]\n", "stage.1.weights"},
      {"tags = [\"a\", \"z\"]\n", "stage.1.tags"},
      {"flag = 1\n", "stage.1.flag"}};
  for (const auto& [text, key] : bad) {
    const ConfigError e = config_error([&] { parse(text, schema); });
    EXPECT_EQ(e.key(), key) << text;
    EXPECT_EQ(e.where().line, 1) << text;
  }
  // Bounds are inclusive.
  const Sample edge = sample_binder().read(parse("count = 1\nratio = 1.0\n", schema));
  EXPECT_EQ(edge.count, 1);
  EXPECT_EQ(edge.ratio, 1.0);
}

TEST(OptionBinder, ACheckFailsAtItsOptionsKeyAndPosition) {
  const Config config = parse("ratio = 0.5\n\ncount = 13\n", sample_binder().schema());
  const ConfigError e = config_error([&] { sample_binder().read(config); });
  EXPECT_EQ(e.key(), "stage.1.count");
  EXPECT_EQ(e.message(), "13 is unlucky");
  EXPECT_EQ(e.where().file, "binder.toml");
  EXPECT_EQ(e.where().line, 3);
  // The check runs on the value read, not on the default.
  EXPECT_EQ(sample_binder().read(parse("count = 12\n", sample_binder().schema())).count, 12);
}

TEST(OptionBinder, ACheckAlsoRunsOnADefault) {
  Sample unlucky;
  unlucky.count = 13;
  const ConfigError e =
      config_error([&] { sample_binder().read(parse("", sample_binder().schema(unlucky))); });
  EXPECT_EQ(e.key(), "stage.1.count");
}

TEST(OptionBinder, ChecksOfOneOptionRunInOrderAndTheFirstMessageWins) {
  struct One {
    int64_t n = 0;
  };
  OptionBinder<One> binder;
  binder.bind("n", &One::n, "n")
      .check([](int64_t n) { return n < 0 ? std::string("negative") : std::string(); })
      .check([](int64_t n) { return n < 10 ? "small" : ""; });
  EXPECT_EQ(config_error([&] { binder.read(parse("n = -1\n", binder.schema())); }).message(),
            "negative");
  EXPECT_EQ(config_error([&] { binder.read(parse("n = 3\n", binder.schema())); }).message(),
            "small");
  EXPECT_EQ(binder.read(parse("n = 10\n", binder.schema())).n, 10);
}

TEST(OptionBinder, AConfigWithoutABoundOptionIsABug) {
  const Config other = parse("", OptionSchema().add_int("count", 1, "only this"));
  EXPECT_THROW(sample_binder().read(other), std::logic_error);
}

TEST(OptionBinder, BindingANameTwiceIsABug) {
  OptionBinder<Sample> binder;
  binder.bind("count", &Sample::count, "a count");
  EXPECT_THROW(binder.bind("count", &Sample::ratio, "again"), std::logic_error);
}

// bind_as: the option is a list of names, the member a list of ids.
const std::vector<std::string>& colour_names() {
  static const std::vector<std::string> names{"red", "green", "blue"};
  return names;
}
int64_t colour_id(const std::string& name) {
  for (size_t i = 0; i < colour_names().size(); ++i)
    if (colour_names()[i] == name) return static_cast<int64_t>(i);
  throw std::invalid_argument("no colour '" + name + "'");
}

struct Palette {
  std::vector<int64_t> colours{2};
};

OptionBinder<Palette> palette_binder(bool restrict_choices) {
  OptionBinder<Palette> b;
  auto option = b.bind_as<std::vector<std::string>>(
      "colours", &Palette::colours, "colour names",
      [](const std::vector<std::string>& names) {
        std::vector<int64_t> ids;
        for (const auto& name : names) ids.push_back(colour_id(name));
        return ids;
      },
      [](const std::vector<int64_t>& ids) {
        std::vector<std::string> names;
        for (int64_t id : ids) names.push_back(colour_names().at(static_cast<size_t>(id)));
        return names;
      });
  if (restrict_choices) option.one_of(colour_names());
  return b;
}

TEST(OptionBinder, BindAsConvertsBothWays) {
  const OptionBinder<Palette> binder = palette_binder(true);
  const OptionSchema schema = binder.schema();
  EXPECT_EQ(schema.options().at(0).type, ValueType::kStringList);
  EXPECT_EQ(*schema.options().at(0).default_value, Value(std::vector<std::string>{"blue"}));
  EXPECT_EQ(binder.read(parse("colours = [\"green\", \"red\"]\n", schema)).colours,
            (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(binder.read(parse("", schema)).colours, (std::vector<int64_t>{2}));
}

TEST(OptionBinder, AFailedConversionIsReportedAtTheOption) {
  const OptionBinder<Palette> binder = palette_binder(false);
  const Config config = parse("\ncolours = [\"teal\"]\n", binder.schema());
  const ConfigError e = config_error([&] { binder.read(config); });
  EXPECT_EQ(e.key(), "stage.1.colours");
  EXPECT_EQ(e.message(), "no colour 'teal'");
  EXPECT_EQ(e.where().line, 2);
}

// include: a shared binder of a nested struct.
struct Shared {
  double gamma = 0.9;
  std::vector<std::string> groups;
};
struct Outer {
  int64_t before = 1;
  Shared shared;
  double after = 2.0;
};

const OptionBinder<Shared>& shared_binder() {
  static const OptionBinder<Shared> binder = [] {
    OptionBinder<Shared> b;
    b.bind("gamma", &Shared::gamma, "growth ratio").range(0.0, 16.0).check([](double g) {
      return g == 3.0 ? "not three" : "";
    });
    b.bind("groups", &Shared::groups, "groups to grow");
    return b;
  }();
  return binder;
}

const OptionBinder<Outer>& outer_binder() {
  static const OptionBinder<Outer> binder = [] {
    OptionBinder<Outer> b;
    b.bind("before", &Outer::before, "first");
    b.include(&Outer::shared, shared_binder());
    b.bind("after", &Outer::after, "last").at_least(0.0);
    return b;
  }();
  return binder;
}

TEST(OptionBinder, IncludedOptionsTakeTheirPlaceTheirDocsAndBounds) {
  const OptionSchema schema = outer_binder().schema();
  EXPECT_EQ(outer_binder().names(),
            (std::vector<std::string>{"before", "gamma", "groups", "after"}));
  EXPECT_EQ(spec(schema, "gamma").doc, "growth ratio");
  EXPECT_EQ(spec(schema, "gamma").max, 16.0);
  EXPECT_EQ(spec(schema, "groups").type, ValueType::kStringList);
  EXPECT_EQ(spec(schema, "after").min, 0.0);
}

TEST(OptionBinder, IncludedDefaultsComeFromTheNestedMemberOfTheDefaults) {
  Outer preset;
  preset.shared.gamma = 0.25;
  preset.shared.groups = {"a"};
  preset.before = 5;
  const OptionSchema schema = outer_binder().schema(preset);
  EXPECT_EQ(*spec(schema, "gamma").default_value, Value(0.25));
  EXPECT_EQ(*spec(schema, "groups").default_value, Value(std::vector<std::string>{"a"}));
  EXPECT_EQ(*spec(schema, "before").default_value, Value(int64_t{5}));
  EXPECT_EQ(*spec(outer_binder().schema(), "gamma").default_value, Value(0.9));
}

TEST(OptionBinder, IncludedOptionsAreReadIntoTheNestedMember) {
  const Outer outer = outer_binder().read(parse(
      "before = 4\ngamma = 1.5\ngroups = [\"x\", \"y\"]\nafter = 8.0\n", outer_binder().schema()));
  EXPECT_EQ(outer.before, 4);
  EXPECT_EQ(outer.shared.gamma, 1.5);
  EXPECT_EQ(outer.shared.groups, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(outer.after, 8.0);
}

TEST(OptionBinder, IncludedChecksStillRun) {
  const ConfigError e = config_error(
      [&] { outer_binder().read(parse("before = 2\ngamma = 3.0\n", outer_binder().schema())); });
  EXPECT_EQ(e.key(), "stage.1.gamma");
  EXPECT_EQ(e.message(), "not three");
  EXPECT_EQ(e.where().line, 2);
}

TEST(OptionBinder, IncludingATakenNameIsABug) {
  OptionBinder<Outer> binder;
  binder.bind("gamma", &Outer::after, "clash");
  EXPECT_THROW(binder.include(&Outer::shared, shared_binder()), std::logic_error);
}

TEST(OptionBinder, NameOfAndFailFindTheMembersOption) {
  EXPECT_EQ(shared_binder().name_of(&Shared::gamma), "gamma");
  EXPECT_EQ(shared_binder().name_of(&Shared::groups), "groups");
  EXPECT_EQ(outer_binder().name_of(&Outer::before), "before");
  EXPECT_EQ(outer_binder().name_of(&Outer::after), "after");
  // The nested struct shares its first member's address but is not an option.
  EXPECT_THROW(outer_binder().name_of(&Outer::shared), std::logic_error);
  OptionBinder<Outer> partial;
  partial.bind("before", &Outer::before, "first");
  EXPECT_THROW(partial.name_of(&Outer::after), std::logic_error);

  const Config config = parse("gamma = 1.0\n\ngroups = [\"q\"]\n", outer_binder().schema());
  const ConfigError e =
      config_error([&] { shared_binder().fail(config, &Shared::groups, "'q' is not a group"); });
  EXPECT_EQ(e.key(), "stage.1.groups");
  EXPECT_EQ(e.message(), "'q' is not a group");
  EXPECT_EQ(e.where().line, 3);
}

TEST(OptionBinder, ACopyIsIndependentOfItsSource) {
  OptionBinder<Sample> source;
  source.bind("count", &Sample::count, "a count");
  const OptionBinder<Sample> copy = source;
  source.bind("ratio", &Sample::ratio, "a ratio");
  EXPECT_EQ(copy.names(), (std::vector<std::string>{"count"}));
  EXPECT_EQ(source.names(), (std::vector<std::string>{"count", "ratio"}));
}

}  // namespace
}  // namespace gear

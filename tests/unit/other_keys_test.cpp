// OptionSchema::allow_other_keys: undeclared keys pass through typed as written, declared ones
// are still checked, and values no option type can hold are errors at their position.
#include <gtest/gtest.h>

#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

Config read(const std::string& text, const OptionSchema& schema) {
  toml::table table = toml::parse(text, std::string_view("t.toml"));
  return config_from_table(table, "stage.1", schema, "t.toml");
}

OptionSchema open_schema() {
  return OptionSchema().add_float("gamma", 0.5, "declared").range(0, 1).allow_other_keys("to X");
}

TEST(OtherKeys, PassThroughTypedAsWritten) {
  Config c = read(
      "gamma = 0.25\nflag = true\ncount = 3\nrate = 0.5\nname = \"a\"\n"
      "ints = [1, 2]\nmixed = [1, 2.5]\nnames = [\"x\"]\nempty = []\n",
      open_schema());
  EXPECT_DOUBLE_EQ(c.get<double>("gamma"), 0.25);
  EXPECT_TRUE(c.get<bool>("flag"));
  EXPECT_EQ(c.get<int64_t>("count"), 3);
  EXPECT_DOUBLE_EQ(c.get<double>("rate"), 0.5);
  EXPECT_EQ(c.get<std::string>("name"), "a");
  EXPECT_EQ(c.get<std::vector<int64_t>>("ints"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.get<std::vector<double>>("mixed"), (std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(c.get<std::vector<std::string>>("names"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(c.get<std::vector<int64_t>>("empty").empty());
  EXPECT_EQ(c.where("count").line, 3);
  EXPECT_FALSE(c.has(OptionSchema::kOtherKeys));  // the marker is not an option
}

TEST(OtherKeys, DeclaredKeysAreStillChecked) {
  try {
    read("gamma = 2.0\n", open_schema());
    FAIL() << "expected a range error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "stage.1.gamma");
    EXPECT_NE(std::string(e.what()).find("out of range [0.0, 1.0]"), std::string::npos) << e.what();
  }
}

TEST(OtherKeys, TablesAndMixedArraysAreErrorsAtTheirPosition) {
  for (const std::string text : {"x = { a = 1 }\n", "x = [1, \"a\"]\n"}) {
    try {
      read(text, open_schema());
      FAIL() << text;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "stage.1.x");
      EXPECT_EQ(e.where().line, 1);
      EXPECT_NE(std::string(e.what()).find("expected a bool, number, string or a list"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(OtherKeys, ClosedSchemasStillRejectUnknownKeys) {
  OptionSchema closed = OptionSchema().add_float("gamma", 0.5, "declared");
  EXPECT_THROW(read("gama = 0.1\n", closed), ConfigError);
  EXPECT_THROW(read("\"*\" = 1\n", open_schema()), ConfigError);  // the marker is no key
}

}  // namespace
}  // namespace gear::host

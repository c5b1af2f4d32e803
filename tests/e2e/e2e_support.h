#pragma once

// What the end-to-end tests share: running gearhost as a user would (with the fixture plugins
// on its plugin path), the tiny pipelines they run, and the data folder every test reads.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

namespace gear::e2e {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int code = -1;
  std::string output;
};

inline Result gearhost(const std::string& args) {
  Result result;
  result.code = test::run_command(
      std::string(GEARHOST_EXE) + " --plugin-path " + GEAR_FIXTURE_DIR + " " + args,
      &result.output);
  return result;
}

inline std::string tiny_pipeline(const fs::path& data) {
  return test::tiny_run_and_data(data, 5) + R"(
[model]
architecture = "vgg11"
width = 0.125

[[stage]]
kind = "train"
epochs = 2
lr = 0.05
augmentation = { name = "standard", padding = 2 }

[[stage]]
kind = "grow"
strategy = "fixture-duplicate"

[[stage]]
kind = "train"
epochs = 1
optimizer = "adam"
lr = 0.001

[[stage]]
kind = "evaluate"
)";
}

inline json read_json(const fs::path& path) { return json::parse(std::ifstream(path)); }

class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (dir_) return;  // one data folder for every file's tests
    dir_ = new fs::path(test::temp_dir("e2e"));
    test::write_tiny_fashion(*dir_ / "data", 400, 100);
    test::write_text(*dir_ / "tiny.toml", tiny_pipeline(*dir_ / "data"));
  }
  static inline fs::path* dir_ = nullptr;
};

inline std::string budget_pipeline(const fs::path& data) {
  return test::tiny_run_and_data(data, 5, "epoch_scale = 0.5\n") + R"(
[model]
architecture = "vgg11"
width = 0.125
budget = { params = 260000, train_memory = "1GiB" }

[[stage]]
kind = "train"
epochs = 2
checkpoint = false

[[stage]]
kind = "grow"
strategy = "fixture-duplicate"
gamma = 0.5
steps = 2

[[stage]]
kind = "train"
epochs = 6
optimizer = "adam"
lr = 0.001
checkpoint = false

[[stage]]
kind = "evaluate"
)";
}

// A train stage, then an evaluate stage with an evaluator plugin (options in a table named after
// it), then optionally more training.
inline std::string evaluator_pipeline(const fs::path& data, const std::string& suites,
                               const std::string& after = "") {
  return test::tiny_run_and_data(data, 5) + test::tiny_vgg_training("0.125", 1) +
         "\n[[stage]]\nkind = \"evaluate\"\nsuites = " + suites + "\n" +
         (suites.find("fixture-flip") != std::string::npos ? "fixture-flip = { limit = 40 }\n" : "") +
         after;
}

}  // namespace gear::e2e

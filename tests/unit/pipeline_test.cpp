#include "gear/host/pipeline.h"

#include <gtest/gtest.h>

#include "gear/host/stage_kind.h"
#include "test_support.h"

namespace gear::host {
namespace {

using test::expect_pipeline_error;
using test::pipeline_file;
using test::real_plugins;
using test::temp_dir;
using test::write_text;

const char* kValid = R"([run]
seed = 3

[data]
batch_size = 64

[model]
architecture = "vgg11"
width = 0.25

[[stage]]
kind = "train"
epochs = 2
augmentation = { name = "standard", padding = 2 }

[[stage]]
kind = "evaluate"
)";

TEST(Pipeline, ValidFileFillsDefaultsAndComponents) {
  Pipeline p = read_pipeline(pipeline_file(kValid), {}, real_plugins());
  EXPECT_EQ(p.run.get<int64_t>("seed"), 3);
  EXPECT_EQ(p.run.get<std::string>("device"), "auto");
  EXPECT_EQ(p.dataset.name, "fashion-mnist");
  EXPECT_EQ(p.data.get<int64_t>("batch_size"), 64);
  EXPECT_EQ(p.architecture.name, "vgg11");
  EXPECT_DOUBLE_EQ(p.model.get<double>("width"), 0.25);
  ASSERT_EQ(p.stages.size(), 2u);
  EXPECT_EQ(p.stages[0].kind, "train");
  EXPECT_EQ(p.stages[0].options.get<int64_t>("epochs"), 2);
  EXPECT_EQ(p.stages[0].augmentation.name, "standard");
  EXPECT_EQ(p.stages[0].augmentation.options.get<int64_t>("padding"), 2);
  EXPECT_EQ(p.stages[1].kind, "evaluate");
  EXPECT_NE(p.resolved_toml().find("[stage.augmentation]\nname = \"standard\""), std::string::npos)
      << p.resolved_toml();
}

TEST(Pipeline, ResolvedTomlReadsBackToTheSamePipeline) {
  Pipeline p = read_pipeline(pipeline_file(kValid), {"stage.0.epochs=5"}, real_plugins());
  Pipeline again = read_pipeline(pipeline_file(p.resolved_toml()), {}, real_plugins());
  EXPECT_EQ(again.resolved_toml().substr(again.resolved_toml().find('\n')),
            p.resolved_toml().substr(p.resolved_toml().find('\n')));
  EXPECT_EQ(again.stages[0].options.get<int64_t>("epochs"), 5);
}

// GEARnn-1 grows on augmented data: a grow stage takes an augmentation like a train stage, and
// the strategy's options stay its own.
TEST(Pipeline, GrowStageTakesAnAugmentation) {
  const std::string text = std::string(kValid) + R"(
[[stage]]
kind = "grow"
strategy = "osg"
gamma = 0.5
augmentation = { name = "standard", padding = 3 }

[[stage]]
kind = "grow"
strategy = "random"
)";
  Pipeline p = read_pipeline(pipeline_file(text), {}, real_plugins());
  ASSERT_EQ(p.stages.size(), 4u);
  EXPECT_EQ(p.stages[2].component.name, "osg");
  EXPECT_DOUBLE_EQ(p.stages[2].component.options.get<double>("gamma"), 0.5);
  EXPECT_EQ(p.stages[2].augmentation.name, "standard");
  EXPECT_EQ(p.stages[2].augmentation.options.get<int64_t>("padding"), 3);
  EXPECT_TRUE(p.stages[3].augmentation.name.empty());
  Pipeline again = read_pipeline(pipeline_file(p.resolved_toml()), {}, real_plugins());
  EXPECT_EQ(again.stages[2].augmentation.options.get<int64_t>("padding"), 3);
  EXPECT_EQ(again.resolved_toml().substr(again.resolved_toml().find('\n')),
            p.resolved_toml().substr(p.resolved_toml().find('\n')));

  ConfigError e = expect_pipeline_error(std::string(kValid) + R"(
[[stage]]
kind = "grow"
strategy = "osg"
augmentation = "standrd"
)");
  EXPECT_EQ(e.key(), "stage.2.augmentation");
  EXPECT_NE(std::string(e.what()).find("did you mean 'standard'"), std::string::npos) << e.what();
}

TEST(Pipeline, SyntaxErrorHasLineAndColumn) {
  ConfigError e = expect_pipeline_error("[run]\nseed = 3\n[data\nbatch_size = 1\n");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_GT(e.where().column, 1);
  EXPECT_NE(std::string(e.what()).find("TOML syntax error"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("p.toml:3:"), std::string::npos) << e.what();
}

TEST(Pipeline, UnknownKeySuggestsTheClosestName) {
  std::string text = kValid;
  text.replace(text.find("epochs = 2"), 10, "epochz = 2");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "stage.0.epochz");
  EXPECT_EQ(e.where().line, 13);
  EXPECT_EQ(e.where().column, 10);  // the value of the offending key
  EXPECT_NE(e.message().find("did you mean 'epochs'?"), std::string::npos) << e.what();
}

TEST(Pipeline, WrongTypeSaysExpectedAndGot) {
  std::string text = kValid;
  text.replace(text.find("batch_size = 64"), 15, "batch_size = \"big\"");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "data.batch_size");
  EXPECT_EQ(e.where().line, 5);
  EXPECT_EQ(e.where().column, 14);
  EXPECT_EQ(e.message(), "expected integer, got a string");
}

TEST(Pipeline, OutOfRangeNamesTheRange) {
  std::string text = kValid;
  text.replace(text.find("width = 0.25"), 12, "width = -1.0");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "model.width");
  EXPECT_EQ(e.where().line, 9);
  EXPECT_NE(e.message().find("out of range [0.001, 16.0]"), std::string::npos) << e.what();
}

TEST(Pipeline, PluginOptionIsValidatedAgainstPluginSchema) {
  std::string text = kValid;
  text.replace(text.find("padding = 2"), 11, "padding = -3");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "stage.0.augmentation.padding");
  EXPECT_EQ(e.where().line, 14);
  EXPECT_NE(e.message().find("out of range"), std::string::npos) << e.what();
}

TEST(Pipeline, UnknownPluginListsAvailableWithDidYouMean) {
  std::string text = kValid;
  text.replace(text.find("\"vgg11\""), 7, "\"vgg12\"");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "model.architecture");
  EXPECT_EQ(e.where().line, 8);
  EXPECT_NE(e.message().find("unknown architecture 'vgg12'"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("did you mean 'vgg1"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find(
                "available: mobilenet_v1, mobilenet_v2, resnet18, vgg11, vgg13, vgg16, vgg19"),
            std::string::npos)
      << e.what();
}

TEST(Pipeline, UnknownChoiceSuggests) {
  std::string text = kValid;
  text.replace(text.find("kind = \"evaluate\""), 17, "kind = \"evalute\"");
  ConfigError e = expect_pipeline_error(text);
  EXPECT_EQ(e.key(), "stage.1.kind");
  EXPECT_NE(e.message().find("did you mean 'evaluate'?"), std::string::npos) << e.what();
}

TEST(Pipeline, UnknownTopLevelTable) {
  ConfigError e = expect_pipeline_error(std::string(kValid) + "\n[modle]\nwidth = 1\n");
  EXPECT_EQ(e.key(), "modle");
  EXPECT_NE(e.message().find("did you mean 'model'?"), std::string::npos) << e.what();
}

TEST(Pipeline, MissingStagesAndMissingKind) {
  EXPECT_NE(expect_pipeline_error("[run]\nseed = 1\n").message().find("no [[stage]]"),
            std::string::npos);
  ConfigError e = expect_pipeline_error("[[stage]]\nepochs = 1\n");
  EXPECT_EQ(e.key(), "stage.0.kind");
  EXPECT_EQ(e.where().line, 1);
}

TEST(Pipeline, UnknownStageKindListsTheTableOfKindsWithDidYouMean) {
  ConfigError e = expect_pipeline_error("[[stage]]\nkind = \"trian\"\n");
  EXPECT_EQ(e.key(), "stage.0.kind");
  EXPECT_EQ(e.where().line, 2);
  EXPECT_NE(e.message().find("did you mean 'train'?"), std::string::npos) << e.what();
  for (const auto& kind : stage_kind_names())
    EXPECT_NE(e.message().find(kind), std::string::npos) << kind << ": " << e.what();
  ConfigError missing = expect_pipeline_error("[[stage]]\nepochs = 1\n");
  for (const auto& kind : stage_kind_names())
    EXPECT_NE(missing.message().find(kind), std::string::npos) << kind << ": " << missing.what();
}

TEST(Pipeline, AvailableKeysNameEachKeyOnce) {
  ConfigError e = expect_pipeline_error("[[stage]]\nkind = \"train\"\nepochz = 1\n");
  const std::string& m = e.message();
  EXPECT_NE(m.find("did you mean 'epochs'?"), std::string::npos) << e.what();
  for (const std::string key : {"augmentation", "objective", "epochs"}) {
    const size_t first = m.find(" " + key + ",");
    EXPECT_NE(first, std::string::npos) << key << ": " << m;
    EXPECT_EQ(m.find(" " + key + ",", first + 1), std::string::npos) << key << " twice: " << m;
  }
}

TEST(Config, ReadingAnOptionWithTheWrongTypeSaysHowToReadIt) {
  Pipeline p = read_pipeline(pipeline_file(kValid), {}, real_plugins());
  const Config& stage = p.stages.at(0).options;
  try {
    stage.get<double>("epochs");
    FAIL() << "epochs is an int";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "stage.0.epochs is an integer; read it with get<int64_t>, not get<double>");
  }
  try {
    stage.get<std::vector<double>>("milestones");
    FAIL() << "milestones is a list of integers";
  } catch (const std::logic_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("a list of integers; read it with get<std::vector<int64_t>>"),
        std::string::npos)
        << e.what();
  }
}

TEST(Pipeline, OverridesChangeValuesWithTypes) {
  Pipeline p = read_pipeline(pipeline_file(kValid),
                             {"stage.0.epochs=1", "data.batch_size=32", "run.device=cpu",
                              "model.widths=[4, 4, 4, 4, 4, 4, 4, 4]", "stage.0.lr=0.2"},
                             real_plugins());
  EXPECT_EQ(p.stages[0].options.get<int64_t>("epochs"), 1);
  EXPECT_EQ(p.data.get<int64_t>("batch_size"), 32);
  EXPECT_EQ(p.run.get<std::string>("device"), "cpu");
  EXPECT_EQ(p.model.get<std::vector<int64_t>>("widths").size(), 8u);
  EXPECT_DOUBLE_EQ(p.stages[0].options.get<double>("lr"), 0.2);
}

TEST(Pipeline, BadOverridesNameTheOverride) {
  ConfigError e = expect_pipeline_error(kValid, {"stage.7.epochs=1"});
  EXPECT_NE(std::string(e.what()).find("override 'stage.7.epochs=1'"), std::string::npos)
      << e.what();
  EXPECT_NE(e.message().find("2 stage(s)"), std::string::npos) << e.what();
  ConfigError typed = expect_pipeline_error(kValid, {"stage.0.epochs=many"});
  EXPECT_EQ(typed.where().file, "override 'stage.0.epochs=many'");
  EXPECT_EQ(typed.message(), "expected integer, got a string");
  ConfigError unknown = expect_pipeline_error(kValid, {"data.batchsize=4"});
  EXPECT_NE(unknown.message().find("did you mean 'batch_size'?"), std::string::npos);
  ConfigError no_equals = expect_pipeline_error(kValid, {"data.batch_size"});
  EXPECT_NE(no_equals.message().find("key=value"), std::string::npos);
}

// Overrides that once escaped as a crash or a bare library exception (issue 22's fuzzing):
// `stage = [1]` dereferenced a null table, an index past size_t's range threw std::out_of_range
// from std::stoul, a value with a newline threw toml::parse_error.
TEST(Pipeline, OverridesOfOddStagesAndValuesAreConfigErrors) {
  const std::string not_tables = "stage = [1, 2]\n[run]\nseed = 1\n";
  ConfigError scalar_stage = expect_pipeline_error(not_tables, {"stage.0.epochs=1"});
  EXPECT_EQ(scalar_stage.where().file, "override 'stage.0.epochs=1'");
  EXPECT_NE(scalar_stage.message().find("stage 0 of the pipeline is not a table"),
            std::string::npos)
      << scalar_stage.what();
  ConfigError huge = expect_pipeline_error(kValid, {"stage.99999999999999999999999.epochs=1"});
  EXPECT_NE(huge.message().find("2 stage(s) (indices 0..1)"), std::string::npos) << huge.what();
  ConfigError newline = expect_pipeline_error(kValid, {"run.name=two\nlines"});
  EXPECT_EQ(newline.key(), "run.name");
  EXPECT_NE(newline.message().find("cannot read the value as TOML or as a string"),
            std::string::npos)
      << newline.what();
}

TEST(Pipeline, MissingFile) {
  try {
    read_pipeline("/nonexistent/p.toml", {}, real_plugins());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where().file, "/nonexistent/p.toml");
  }
}

}  // namespace
}  // namespace gear::host

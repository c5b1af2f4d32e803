// gearhost on bad input and failing plugins (exit codes, positions, attribution), and its list
// and describe commands.

#include "e2e_support.h"

namespace gear::e2e {
namespace {

TEST_F(EndToEnd, MultiShotErrorsBeforeRunning) {
  fs::path pipeline = *dir_ / "budget.toml";
  test::write_text(pipeline, budget_pipeline(*dir_ / "data"));
  Result few = gearhost("validate " + pipeline.string() + " stage.2.epochs=2");
  EXPECT_EQ(few.code, 2) << few.output;
  EXPECT_NE(few.output.find("budget.toml:27:9"), std::string::npos) << few.output;
  EXPECT_NE(few.output.find("stage.1.steps"), std::string::npos) << few.output;
  EXPECT_NE(few.output.find("which has 1 (after run.epoch_scale = 0.5)"), std::string::npos)
      << few.output;
  Result budget = gearhost("validate " + pipeline.string() + " model.budget.bytes=8XB");
  EXPECT_EQ(budget.code, 2) << budget.output;
  EXPECT_NE(budget.output.find("model.budget.bytes"), std::string::npos) << budget.output;
  EXPECT_NE(budget.output.find("cannot read '8XB' as a size"), std::string::npos) << budget.output;
}

TEST_F(EndToEnd, BadInputExitsTwoWithPosition) {
  Result r = gearhost("run " + (*dir_ / "tiny.toml").string() + " stage.0.epochs=-1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("override 'stage.0.epochs=-1'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("out of range"), std::string::npos) << r.output;
  Result v = gearhost("validate " + (*dir_ / "tiny.toml").string());
  EXPECT_EQ(v.code, 0) << v.output;
  Result missing = gearhost("run " + (*dir_ / "tiny.toml").string() + " data.path=/nowhere");
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_NE(missing.output.find("/nowhere"), std::string::npos) << missing.output;
}

TEST_F(EndToEnd, ThrowingPluginStopsCleanlyNamingPluginFileAndStage) {
  fs::path out = *dir_ / "throwing";
  Result r = gearhost("run " + (*dir_ / "tiny.toml").string() +
                      " stage.0.augmentation=fixture-throwing --out " + out.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("plugin 'fixture-throwing'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gear_fixture_good.so"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tiny.toml:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fixture augmentation exploded"), std::string::npos) << r.output;
  json summary = read_json(out / "summary.json");
  EXPECT_EQ(summary["status"], "failed");
}

TEST_F(EndToEnd, BadSuitesAreReportedBeforeRunning) {
  test::write_text(*dir_ / "bad-suite.toml",
                   evaluator_pipeline(*dir_ / "data", R"(["clean", "fixture-flp"])"));
  Result unknown = gearhost("validate " + (*dir_ / "bad-suite.toml").string());
  EXPECT_EQ(unknown.code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("bad-suite.toml:"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown suite 'fixture-flp'"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("fixture-flip"), std::string::npos) << unknown.output;
  test::write_text(*dir_ / "bad-option.toml",
                   evaluator_pipeline(*dir_ / "data", R"(["fixture-flip"])"));
  Result option = gearhost("validate " + (*dir_ / "bad-option.toml").string() +
                           " stage.1.fixture-flip.limt=3");
  EXPECT_EQ(option.code, 2) << option.output;
  EXPECT_NE(option.output.find("stage.1.fixture-flip"), std::string::npos) << option.output;
  EXPECT_NE(option.output.find("limit"), std::string::npos) << option.output;
}

TEST_F(EndToEnd, WidthsThatDoNotFitTheArchitectureAreBadInputAtTheKey) {
  test::write_text(*dir_ / "bad-widths.toml", tiny_pipeline(*dir_ / "data"));
  fs::path out = *dir_ / "bad-widths";
  Result count = gearhost("run " + (*dir_ / "bad-widths.toml").string() + " --out " + out.string() +
                          " model.widths=[8,8]");
  EXPECT_EQ(count.code, 2) << count.output;
  EXPECT_NE(count.output.find("model.widths"), std::string::npos) << count.output;
  EXPECT_NE(count.output.find("has 8 channel groups, so it needs 8 widths; got 2"),
            std::string::npos)
      << count.output;
  Result zero = gearhost("run " + (*dir_ / "bad-widths.toml").string() + " --out " +
                         (out.string() + "-zero") + " model.widths=[8,0,8,8,8,8,8,8]");
  EXPECT_EQ(zero.code, 2) << zero.output;
  EXPECT_NE(zero.output.find("width 1 is 0"), std::string::npos) << zero.output;
}

TEST_F(EndToEnd, ThrowingEvaluatorStopsCleanlyNamingItAndTheStage) {
  test::write_text(*dir_ / "throwing-eval.toml",
                   evaluator_pipeline(*dir_ / "data", R"(["fixture-throwing-evaluator"])"));
  fs::path out = *dir_ / "throwing-eval";
  Result r = gearhost("run " + (*dir_ / "throwing-eval.toml").string() + " --out " + out.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("plugin 'fixture-throwing-evaluator'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("throwing-eval.toml:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fixture evaluator exploded"), std::string::npos) << r.output;
  json summary = read_json(out / "summary.json");
  EXPECT_EQ(summary["status"], "failed");
  EXPECT_EQ(summary["stages"].size(), 1u);  // the finished training stage is kept
}

TEST_F(EndToEnd, ListAndDescribe) {
  Result list = gearhost("list");
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.output.find("vgg19"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("fashion-mnist"), std::string::npos);
  EXPECT_NE(list.output.find("REFUSED"), std::string::npos);
  EXPECT_NE(list.output.find("ABI version 99"), std::string::npos) << list.output;
  // One section per kind, named and documented by the kind itself, including the kinds only the
  // fixtures declare; a plugin with no component is pointed out.
  for (const std::string section :
       {"architecture: ", "dataset: ", "augmentation: ", "growth: ", "evaluator: ", "objective: ",
        "image_transforms: ", "greeter: a test-only kind"})
    EXPECT_NE(("\n" + list.output).find("\n" + section), std::string::npos)
        << section << list.output;
  const size_t empty = list.output.find("LOADED BUT REGISTERED NOTHING");
  EXPECT_NE(empty, std::string::npos) << list.output;
  EXPECT_NE(list.output.find("gear_fixture_empty.so", empty), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("registered no component"), std::string::npos) << list.output;
  Result objective = gearhost("describe jsd");
  EXPECT_EQ(objective.code, 0) << objective.output;
  EXPECT_NE(objective.output.find("jsd (objective)"), std::string::npos) << objective.output;
  EXPECT_NE(objective.output.find("lambda"), std::string::npos) << objective.output;
  Result train = gearhost("describe train");
  EXPECT_NE(train.output.find("objective"), std::string::npos) << train.output;
  EXPECT_NE(train.output.find("objective = {"), std::string::npos) << train.output;
  Result describe = gearhost("describe standard");
  EXPECT_EQ(describe.code, 0);
  EXPECT_NE(describe.output.find("padding"), std::string::npos) << describe.output;
  Result model = gearhost("describe model");
  EXPECT_EQ(model.code, 0) << model.output;
  EXPECT_NE(model.output.find("budget"), std::string::npos) << model.output;
  EXPECT_NE(model.output.find("train_memory"), std::string::npos) << model.output;
  Result grow = gearhost("describe grow");
  EXPECT_EQ(grow.code, 0) << grow.output;
  EXPECT_NE(grow.output.find("steps"), std::string::npos) << grow.output;
  Result run = gearhost("describe run");
  EXPECT_NE(run.output.find("epoch_scale"), std::string::npos) << run.output;
  Result unknown = gearhost("describe standerd");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.output.find("did you mean 'standard'?"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace gear::e2e

#include <gtest/gtest.h>

#include "gear/host/device.h"
#include "gear/host/plugin_loader.h"
#include "gear/host/registry.h"

namespace gear::host {
namespace {

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(GEAR_FIXTURE_DIR) / ("gear_fixture_" + name + ".so");
}

TEST(Loader, LoadsGoodPluginAndRecordsComponents) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("good"), registry);
  ASSERT_TRUE(record.loaded) << record.refusal;
  EXPECT_EQ(record.name, "gear-fixture-good");
  EXPECT_EQ(record.version, "1.2.3");
  EXPECT_EQ(record.toolchain, host_toolchain());
  EXPECT_EQ(record.components.size(), 6u);
  const ComponentEntry* evaluator = registry.find("fixture-flip");
  ASSERT_NE(evaluator, nullptr);
  EXPECT_EQ(evaluator->info.kind, ComponentKind::kEvaluator);
  EXPECT_TRUE(static_cast<bool>(evaluator->evaluator));
  const ComponentEntry* entry = registry.find("fixture-identity");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->info.kind, ComponentKind::kAugmentation);
  EXPECT_EQ(entry->library, fixture("good").string());
  ASSERT_NE(entry->info.schema.find("strength"), nullptr);
}

TEST(Loader, RefusesWrongAbiVersion) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("wrong_abi"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("ABI version 99, host has 1"), std::string::npos) << record.refusal;
}

TEST(Loader, RefusesWrongToolchainNamingBoth) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("wrong_toolchain"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("toolchain mismatch"), std::string::npos);
  EXPECT_NE(record.refusal.find("torch=0.4"), std::string::npos);
  EXPECT_NE(record.refusal.find(host_toolchain()), std::string::npos) << record.refusal;
}

TEST(Loader, RefusesNewerSdkMajor) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("wrong_sdk"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("built for SDK 1."), std::string::npos) << record.refusal;
}

TEST(Loader, RegistrationExceptionIsReportedAndRolledBack) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("throws"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("registration failed: registration boom"), std::string::npos)
      << record.refusal;
  EXPECT_EQ(registry.find("fixture-half-registered"), nullptr);
}

TEST(Loader, MissingEntrySymbol) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("no_entry"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("no entry symbol 'gear_plugin_descriptor_v1'"), std::string::npos)
      << record.refusal;
}

TEST(Loader, UnloadableFileSaysWhy) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("does_not_exist"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("cannot load"), std::string::npos) << record.refusal;
}

TEST(Loader, DuplicateNameRefusesTheLaterPlugin) {
  Registry registry;
  ASSERT_TRUE(load_plugin(fixture("good"), registry).loaded);
  PluginRecord record = load_plugin(fixture("twin"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("duplicate component name 'fixture-identity'"), std::string::npos)
      << record.refusal;
  EXPECT_NE(record.refusal.find("gear_fixture_good.so"), std::string::npos) << record.refusal;
  EXPECT_EQ(registry.find("fixture-identity")->library, fixture("good").string());
}

TEST(Loader, FolderScanLoadsGoodAndRecordsEveryRefusal) {
  Registry registry;
  load_plugins({GEAR_FIXTURE_DIR}, registry);
  int loaded = 0, refused = 0;
  for (const auto& p : registry.plugins()) (p.loaded ? loaded : refused)++;
  // good loads; twin (same name, sorted after good) and the five broken fixtures are refused.
  EXPECT_EQ(loaded, 1);
  EXPECT_EQ(refused, 6);
  EXPECT_EQ(registry.find("fixture-identity")->library, fixture("good").string());
}

TEST(Loader, SearchPathOrder) {
  setenv("GEAR_PLUGIN_PATH", "/env/a:/env/b", 1);
  auto path = plugin_search_path({"/cli"});
  unsetenv("GEAR_PLUGIN_PATH");
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], "/cli");
  EXPECT_EQ(path[1], "/env/a");
  EXPECT_EQ(path[2], "/env/b");
  EXPECT_EQ(path[3].filename(), "plugins");
}

TEST(Loader, PluginExceptionBecomesPluginError) {
  Registry registry;
  ASSERT_TRUE(load_plugin(fixture("good"), registry).loaded);
  Config options = Config("stage.0.augmentation", {"p.toml", 3, 1});
  auto aug = registry.create_augmentation("fixture-throwing", options);
  torch::Generator generator = make_generator(torch::kCPU, 1);
  try {
    call_plugin("fixture-throwing", registry.find("fixture-throwing")->library, "p.toml:3:1",
                [&] { aug->augment(torch::zeros({1, 1, 2, 2}, torch::kUInt8), generator); });
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("plugin 'fixture-throwing'"), std::string::npos) << what;
    EXPECT_NE(what.find("gear_fixture_good.so"), std::string::npos) << what;
    EXPECT_NE(what.find("p.toml:3:1"), std::string::npos) << what;
    EXPECT_NE(what.find("fixture augmentation exploded"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace gear::host

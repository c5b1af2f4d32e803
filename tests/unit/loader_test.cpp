#include <gtest/gtest.h>

#include <cstddef>

#include "../plugins/fixture_kind.h"
#include "gear/abi.h"
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
  EXPECT_EQ(evaluator->info.kind, std::string("evaluator"));
  EXPECT_TRUE(static_cast<bool>(evaluator->factory));
  const ComponentEntry* entry = registry.find("fixture-identity");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->info.kind, std::string("augmentation"));
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

TEST(Loader, RefusesAnOlderSdkMinorSayingToRebuild) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("older_sdk_minor"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(record.refusal.find("built for SDK " + std::to_string(GEAR_SDK_VERSION_MAJOR) + "." +
                                std::to_string(GEAR_SDK_VERSION_MINOR - 1)),
            std::string::npos)
      << record.refusal;
  EXPECT_NE(record.refusal.find("rebuilt for each SDK minor"), std::string::npos) << record.refusal;
}

TEST(Loader, RefusesADescriptorShorterThanTheFieldsTheHostReads) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("short_descriptor"), registry);
  EXPECT_FALSE(record.loaded);
  EXPECT_NE(
      record.refusal.find("descriptor struct is " +
                          std::to_string(offsetof(GearPluginDescriptor, register_all)) + " bytes"),
      std::string::npos)
      << record.refusal;
}

TEST(Loader, APluginThatRegistersNothingLoadsWithNoComponents) {
  Registry registry;
  PluginRecord record = load_plugin(fixture("empty"), registry);
  EXPECT_TRUE(record.loaded) << record.refusal;
  EXPECT_TRUE(record.components.empty());
}

TEST(ComponentKinds, AKindDeclaredOutsideTheSdkIsRegisteredAndCreatedGenerically) {
  Registry registry;
  ASSERT_TRUE(load_plugin(fixture("kind"), registry).loaded);
  const auto kinds = registry.kinds();
  ASSERT_EQ(kinds.count("greeter"), 1u);
  EXPECT_EQ(kinds.at("greeter"), "a test-only kind: greets a name");
  EXPECT_EQ(registry.names("greeter"), std::vector<std::string>{"fixture-loud"});
  const ComponentEntry& entry = registry.require<test::Greeter>("fixture-loud", {}, "greeter");
  Config options("greeter", {});
  options.set("punctuation", Value(std::string("?")), {}, true);
  options.set("repeat", Value(int64_t{2}), {}, true);
  EXPECT_EQ(entry.info.schema.options().size(), 2u);
  auto greeter = registry.create<test::Greeter>("fixture-loud", options);
  EXPECT_EQ(greeter->greet("bob"), "HELLO BOB?HELLO BOB?");
  // The kind is checked by name: the same component is no augmentation.
  EXPECT_THROW(registry.create<Augmentation>("fixture-loud", options), std::logic_error);
  try {
    registry.require<Augmentation>("fixture-loud", {"p.toml", 2, 1}, "stage.0.augmentation");
    FAIL() << "a greeter is not an augmentation";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("'fixture-loud' is a greeter plugin"), std::string::npos)
        << e.what();
  }
  try {
    registry.require<test::Greeter>("fixture-lod", {"p.toml", 2, 1}, "greeter");
    FAIL() << "no such greeter";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("unknown greeter 'fixture-lod'"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find("did you mean 'fixture-loud'"), std::string::npos) << e.what();
  }
}

TEST(ComponentKinds, TwoInterfacesSharingAKindNameAreRefused) {
  Registry registry;
  ASSERT_TRUE(load_plugin(fixture("kind"), registry).loaded);
  EXPECT_THROW(registry.register_component({"greeter", "another interface", "x", "", {}},
                                           [](const Config&) { return std::shared_ptr<void>(); }),
               std::invalid_argument);
  EXPECT_EQ(registry.find("x"), nullptr);
}

TEST(Registry, UnknownNamesListTheFoldersSearched) {
  Registry registry;
  load_plugins({GEAR_FIXTURE_DIR}, registry);
  try {
    registry.require<Architecture>("vgg11", {}, "model.architecture");
    FAIL() << "no architecture among the fixtures";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("no architecture plugin is loaded"), std::string::npos) << e.what();
    EXPECT_NE(e.message().find(GEAR_FIXTURE_DIR), std::string::npos) << e.what();
  }
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
  // good, kind, empty and fault load; twin (same name, sorted after good) and the seven broken
  // fixtures are refused.
  EXPECT_EQ(loaded, 4);
  EXPECT_EQ(refused, 8);
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
  auto aug = registry.create<Augmentation>("fixture-throwing", options);
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

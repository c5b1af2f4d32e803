// The offloading plugin as the host sees it: loaded with dlopen, its registrations read through
// a Registrar, and the components it creates decide as the library's classes do.
#include <dlfcn.h>
#include <gear/abi.h>
#include <gear/registrar.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "learned_policy.h"
#include "random_policy.h"
#include "synthetic_stream.h"
#include "uncertainty_policies.h"

namespace gear::plugins::offloading::test {
namespace {

struct Registered {
  ComponentInfo info;
  AnyFactory factory;
};

class RecordingRegistrar final : public Registrar {
 public:
  void register_component(ComponentInfo info, AnyFactory factory) override {
    const std::string name = info.name;
    components[name] = {std::move(info), std::move(factory)};
  }
  std::map<std::string, Registered> components;
};

const std::map<std::string, Registered>& plugin_components() {
  static const std::map<std::string, Registered> components = [] {
    void* handle = dlopen(GEAR_OFFLOADING_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<GearPluginEntry>(dlsym(handle, "gear_plugin_descriptor_v1"));
    if (entry == nullptr) throw std::runtime_error("no gear_plugin_descriptor_v1");
    RecordingRegistrar registrar;
    char error[512] = "";
    if (entry()->register_all(&registrar, error, sizeof error) != GEAR_OK)
      throw std::runtime_error(error);
    return registrar.components;
  }();
  return components;
}

std::shared_ptr<OffloadPolicy> create(const std::string& name) {
  const Registered& r = plugin_components().at(name);
  return std::static_pointer_cast<OffloadPolicy>(r.factory(make_config(r.info.schema)));
}

TEST(Plugin, RegistersEveryPolicyAsAnOffloadPolicy) {
  std::vector<std::string> names;
  for (const auto& [name, r] : plugin_components()) {
    names.push_back(name);
    EXPECT_EQ(r.info.kind, "offload_policy") << name;
    EXPECT_FALSE(r.info.doc.empty()) << name;
  }
  std::vector<std::string> expected = policy_names();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
}

TEST(Plugin, DeclaresEachPolicysOptions) {
  auto option_names = [](const OptionSchema& schema) {
    std::vector<std::string> out;
    for (const auto& spec : schema.options()) out.push_back(spec.name);
    return out;
  };
  const std::map<std::string, OptionSchema> schemas = {
      {"confidence", ConfidencePolicy::schema()}, {"margin", MarginPolicy::schema()},
      {"entropy", EntropyPolicy::schema()},       {"scene_change", SceneChangePolicy::schema()},
      {"random_offload", RandomPolicy::schema()}, {"learned", LearnedPolicy::schema()}};
  for (const auto& [name, schema] : schemas)
    EXPECT_EQ(option_names(plugin_components().at(name).info.schema), option_names(schema)) << name;
  EXPECT_EQ(option_names(LearnedPolicy::schema()),
            (std::vector<std::string>{"window", "history", "step", "l2", "balance", "iterations"}));
}

TEST(Plugin, CreatesPoliciesThatDecideAsTheLibrarysClasses) {
  const auto trace = synthetic_trace(2000, 51);
  for (const std::string name :
       {"confidence", "margin", "entropy", "scene_change", "random_offload"}) {
    auto from_plugin = create(name);
    EXPECT_FALSE(from_plugin->learns()) << name;
    EXPECT_EQ(run_stream(*from_plugin, trace, fraction_budget(0.2)).offloaded,
              run_stream(*make_policy(name), trace, fraction_budget(0.2)).offloaded)
        << name;
  }
  auto learned = create("learned");
  EXPECT_TRUE(learned->learns());
  learned->fit(learning_examples(4000, 99));
  EXPECT_EQ(run_stream(*learned, trace, fraction_budget(0.2)).offloaded,
            run_stream(*make_policy("learned"), trace, fraction_budget(0.2)).offloaded);
}

}  // namespace
}  // namespace gear::plugins::offloading::test

// The meters plugin as the host sees it: loaded with dlopen, its registrations read through a
// Registrar, and the meters it creates reading a fixture tree as the library's classes do.
#include <dlfcn.h>
#include <gear/abi.h>
#include <gear/power_meter.h>
#include <gear/registrar.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "auto_meter.h"
#include "estimate_meter.h"
#include "jetson_meter.h"
#include "meter_fixture.h"
#include "nvml_meter.h"
#include "rapl_meter.h"

namespace gear::plugins::meters::test {
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
    void* handle = dlopen(GEAR_METERS_PLUGIN, RTLD_NOW | RTLD_LOCAL);
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

std::vector<std::string> option_names(const OptionSchema& schema) {
  std::vector<std::string> out;
  for (const auto& spec : schema.options()) out.push_back(spec.name);
  return out;
}

std::shared_ptr<PowerMeter> create(const std::string& name,
                                   const std::map<std::string, Value>& overrides) {
  const Registered& r = plugin_components().at(name);
  return std::static_pointer_cast<PowerMeter>(r.factory(make_config(r.info.schema, overrides)));
}

TEST(Plugin, RegistersEveryMeterAsAPowerMeter) {
  std::vector<std::string> names;
  for (const auto& [name, r] : plugin_components()) {
    names.push_back(name);
    EXPECT_EQ(r.info.kind, "power_meter") << name;
    EXPECT_FALSE(r.info.doc.empty()) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"auto", "estimate", "jetson", "nvml", "rapl"}));
}

TEST(Plugin, DeclaresEachMetersOptions) {
  using Names = std::vector<std::string>;
  const std::map<std::string, Names> expected = {
      {"rapl", {"root"}},
      {"nvml", {"root", "library"}},
      {"jetson", {"root", "tegrastats"}},
      {"estimate", {"root", "hz", "watts_per_core", "idle_watts"}},
      {"auto", {"root", "tegrastats", "library", "hz", "watts_per_core", "idle_watts"}}};
  for (const auto& [name, options] : expected)
    EXPECT_EQ(option_names(plugin_components().at(name).info.schema), options) << name;
  EXPECT_EQ(option_names(RaplMeter::schema()), expected.at("rapl"));
  EXPECT_EQ(option_names(NvmlMeter::schema()), expected.at("nvml"));
  EXPECT_EQ(option_names(JetsonMeter::schema()), expected.at("jetson"));
  EXPECT_EQ(option_names(EstimateMeter::schema()), expected.at("estimate"));
  EXPECT_EQ(option_names(AutoMeter::schema()), expected.at("auto"));

  // Defaults.
  const OptionSchema schema = AutoMeter::schema();
  EXPECT_EQ(std::get<std::string>(*schema.find("root")->default_value), "/");
  EXPECT_EQ(std::get<std::string>(*schema.find("tegrastats")->default_value), "");
  EXPECT_EQ(std::get<std::string>(*schema.find("library")->default_value), "libnvidia-ml.so.1");
  EXPECT_EQ(std::get<int64_t>(*schema.find("hz")->default_value), 100);
  EXPECT_EQ(std::get<double>(*schema.find("watts_per_core")->default_value), 10.0);
  EXPECT_EQ(std::get<double>(*schema.find("idle_watts")->default_value), 0.0);
}

TEST(Plugin, CreatesMetersThatReadTheirOptions) {
  TempTree tree;
  tree.write("/proc/stat", "cpu  100 0 0 1000 0 0 0 0 0 0\n");
  tree.write("/sys/class/powercap/intel-rapl:0/name", "package-0\n");
  tree.write("/sys/class/powercap/intel-rapl:0/energy_uj", "1000\n");
  tree.write("/sys/class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");

  auto estimate = create("estimate", {{"root", tree.root()}, {"watts_per_core", 4.0}});
  EXPECT_EQ(estimate->open().method,
            "estimate: busy core-seconds from /proc/stat x 4 W per core + 0 W idle");
  auto rapl = create("rapl", {{"root", tree.root()}});
  EXPECT_EQ(rapl->open().domains.at(0).name, "package-0");
  auto chosen = create("auto", {{"root", tree.root()}, {"library", std::string("/none.so")}});
  EXPECT_EQ(chosen->open().method, "rapl: energy counter");

  tree.write("/proc/stat", "cpu  150 0 0 1000 0 0 0 0 0 0\n");
  tree.write("/sys/class/powercap/intel-rapl:0/energy_uj", "3000\n");
  EXPECT_DOUBLE_EQ(estimate->sample(1.0)[0], 0.5 * 4.0);
  EXPECT_EQ(rapl->sample(1.0)[0], 0.002);
  EXPECT_EQ(chosen->sample(1.0)[0], 0.002);
}

}  // namespace
}  // namespace gear::plugins::meters::test

// auto's choice: jetson, then nvml, then rapl, else the estimate (with one warning saying why
// each sensor was skipped), and the chosen meter's readings passed through.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "auto_meter.h"
#include "meter_fixture.h"

namespace gear::plugins::meters::test {
namespace {

constexpr const char* kStat = "cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 100 0 100 1000 0 0 0 0 0 0\n";

void write_rapl(const TempTree& tree) {
  tree.write("/sys/class/powercap/intel-rapl:0/name", "package-0\n");
  tree.write("/sys/class/powercap/intel-rapl:0/energy_uj", "5000000\n");
  tree.write("/sys/class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");
}

void write_jetson(const TempTree& tree) {
  const std::string dir = "/sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1/";
  tree.write(dir + "in1_label", "VDD_IN\n");
  tree.write(dir + "in1_input", "5000\n");
  tree.write(dir + "curr1_input", "1000\n");
}

/// auto under `tree`, with an NVML library that does not exist there, so that a GPU on the
/// machine running the tests cannot be chosen.
AutoOptions options(const TempTree& tree) {
  AutoOptions o;
  o.root = tree.root();
  o.nvml.library = "/nonexistent/libnvidia-ml.so.1";
  return o;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

TEST(Auto, PicksRaplOverTheEstimate) {
  TempTree tree;
  write_rapl(tree);
  tree.write("/proc/stat", kStat);
  AutoMeter meter(options(tree));
  const MeterInfo info = meter.open();
  EXPECT_EQ(meter.chosen(), "rapl");
  EXPECT_EQ(info.method, "rapl: energy counter");
  EXPECT_FALSE(info.estimate);
  ASSERT_EQ(info.domains.size(), 1u);
  EXPECT_EQ(info.domains[0].name, "package-0");
  // A sensor found: the skipped ones are in the log, not warnings.
  EXPECT_TRUE(info.warnings.empty()) << info.warnings[0];
  tree.write("/sys/class/powercap/intel-rapl:0/energy_uj", "5250000\n");
  EXPECT_EQ(meter.sample(1.0), (std::vector<double>{0.25}));
}

TEST(Auto, PicksJetsonOverRapl) {
  TempTree tree;
  write_rapl(tree);
  write_jetson(tree);
  tree.write("/proc/stat", kStat);
  AutoMeter meter(options(tree));
  const MeterInfo info = meter.open();
  EXPECT_EQ(meter.chosen(), "jetson");
  EXPECT_EQ(info.method, "jetson: power sampling");
  EXPECT_TRUE(info.warnings.empty());
  EXPECT_DOUBLE_EQ(meter.sample(2.0)[0], 10.0);  // 5 W for 2 s
}

TEST(Auto, PicksNvmlOverRapl) {
  TempTree tree;
  write_rapl(tree);
  // The library path is taken under root: the fake library is copied to where it would be.
  const auto library = tree.path(GEAR_FAKE_NVML_LIBRARY);
  std::filesystem::create_directories(library.parent_path());
  std::filesystem::copy_file(GEAR_FAKE_NVML_LIBRARY, library);
  tree.write("/fake_nvml.txt", "gpu H200 1000 100000\n");
  setenv("GEAR_FAKE_NVML", tree.path("/fake_nvml.txt").c_str(), 1);
  AutoOptions o = options(tree);
  o.nvml.library = GEAR_FAKE_NVML_LIBRARY;
  AutoMeter meter(o);
  const MeterInfo info = meter.open();
  EXPECT_EQ(meter.chosen(), "nvml");
  EXPECT_EQ(info.method, "nvml: energy counter");
  EXPECT_TRUE(contains(info.source, library.string())) << info.source;
  EXPECT_TRUE(info.warnings.empty());
  tree.write("/fake_nvml.txt", "gpu H200 3500 100000\n");
  EXPECT_EQ(meter.sample(1.0), (std::vector<double>{2.5}));
  unsetenv("GEAR_FAKE_NVML");
}

TEST(Auto, FallsBackToTheEstimateWithOneWarningNamingEverySkippedMeter) {
  TempTree tree;
  tree.write("/proc/stat", kStat);
  AutoMeter meter(options(tree));
  const MeterInfo info = meter.open();
  EXPECT_EQ(meter.chosen(), "estimate");
  EXPECT_TRUE(info.estimate);
  EXPECT_TRUE(starts_with(info.method, "estimate: busy core-seconds")) << info.method;
  ASSERT_EQ(info.domains.size(), 1u);
  EXPECT_EQ(info.domains[0].name, "cpu-estimate");
  // One warning, saying the energy is an estimate and why each sensor was skipped.
  ASSERT_EQ(info.warnings.size(), 1u);
  const std::string& w = info.warnings[0];
  EXPECT_TRUE(starts_with(w, "no power sensor could be read, so energy is estimated (")) << w;
  EXPECT_TRUE(contains(w, "(jetson: ")) << w;
  EXPECT_TRUE(contains(w, ". nvml: ")) << w;
  EXPECT_TRUE(contains(w, "/nonexistent/libnvidia-ml.so.1")) << w;
  EXPECT_TRUE(contains(w, ". rapl: ")) << w;
  EXPECT_TRUE(contains(w, tree.path("/sys/class/powercap").string())) << w;
  EXPECT_FALSE(contains(w, "rapl: rapl:")) << w;  // the meter's own prefix is dropped
  tree.write("/proc/stat", "cpu  150 0 150 1000 0 0 0 0 0 0\n");
  EXPECT_DOUBLE_EQ(meter.sample(1.0)[0], 100 / 100.0 * 10.0);
}

TEST(Auto, ThrowsWhenEvenTheEstimateCannotOpen) {
  TempTree tree;
  try {
    AutoMeter(options(tree)).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "no meter could be opened")) << e.what();
    EXPECT_TRUE(contains(e.what(), " estimate: ")) << e.what();  // the last one tried says why
  }
}

/// On the machine running the tests, whatever it has: some meter opens (the estimate at least,
/// from the real /proc/stat) and its readings never decrease.
TEST(Auto, OpensOnThisMachine) {
  AutoMeter meter(AutoOptions{});
  const MeterInfo info = meter.open();
  std::cout << "auto chose " << meter.chosen() << ": " << info.method << " from " << info.source
            << "\n";
  for (const auto& w : info.warnings) std::cout << "  " << w << "\n";
  ASSERT_FALSE(info.domains.empty());
  EXPECT_TRUE(starts_with(info.method, meter.chosen() + ": ")) << info.method;
  const std::vector<double> first = meter.sample(0.05);
  volatile double sink = 0;
  for (int i = 0; i < 20000000; ++i) sink = sink + i;
  const std::vector<double> second = meter.sample(0.2);
  ASSERT_EQ(first.size(), info.domains.size());
  ASSERT_EQ(second.size(), info.domains.size());
  for (size_t d = 0; d < first.size(); ++d) {
    EXPECT_GE(first[d], 0.0) << info.domains[d].name;
    EXPECT_GE(second[d], first[d]) << info.domains[d].name;
  }
}

}  // namespace
}  // namespace gear::plugins::meters::test

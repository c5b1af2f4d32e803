// The NVML meter through a fake libnvidia-ml (fake_nvml.cpp) whose readings come from a file the
// test rewrites: the millijoule energy counter where it is supported, power sampled and
// integrated by the trapezoid rule where it is not, and the errors of a missing library or of
// no GPU.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "meter_fixture.h"
#include "nvml_meter.h"

namespace gear::plugins::meters::test {
namespace {

/// A fixture file for the fake library, named by GEAR_FAKE_NVML while the object lives.
class FakeNvml {
 public:
  FakeNvml() : file_(tree_.path("/fake_nvml.txt").string()) {
    setenv("GEAR_FAKE_NVML", file_.c_str(), 1);
  }
  ~FakeNvml() { unsetenv("GEAR_FAKE_NVML"); }
  void set(const std::string& text) const { tree_.write("/fake_nvml.txt", text); }

 private:
  TempTree tree_;
  std::string file_;
};

TEST(Nvml, ReadsTheEnergyCounterInMillijoules) {
  FakeNvml fake;
  fake.set("gpu H200 1000000 300000\n");
  NvmlMeter meter("/", NvmlOptions{GEAR_FAKE_NVML_LIBRARY});
  const MeterInfo info = meter.open();
  ASSERT_EQ(info.domains.size(), 1u);
  EXPECT_EQ(info.domains[0].name, "gpu-0");
  EXPECT_TRUE(info.domains[0].in_total);
  EXPECT_EQ(info.method, "energy counter");
  EXPECT_FALSE(info.estimate);
  EXPECT_TRUE(contains(info.source, GEAR_FAKE_NVML_LIBRARY)) << info.source;
  EXPECT_TRUE(contains(info.source, "H200")) << info.source;

  fake.set("gpu H200 1001500 300000\n");
  EXPECT_EQ(meter.sample(1.0), (std::vector<double>{1.5}));
  // The counter, not the power: 300 W over 10 s would be 3000 J.
  fake.set("gpu H200 1002750 300000\n");
  EXPECT_EQ(meter.sample(10.0), (std::vector<double>{2.75}));
  // A failed read keeps the last value.
  fake.set("gpu H200 - 300000\n");
  EXPECT_EQ(meter.sample(11.0), (std::vector<double>{2.75}));
}

TEST(Nvml, IntegratesPowerByTheTrapezoidRuleWithoutACounter) {
  FakeNvml fake;
  fake.set("gpu P100 - 100000\n");
  NvmlMeter meter("/", NvmlOptions{GEAR_FAKE_NVML_LIBRARY});
  const MeterInfo info = meter.open();
  EXPECT_EQ(info.method, "power sampling");
  fake.set("gpu P100 - 200000\n");
  EXPECT_DOUBLE_EQ(meter.sample(1.0)[0], 150.0);  // (100 + 200) / 2 W x 1 s
  fake.set("gpu P100 - 100000\n");
  EXPECT_DOUBLE_EQ(meter.sample(3.0)[0], 150.0 + 300.0);  // (200 + 100) / 2 W x 2 s
}

TEST(Nvml, ADriverWithoutTheEnergyCallSamplesPower) {
  FakeNvml fake;
  fake.set("gpu P100 5000 100000\n");  // a counter the library cannot report
  NvmlMeter meter("/", NvmlOptions{GEAR_FAKE_OLD_NVML_LIBRARY});
  EXPECT_EQ(meter.open().method, "power sampling");
  fake.set("gpu P100 9000 300000\n");
  EXPECT_DOUBLE_EQ(meter.sample(0.5)[0], 100.0);  // (100 + 300) / 2 W x 0.5 s
}

TEST(Nvml, EachGpuTakesItsOwnPath) {
  FakeNvml fake;
  fake.set("gpu V100 5000 50000\ngpu K80 - 60000\n");
  NvmlMeter meter("/", NvmlOptions{GEAR_FAKE_NVML_LIBRARY});
  const MeterInfo info = meter.open();
  ASSERT_EQ(info.domains.size(), 2u);
  EXPECT_EQ(info.domains[1].name, "gpu-1");
  EXPECT_EQ(info.method, "energy counter and power sampling");
  fake.set("gpu V100 9000 50000\ngpu K80 - 80000\n");
  const std::vector<double> joules = meter.sample(2.0);
  EXPECT_DOUBLE_EQ(joules[0], 4.0);
  EXPECT_DOUBLE_EQ(joules[1], 140.0);
}

TEST(Nvml, AMissingLibraryThrowsWithTheLoadersMessage) {
  const std::string library = "/nonexistent/libnvidia-ml.so.1";
  try {
    NvmlMeter("/", NvmlOptions{library}).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), library)) << e.what();
    EXPECT_TRUE(contains(e.what(), "No such file or directory")) << e.what();  // dlerror()
  }
}

TEST(Nvml, NoGpuOrAFailedInitThrows) {
  FakeNvml fake;
  fake.set("");
  try {
    NvmlMeter("/", NvmlOptions{GEAR_FAKE_NVML_LIBRARY}).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "no GPU")) << e.what();
  }
  fake.set("init 9\ngpu H200 1 1\n");
  try {
    NvmlMeter("/", NvmlOptions{GEAR_FAKE_NVML_LIBRARY}).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "nvmlInit_v2")) << e.what();
  }
}

}  // namespace
}  // namespace gear::plugins::meters::test

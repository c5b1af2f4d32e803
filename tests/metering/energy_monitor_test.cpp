// The host's side of metering: spans and totals against their definition, the fallback to the
// estimate meter, a meter that breaks mid-run, group statistics and the per-stage memory reset.
#include "gear/host/energy_monitor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "gear/host/stage_memory.h"
#include "gear/host/toml_config.h"
#include "gear/options.h"

namespace gear::host {
namespace {

// Draws power at a known rate per domain: joules = watts * seconds, as the host's clock says.
class RampMeter : public PowerMeter {
 public:
  explicit RampMeter(const Config&) {}
  static OptionSchema schema() { return OptionSchema().add_string("root", "/", "fixture root"); }
  MeterInfo open() override {
    MeterInfo info;
    info.domains = {{"package-0", true}, {"dram-0", true}, {"psys", false}};
    info.method = "energy counter";
    return info;
  }
  std::vector<double> sample(double seconds) override {
    return {3.0 * seconds, 1.0 * seconds, 5.0 * seconds};
  }
};

class UnreadableMeter : public PowerMeter {
 public:
  explicit UnreadableMeter(const Config&) {}
  static OptionSchema schema() { return OptionSchema().add_string("root", "/", "fixture root"); }
  MeterInfo open() override { throw std::runtime_error("no /sys/class/powercap zones"); }
  std::vector<double> sample(double) override { return {}; }
};

// Stands in for the estimate meter; records the root it was given.
class FakeEstimate : public PowerMeter {
 public:
  explicit FakeEstimate(const Config& options) { root = options.get<std::string>("root"); }
  static OptionSchema schema() { return OptionSchema().add_string("root", "/", "fixture root"); }
  MeterInfo open() override {
    MeterInfo info;
    info.domains = {{"cpu-estimate", true}};
    info.estimate = true;
    info.method = "estimate";
    last_root = root;
    return info;
  }
  std::vector<double> sample(double seconds) override { return {10.0 * seconds}; }
  std::string root;
  static inline std::string last_root;
};

// Works for `good` samples, then throws.
class BreakingMeter : public PowerMeter {
 public:
  explicit BreakingMeter(const Config&) {}
  static OptionSchema schema() { return OptionSchema(); }
  MeterInfo open() override {
    MeterInfo info;
    info.domains = {{"gpu-0", true}};
    return info;
  }
  std::vector<double> sample(double) override {
    if (++calls_ > 2) throw std::runtime_error("sensor gone");
    return {static_cast<double>(calls_)};
  }

 private:
  int calls_ = 0;
};

Registry& meters() {
  static Registry registry = [] {
    Registry r;
    r.add<PowerMeter, RampMeter>("ramp", "test");
    r.add<PowerMeter, UnreadableMeter>("unreadable", "test");
    r.add<PowerMeter, FakeEstimate>("estimate", "test");
    r.add<PowerMeter, BreakingMeter>("breaking", "test");
    return r;
  }();
  return registry;
}

Pipeline pipeline_with(const std::string& meter, const std::string& root = "/") {
  Pipeline p;
  toml::table table;
  if (meter != "breaking") table.insert("root", root);
  OptionSchema schema = meters().find(meter)->info.schema;
  schema.merge(meter_schema());
  p.meter = config_from_table(table, "meter", schema, "p.toml");
  p.power_meter = {meter, p.meter};
  p.meter_settings = meter_binder().read(p.meter);
  return p;
}

TEST(EnergySpan, TotalAddsOnlyDomainsInTheTotal) {
  MeterInfo info;
  info.domains = {{"package-0", true}, {"dram-0", true}, {"psys", false}};
  const EnergySpan span = energy_between({1.0, {10.0, 2.0, 50.0}}, {3.0, {16.0, 3.0, 70.0}}, info);
  EXPECT_DOUBLE_EQ(span.seconds, 2.0);
  ASSERT_EQ(span.joules.size(), 3u);
  EXPECT_DOUBLE_EQ(span.joules[0], 6.0);
  EXPECT_DOUBLE_EQ(span.joules[1], 1.0);
  EXPECT_DOUBLE_EQ(span.joules[2], 20.0);
  EXPECT_DOUBLE_EQ(span.total_joules, 7.0);  // psys contains the others
  EXPECT_DOUBLE_EQ(span.mean_watts(), 3.5);
}

TEST(EnergyMonitor, ReadingsFollowTheHostClock) {
  auto monitor = EnergyMonitor::open(pipeline_with("ramp"), meters());
  ASSERT_TRUE(monitor);
  EXPECT_EQ(monitor->name(), "ramp");
  const EnergyReading a = monitor->read();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const EnergyReading b = monitor->read();
  const EnergySpan span = energy_between(a, b, monitor->info());
  EXPECT_GE(span.seconds, 0.025);
  // 3 W + 1 W in the total, psys (5 W) outside it.
  EXPECT_NEAR(span.total_joules, 4.0 * span.seconds, 1e-9);
  EXPECT_NEAR(span.mean_watts(), 4.0, 1e-9);
  const nlohmann::json fields = monitor->fields(span, true);
  EXPECT_NEAR(fields["energy"]["psys"].get<double>(), 5.0 * span.seconds, 1e-9);
  EXPECT_FALSE(fields["energy_estimated"].get<bool>());
  const nlohmann::json described = monitor->describe();
  EXPECT_EQ(described["domains"].size(), 3u);
  EXPECT_FALSE(described["domains"][2]["in_total"].get<bool>());
  EXPECT_DOUBLE_EQ(described["period_ms"].get<double>(), 100.0);
}

TEST(EnergyMonitor, UnreadableMeterFallsBackToTheEstimateWithItsRoot) {
  FakeEstimate::last_root.clear();
  auto monitor = EnergyMonitor::open(pipeline_with("unreadable", "/fixture/tree"), meters());
  ASSERT_TRUE(monitor);
  EXPECT_EQ(monitor->name(), "estimate");
  EXPECT_TRUE(monitor->info().estimate);
  EXPECT_EQ(FakeEstimate::last_root, "/fixture/tree");
  ASSERT_FALSE(monitor->info().warnings.empty());
  EXPECT_NE(monitor->info().warnings[0].find("unreadable"), std::string::npos);
  EXPECT_NE(monitor->info().warnings[0].find("no /sys/class/powercap zones"), std::string::npos);
  EXPECT_TRUE(monitor->describe()["estimate"].get<bool>());
}

TEST(EnergyMonitor, NoneIsNotMetered) {
  Pipeline p;
  p.meter = config_from_table(toml::table{}, "meter", meter_schema(), "p.toml");
  p.power_meter = {"none", p.meter};
  EXPECT_EQ(EnergyMonitor::open(p, meters()), nullptr);
}

TEST(EnergyMonitor, MeterThatBreaksKeepsItsLastReading) {
  Pipeline p = pipeline_with("breaking");
  auto monitor = EnergyMonitor::open(p, meters());
  ASSERT_TRUE(monitor);
  monitor->read();                          // second sample (the first is at open)
  const EnergyReading a = monitor->read();  // third: throws, keeps 2
  const EnergyReading b = monitor->read();
  EXPECT_DOUBLE_EQ(a.joules.at(0), 2.0);
  EXPECT_DOUBLE_EQ(b.joules.at(0), 2.0);
  EXPECT_GE(b.seconds, a.seconds);
}

TEST(StageMemory, ResetForgetsAnEarlierPeak) {
  ASSERT_TRUE(reset_peak_memory(torch::kCPU));
  const int64_t base = peak_memory(torch::kCPU, true).bytes;
  ASSERT_GT(base, 0);
  {
    // 256 MiB touched page by page: the resident high-water mark must rise by about that.
    std::vector<char> big(256ull << 20);
    for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i);
    volatile char sink = big[big.size() / 2];
    (void)sink;
    EXPECT_GE(peak_memory(torch::kCPU, true).bytes, base + (200ll << 20));
  }
  ASSERT_TRUE(reset_peak_memory(torch::kCPU));
  EXPECT_LT(peak_memory(torch::kCPU, true).bytes, base + (100ll << 20));
  // The process's lifetime peak survives the reset that lowers the kernel's own figure.
  EXPECT_GE(process_peak_rss_bytes(), base + (200ll << 20));
}

}  // namespace
}  // namespace gear::host

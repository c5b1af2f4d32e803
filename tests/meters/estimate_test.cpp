// The CPU-time estimate against two /proc/stat snapshots of known jiffies: busy is user + nice +
// system + irq + softirq + steal (not idle, iowait or guest, which user already holds), over
// USER_HZ, times watts per core, plus idle watts times the elapsed time.
#include <gtest/gtest.h>

#include <string>

#include "estimate_meter.h"
#include "meter_fixture.h"

namespace gear::plugins::meters::test {
namespace {

// Fields: user nice system idle iowait irq softirq steal guest guest_nice.
constexpr const char* kFirst =
    "cpu  1000 20 300 50000 100 5 15 0 0 0\n"
    "cpu0 500 10 150 25000 50 3 7 0 0 0\n"
    "cpu1 500 10 150 25000 50 2 8 0 0 0\n"
    "intr 123456 0 0\nctxt 98765\nbtime 1700000000\nprocesses 4321\n";
// Busy +188 jiffies: user +150, system +30, softirq +5, steal +3; idle +100, iowait +800 and
// guest +7 (already in user) must not count.
constexpr const char* kSecond =
    "cpu  1150 20 330 50100 900 5 20 3 7 0\n"
    "cpu0 600 10 160 25050 450 3 10 1 7 0\n"
    "cpu1 550 10 170 25050 450 2 10 2 0 0\n"
    "intr 123999 0 0\nctxt 99999\n";

TEST(Estimate, BusyCoreSecondsTimesWattsPerCorePlusIdleWatts) {
  TempTree tree;
  tree.write("/proc/stat", kFirst);
  EstimateMeter meter(tree.root(), EstimateOptions{100, 10.0, 2.0});
  const MeterInfo info = meter.open();
  ASSERT_EQ(info.domains.size(), 1u);
  EXPECT_EQ(info.domains[0].name, "cpu-estimate");
  EXPECT_TRUE(info.domains[0].in_total);
  EXPECT_TRUE(info.estimate);
  EXPECT_EQ(info.method, "estimate: busy core-seconds from /proc/stat x 10 W per core + 2 W idle");
  EXPECT_TRUE(contains(info.source, tree.path("/proc/stat").string())) << info.source;
  EXPECT_TRUE(contains(info.source, "2 cores")) << info.source;

  tree.write("/proc/stat", kSecond);
  EXPECT_DOUBLE_EQ(meter.sample(2.0)[0], 188 / 100.0 * 10.0 + 2.0 * 2.0);
  // No new busy time: only the idle power adds.
  EXPECT_DOUBLE_EQ(meter.sample(5.0)[0], 188 / 100.0 * 10.0 + 2.0 * 5.0);
}

TEST(Estimate, DefaultsAndTheClockRate) {
  TempTree tree;
  tree.write("/proc/stat", kFirst);
  EstimateMeter meter(tree.root(), EstimateOptions{});
  EXPECT_EQ(meter.open().method,
            "estimate: busy core-seconds from /proc/stat x 10 W per core + 0 W idle");
  tree.write("/proc/stat", kSecond);
  EXPECT_DOUBLE_EQ(meter.sample(1.0)[0], 18.8);

  tree.write("/proc/stat", kFirst);
  EstimateMeter fast(tree.root(), EstimateOptions{250, 2.5, 0.0});
  EXPECT_EQ(fast.open().method,
            "estimate: busy core-seconds from /proc/stat x 2.5 W per core + 0 W idle");
  tree.write("/proc/stat", kSecond);
  EXPECT_DOUBLE_EQ(fast.sample(1.0)[0], 188 / 250.0 * 2.5);
}

TEST(Estimate, PerCoreLinesStandInForAMissingAggregate) {
  const auto both = EstimateMeter::parse_proc_stat(kFirst);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->jiffies, 1340u);
  EXPECT_EQ(both->cores, 2);
  const auto cores_only = EstimateMeter::parse_proc_stat(
      "cpu0 500 10 150 25000 50 3 7 0 0 0\ncpu1 500 10 150 25000 50 2 8 1 0 0\n");
  ASSERT_TRUE(cores_only);
  EXPECT_EQ(cores_only->jiffies, 1341u);
  EXPECT_FALSE(EstimateMeter::parse_proc_stat("intr 1 2 3\nctxt 5\n"));
}

TEST(Estimate, AnUnreadableStatKeepsTheLastValueAndAMissingOneThrows) {
  TempTree tree;
  tree.write("/proc/stat", kFirst);
  EstimateMeter meter(tree.root(), EstimateOptions{});
  meter.open();
  tree.write("/proc/stat", kSecond);
  const double joules = meter.sample(1.0)[0];
  tree.write("/proc/stat", "");
  EXPECT_EQ(meter.sample(2.0)[0], joules);

  TempTree empty;
  try {
    EstimateMeter(empty.root(), EstimateOptions{}).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), empty.path("/proc/stat").string())) << e.what();
  }
}

}  // namespace
}  // namespace gear::plugins::meters::test

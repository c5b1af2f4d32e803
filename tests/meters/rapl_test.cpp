// The RAPL meter on powercap trees laid out as the kernel exposes them: joules are microjoule
// deltas over 1e6, core sub-zones left out, psys outside the total, counter wraps unwrapped,
// unreadable zones warned about while the others are read, and no zone at all an error.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "meter_fixture.h"
#include "rapl_meter.h"

namespace gear::plugins::meters::test {
namespace {

constexpr const char* kPowercap = "/sys/class/powercap";
/// max_energy_range_uj of a typical package zone.
constexpr uint64_t kMaxRange = 262143328850;

std::string zone(const std::string& name) { return std::string(kPowercap) + "/" + name; }

void write_zone(const TempTree& tree, const std::string& dir, const std::string& name,
                uint64_t energy_uj, uint64_t max_range = kMaxRange) {
  tree.write(zone(dir) + "/name", name + "\n");
  tree.write(zone(dir) + "/energy_uj", std::to_string(energy_uj) + "\n");
  tree.write(zone(dir) + "/max_energy_range_uj", std::to_string(max_range) + "\n");
  tree.write(zone(dir) + "/enabled", "1\n");
}

void set_energy(const TempTree& tree, const std::string& dir, uint64_t energy_uj) {
  tree.write(zone(dir) + "/energy_uj", std::to_string(energy_uj) + "\n");
}

/// Two packages with DRAM, a core sub-zone (inside its package), psys (containing the packages)
/// and an MMIO zone repeating package 0, as on a two-socket machine with a platform zone.
void write_two_socket_tree(const TempTree& tree) {
  tree.write(zone("intel-rapl") + "/enabled", "1\n");  // the control type, not a zone
  write_zone(tree, "intel-rapl:0", "package-0", 1000000);
  write_zone(tree, "intel-rapl:0:0", "core", 400000);
  write_zone(tree, "intel-rapl:0:1", "dram", 50000, 65712999613);
  write_zone(tree, "intel-rapl:1", "package-1", 7000000);
  write_zone(tree, "intel-rapl:1:0", "dram", 80000, 65712999613);
  write_zone(tree, "intel-rapl:2", "psys", 9000000);
  write_zone(tree, "intel-rapl-mmio:0", "package-0", 123);
}

TEST(Rapl, ReadsPackagesDramAndPsysAsMicrojouleDeltas) {
  TempTree tree;
  write_two_socket_tree(tree);
  RaplMeter meter(tree.root());
  const MeterInfo info = meter.open();
  EXPECT_EQ(domain_names(info),
            (std::vector<std::string>{"package-0", "dram-0", "package-1", "dram-1", "psys"}));
  for (const auto& d : info.domains) EXPECT_EQ(d.in_total, d.name != "psys") << d.name;
  EXPECT_EQ(info.method, "energy counter");
  EXPECT_EQ(info.source, tree.path(kPowercap).string());
  EXPECT_FALSE(info.estimate);
  EXPECT_TRUE(info.warnings.empty());

  EXPECT_EQ(meter.sample(0.0), (std::vector<double>{0, 0, 0, 0, 0}));
  set_energy(tree, "intel-rapl:0", 1000000 + 1234567);
  set_energy(tree, "intel-rapl:0:0", 400000 + 999999);  // ignored: inside package-0
  set_energy(tree, "intel-rapl:0:1", 50000 + 33);
  set_energy(tree, "intel-rapl:1", 7000000 + 2500001);
  set_energy(tree, "intel-rapl:1:0", 80000 + 777777);
  set_energy(tree, "intel-rapl:2", 9000000 + 5000000);
  EXPECT_EQ(meter.sample(0.1),
            (std::vector<double>{1234567 / 1e6, 33 / 1e6, 2500001 / 1e6, 777777 / 1e6, 5.0}));
  // Cumulative since open(), not since the last sample.
  set_energy(tree, "intel-rapl:0", 1000000 + 1234567 + 1000);
  EXPECT_EQ(meter.sample(0.2)[0], (1234567 + 1000) / 1e6);
}

TEST(Rapl, UnwrapsACounterThatPassedItsRange) {
  TempTree tree;
  write_zone(tree, "intel-rapl:0", "package-0", kMaxRange - 328850);
  RaplMeter meter(tree.root());
  meter.open();
  // Wrapped: 328850 µJ up to the range, then 500000 from 0.
  set_energy(tree, "intel-rapl:0", 500000);
  EXPECT_EQ(meter.sample(1.0), (std::vector<double>{828850 / 1e6}));
  // And counting on normally after the wrap.
  set_energy(tree, "intel-rapl:0", 600000);
  EXPECT_EQ(meter.sample(2.0), (std::vector<double>{928850 / 1e6}));
}

TEST(Rapl, LeavesOutAnUnreadableZoneWithAWarningAndReadsTheOthers) {
  TempTree tree;
  write_two_socket_tree(tree);
  // As root every file can be read, so unreadable is a directory where the file should be...
  std::filesystem::remove(tree.path(zone("intel-rapl:1") + "/energy_uj"));
  std::filesystem::create_directory(tree.path(zone("intel-rapl:1") + "/energy_uj"));
  // ...and a file that holds no number.
  tree.write(zone("intel-rapl:1:0") + "/energy_uj", "garbage\n");
  RaplMeter meter(tree.root());
  const MeterInfo info = meter.open();
  EXPECT_EQ(domain_names(info), (std::vector<std::string>{"package-0", "dram-0", "psys"}));
  ASSERT_EQ(info.warnings.size(), 2u);
  const std::string package_file = tree.path(zone("intel-rapl:1") + "/energy_uj").string();
  const std::string dram_file = tree.path(zone("intel-rapl:1:0") + "/energy_uj").string();
  EXPECT_TRUE(contains(info.warnings[0], package_file)) << info.warnings[0];
  EXPECT_TRUE(contains(info.warnings[0], "package-1")) << info.warnings[0];
  EXPECT_TRUE(contains(info.warnings[0], "is a directory")) << info.warnings[0];
  EXPECT_TRUE(contains(info.warnings[1], dram_file)) << info.warnings[1];
  EXPECT_TRUE(contains(info.warnings[1], "does not hold a number")) << info.warnings[1];
  for (const auto& w : info.warnings) EXPECT_EQ(w.back(), '.') << w;

  set_energy(tree, "intel-rapl:0", 1000000 + 42);
  EXPECT_EQ(meter.sample(1.0)[0], 42 / 1e6);
}

TEST(Rapl, AZoneThatStopsBeingReadableKeepsItsLastValue) {
  TempTree tree;
  write_two_socket_tree(tree);
  RaplMeter meter(tree.root());
  meter.open();
  set_energy(tree, "intel-rapl:0", 1000000 + 1500);
  set_energy(tree, "intel-rapl:1", 7000000 + 2500);
  ASSERT_EQ(meter.sample(1.0)[2], 2500 / 1e6);
  tree.write(zone("intel-rapl:1") + "/energy_uj", "");
  set_energy(tree, "intel-rapl:0", 1000000 + 3000);
  const std::vector<double> joules = meter.sample(2.0);
  EXPECT_EQ(joules[0], 3000 / 1e6);
  EXPECT_EQ(joules[2], 2500 / 1e6);
  // Readable again: the delta from the last good reading counts.
  set_energy(tree, "intel-rapl:1", 7000000 + 4000);
  EXPECT_EQ(meter.sample(3.0)[2], 4000 / 1e6);
}

/// The real case: energy_uj is mode 0400 root (Linux 5.10+) and the run is not root. Run in a
/// child that drops to nobody when the tests run as root.
TEST(Rapl, APermissionDeniedZoneWarnsWithTheFix) {
  TempTree tree;
  write_two_socket_tree(tree);
  const std::string file = tree.path(zone("intel-rapl:1") + "/energy_uj").string();
  std::filesystem::permissions(file, std::filesystem::perms::none);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(10);
    try {
      RaplMeter meter(tree.root());
      const MeterInfo info = meter.open();
      if (info.domains.size() != 4) _exit(11);
      if (info.warnings.size() != 1) _exit(12);
      const std::string& w = info.warnings[0];
      if (!contains(w, file) || !contains(w, "Permission denied")) _exit(13);
      if (!contains(w, "run as root") || !contains(w, "chmod a+r")) _exit(14);
    } catch (...) {
      _exit(15);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 10) GTEST_SKIP() << "cannot drop to an unprivileged user";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failed check " << WEXITSTATUS(status);
}

TEST(Rapl, NoZoneThrowsNamingTheFolder) {
  TempTree tree;
  const std::string folder = tree.path(kPowercap).string();
  try {
    RaplMeter(tree.root()).open();
    FAIL() << "no powercap folder: expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), folder)) << e.what();
  }
  // The folder exists but holds no RAPL zone (another control type only).
  tree.write(zone("dtpm") + "/enabled", "1\n");
  try {
    RaplMeter(tree.root()).open();
    FAIL() << "no zone: expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), folder)) << e.what();
  }
  // Zones, none readable.
  tree.write(zone("intel-rapl:0") + "/name", "package-0\n");
  tree.write(zone("intel-rapl:0") + "/energy_uj", "x\n");
  try {
    RaplMeter(tree.root()).open();
    FAIL() << "no readable zone: expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), folder)) << e.what();
  }
}

}  // namespace
}  // namespace gear::plugins::meters::test

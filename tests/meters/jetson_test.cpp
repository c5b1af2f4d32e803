// The Jetson meter on INA3221 trees laid out as L4T exposes them (the ina3221x IIO driver of
// L4T 32 and the hwmon driver of L4T 35+), and on tegrastats logs of both formats: power
// sampled and integrated by the trapezoid rule, VDD_IN alone in the total when it exists.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jetson_meter.h"
#include "meter_fixture.h"

namespace gear::plugins::meters::test {
namespace {

/// Xavier NX, L4T 32: one monitor at 7-0040 (I2C bus 7, address 0x40).
constexpr const char* kIio = "/sys/bus/i2c/drivers/ina3221x/7-0040/iio:device0";
/// Orin Nano / NX, L4T 35: one monitor at 1-0040, hwmon device 3.
constexpr const char* kHwmon = "/sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3";

std::string at(const char* dir, const std::string& file) { return std::string(dir) + "/" + file; }

void write_iio_channel(const TempTree& tree, int c, const std::string& rail, int mv, int ma,
                       bool with_power = true) {
  const std::string n = std::to_string(c);
  tree.write(at(kIio, "rail_name_" + n), rail + "\n");
  tree.write(at(kIio, "in_voltage" + n + "_input"), std::to_string(mv) + "\n");
  tree.write(at(kIio, "in_current" + n + "_input"), std::to_string(ma) + "\n");
  if (with_power) tree.write(at(kIio, "in_power" + n + "_input"), std::to_string(mv * ma / 1000));
}

void set_iio_power(const TempTree& tree, int c, int mw) {
  tree.write(at(kIio, "in_power" + std::to_string(c) + "_input"), std::to_string(mw) + "\n");
}

void write_hwmon_channel(const TempTree& tree, const char* dir, int c, const std::string& label,
                         int mv, int ma) {
  const std::string n = std::to_string(c);
  tree.write(at(dir, "in" + n + "_label"), label + "\n");
  tree.write(at(dir, "in" + n + "_enable"), "1\n");
  tree.write(at(dir, "in" + n + "_input"), std::to_string(mv) + "\n");
  tree.write(at(dir, "curr" + n + "_input"), std::to_string(ma) + "\n");
  tree.write(at(dir, "curr" + n + "_max"), "32760\n");
  tree.write(at(dir, "shunt" + n + "_resistor"), "5000\n");
  // The shunt voltage of channel c is in<c+3>, with no label and no current.
  tree.write(at(dir, "in" + std::to_string(c + 3) + "_input"), "1250\n");
}

/// Orin's hwmon tree: three labelled channels, the shunt-voltage sum in7 (a label, no current)
/// and curr4, the sum of currents.
void write_orin_tree(const TempTree& tree) {
  tree.write("/sys/bus/i2c/drivers/ina3221/uevent", "");
  tree.write("/sys/bus/i2c/drivers/ina3221/bind", "");
  tree.write(at(kHwmon, "name"), "ina3221\n");
  tree.write(at(kHwmon, "update_interval"), "2\n");
  write_hwmon_channel(tree, kHwmon, 1, "VDD_IN", 5000, 1000);
  write_hwmon_channel(tree, kHwmon, 2, "VDD_CPU_GPU_CV", 4992, 125);
  write_hwmon_channel(tree, kHwmon, 3, "VDD_SOC", 4992, 250);
  tree.write(at(kHwmon, "in7_label"), "sum of shunt voltages\n");
  tree.write(at(kHwmon, "in7_input"), "3750\n");
  tree.write(at(kHwmon, "curr4_input"), "1375\n");
}

void set_hwmon(const TempTree& tree, const char* dir, int c, int mv, int ma) {
  const std::string n = std::to_string(c);
  tree.write(at(dir, "in" + n + "_input"), std::to_string(mv) + "\n");
  tree.write(at(dir, "curr" + n + "_input"), std::to_string(ma) + "\n");
}

/// Trapezoid-rule joules of milliwatt readings `mw` at times `t`.
double trapezoid(const std::vector<double>& t, const std::vector<double>& mw) {
  double joules = 0;
  for (size_t i = 1; i < t.size(); ++i)
    joules += (mw[i - 1] + mw[i]) / 2 / 1000 * (t[i] - t[i - 1]);
  return joules;
}

TEST(Jetson, XavierIioRailsIntegrateMilliwattsByTheTrapezoidRule) {
  TempTree tree;
  write_iio_channel(tree, 0, "VDD_IN", 5000, 1000);         // 5000 mW
  write_iio_channel(tree, 1, "VDD_CPU_GPU_CV", 5000, 300);  // 1500 mW
  write_iio_channel(tree, 2, "VDD_SOC", 5000, 400, false);  // no in_power: 5000 mV x 400 mA
  JetsonMeter meter(tree.root(), {});
  const MeterInfo info = meter.open();
  EXPECT_EQ(domain_names(info), (std::vector<std::string>{"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  EXPECT_EQ(info.method, "power sampling");
  EXPECT_TRUE(contains(info.source, "iio:device0")) << info.source;
  // VDD_IN is the board's input: the other rails are inside it.
  EXPECT_TRUE(info.domains[0].in_total);
  EXPECT_FALSE(info.domains[1].in_total);
  EXPECT_FALSE(info.domains[2].in_total);

  set_iio_power(tree, 0, 6000);
  set_iio_power(tree, 1, 2500);
  tree.write(at(kIio, "in_current2_input"), "600\n");  // 3000 mW
  std::vector<double> joules = meter.sample(0.5);
  set_iio_power(tree, 0, 4000);
  set_iio_power(tree, 1, 500);
  tree.write(at(kIio, "in_voltage2_input"), "4000\n");  // 2400 mW
  joules = meter.sample(2.0);
  EXPECT_DOUBLE_EQ(joules[0], trapezoid({0, 0.5, 2}, {5000, 6000, 4000}));
  EXPECT_DOUBLE_EQ(joules[0], 10.25);  // 5.5 W x 0.5 s + 5 W x 1.5 s
  EXPECT_DOUBLE_EQ(joules[1], trapezoid({0, 0.5, 2}, {1500, 2500, 500}));
  EXPECT_DOUBLE_EQ(joules[2], trapezoid({0, 0.5, 2}, {2000, 3000, 2400}));
}

TEST(Jetson, OrinHwmonRailsArePowerFromMillivoltsTimesMilliamps) {
  TempTree tree;
  write_orin_tree(tree);
  JetsonMeter meter(tree.root(), {});
  const MeterInfo info = meter.open();
  // in4..in7 (shunt voltages, their sum) are not rails.
  EXPECT_EQ(domain_names(info), (std::vector<std::string>{"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  EXPECT_TRUE(info.domains[0].in_total);
  EXPECT_FALSE(info.domains[1].in_total);
  EXPECT_FALSE(info.domains[2].in_total);
  EXPECT_TRUE(contains(info.source, "hwmon3")) << info.source;

  set_hwmon(tree, kHwmon, 1, 5008, 1500);  // 7512 mW
  set_hwmon(tree, kHwmon, 2, 4992, 375);   // 1872 mW
  std::vector<double> joules = meter.sample(1.0);
  EXPECT_DOUBLE_EQ(joules[0], trapezoid({0, 1}, {5000, 7512}));
  EXPECT_DOUBLE_EQ(joules[0], 6.256);
  set_hwmon(tree, kHwmon, 1, 5000, 800);  // 4000 mW
  joules = meter.sample(4.0);
  EXPECT_DOUBLE_EQ(joules[0], trapezoid({0, 1, 4}, {5000, 7512, 4000}));
  EXPECT_DOUBLE_EQ(joules[1], trapezoid({0, 1, 4}, {624, 1872, 1872}));
  EXPECT_DOUBLE_EQ(joules[2], trapezoid({0, 1, 4}, {1248, 1248, 1248}));
}

TEST(Jetson, WithoutVddInEveryRailCountsAndNcOrDisabledChannelsAreLeftOut) {
  // AGX Orin: two monitors, no VDD_IN; 1-0041 has two unconnected channels, one disabled.
  TempTree tree;
  const char* first = "/sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon2";
  const char* second = "/sys/bus/i2c/drivers/ina3221/1-0041/hwmon/hwmon4";
  write_hwmon_channel(tree, first, 1, "VDD_GPU_SOC", 5000, 600);
  write_hwmon_channel(tree, first, 2, "VDD_CPU_CV", 5000, 200);
  write_hwmon_channel(tree, first, 3, "VIN_SYS_5V0", 5000, 700);
  write_hwmon_channel(tree, second, 1, "NC", 0, 0);
  write_hwmon_channel(tree, second, 2, "VDDQ_VDD2_1V8AO", 5000, 100);
  write_hwmon_channel(tree, second, 3, "VDD_DISABLED", 0, 0);
  tree.write(at(second, "in3_enable"), "0\n");
  JetsonMeter meter(tree.root(), {});
  const MeterInfo info = meter.open();
  EXPECT_EQ(domain_names(info), (std::vector<std::string>{"VDD_GPU_SOC", "VDD_CPU_CV",
                                                          "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"}));
  for (const auto& d : info.domains) EXPECT_TRUE(d.in_total) << d.name;
}

TEST(Jetson, ARailThatStopsBeingReadableKeepsItsLastValue) {
  TempTree tree;
  write_orin_tree(tree);
  JetsonMeter meter(tree.root(), {});
  meter.open();
  const double before = meter.sample(1.0)[1];
  tree.write(at(kHwmon, "curr2_input"), "not a number\n");
  const std::vector<double> joules = meter.sample(2.0);
  EXPECT_EQ(joules[1], before);
  EXPECT_DOUBLE_EQ(joules[0], 5.0 * 2);  // the others go on
}

TEST(Jetson, NoRailThrowsNamingBothDriverFolders) {
  TempTree tree;
  try {
    JetsonMeter(tree.root(), {}).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), tree.path("/sys/bus/i2c/drivers/ina3221x").string()))
        << e.what();
    EXPECT_TRUE(contains(e.what(), tree.path("/sys/bus/i2c/drivers/ina3221").string())) << e.what();
  }
}

constexpr const char* kXavierLine =
    "RAM 2448/7765MB (lfb 1x2MB) SWAP 0/3882MB (cached 0MB) CPU [2%@1190,0%@1190,off,off] "
    "EMC_FREQ 0% GR3D_FREQ 0% AO@41C GPU@41.5C PMIC@100C VDD_IN 4545/4102 VDD_CPU_GPU_CV "
    "490/512 VDD_SOC 1265/1200";
constexpr const char* kOrinLine =
    "04-18-2023 14:30:01 RAM 2130/7620MB (lfb 1218x4MB) SWAP 0/3810MB (cached 0MB) CPU "
    "[1%@729,0%@729,0%@729,2%@729,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] VIC_FREQ 729 "
    "APE 200 CV0@45.5C CPU@47.343C SOC2@46.5C VDD_IN 5012mW/4990mW VDD_CPU_GPU_CV 592mW/601mW "
    "VDD_SOC 1421mW/1400mW";

TEST(Jetson, ParsesTheRailsOfBothTegrastatsFormatsTakingTheCurrentReading) {
  for (const char* line : {kXavierLine, kOrinLine}) {
    const auto rails = JetsonMeter::parse_tegrastats_line(line);
    ASSERT_EQ(rails.size(), 3u) << line;
    EXPECT_EQ(rails[0].name, "VDD_IN");
    EXPECT_EQ(rails[1].name, "VDD_CPU_GPU_CV");
    EXPECT_EQ(rails[2].name, "VDD_SOC");
  }
  const auto xavier = JetsonMeter::parse_tegrastats_line(kXavierLine);
  EXPECT_EQ(xavier[0].milliwatts, 4545);
  EXPECT_EQ(xavier[1].milliwatts, 490);
  EXPECT_EQ(xavier[2].milliwatts, 1265);
  const auto orin = JetsonMeter::parse_tegrastats_line(kOrinLine);
  EXPECT_EQ(orin[0].milliwatts, 5012);
  EXPECT_EQ(orin[1].milliwatts, 592);
  EXPECT_EQ(orin[2].milliwatts, 1421);
  // A Nano's rails, and nothing in a line without rails.
  const auto nano = JetsonMeter::parse_tegrastats_line(
      "RAM 1000/3964MB CPU [5%@102,off,off,off] POM_5V_IN 2449/2449 POM_5V_GPU 0/0 POM_5V_CPU "
      "408/408");
  ASSERT_EQ(nano.size(), 3u);
  EXPECT_EQ(nano[0].name, "POM_5V_IN");
  EXPECT_EQ(nano[2].milliwatts, 408);
  EXPECT_TRUE(JetsonMeter::parse_tegrastats_line("RAM 2448/7765MB SWAP 0/3882MB").empty());
}

TEST(Jetson, ATegrastatsLogIsReadFromItsLastCompleteLine) {
  TempTree tree;
  const std::string log = tree.path("/tegrastats.log").string();
  tree.write("/tegrastats.log",
             std::string(kOrinLine) + "\n" +
                 "04-18-2023 14:30:02 RAM 2130/7620MB VDD_IN 6000mW/5000mW VDD_CPU_GPU_CV "
                 "1000mW/601mW VDD_SOC 1500mW/1400mW\n" +
                 "04-18-2023 14:30:03 RAM 2130/7620MB VDD_IN 9999");  // being written
  JetsonMeter meter("/", JetsonOptions{log});
  const MeterInfo info = meter.open();
  EXPECT_EQ(domain_names(info), (std::vector<std::string>{"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  EXPECT_TRUE(info.domains[0].in_total);
  EXPECT_FALSE(info.domains[1].in_total);
  EXPECT_EQ(info.source, log);
  EXPECT_EQ(info.method, "power sampling");

  // The cut line is finished, with other figures than it began with.
  tree.append("/tegrastats.log", "mW/5000mW VDD_CPU_GPU_CV 2000mW/601mW VDD_SOC 500mW/1400mW\n");
  std::vector<double> joules = meter.sample(1.0);
  EXPECT_DOUBLE_EQ(joules[0], trapezoid({0, 1}, {6000, 9999}));
  tree.append("/tegrastats.log", "RAM 2130/7620MB VDD_IN 4545/4545 VDD_SOC 1000/1000\n");
  joules = meter.sample(3.0);
  EXPECT_DOUBLE_EQ(joules[0], trapezoid({0, 1, 3}, {6000, 9999, 4545}));
  EXPECT_DOUBLE_EQ(joules[2], trapezoid({0, 1, 3}, {1500, 500, 1000}));
  // VDD_CPU_GPU_CV is missing from the last line: it keeps its last value.
  EXPECT_DOUBLE_EQ(joules[1], trapezoid({0, 1}, {1000, 2000}));
}

TEST(Jetson, AMissingTegrastatsLogThrowsNamingIt) {
  TempTree tree;
  const std::string log = tree.path("/none.log").string();
  try {
    JetsonMeter("/", JetsonOptions{log}).open();
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), log)) << e.what();
  }
}

}  // namespace
}  // namespace gear::plugins::meters::test

#include "jetson_meter.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace gear::plugins::meters {
namespace {

constexpr const char* kIioDriver = "/sys/bus/i2c/drivers/ina3221x";
constexpr const char* kHwmonDriver = "/sys/bus/i2c/drivers/ina3221";
/// The boards' input rails, each containing the module's other rails.
constexpr const char* kInputRails[] = {"VDD_IN", "POM_5V_IN"};
/// How much of the end of a tegrastats log is read to find its last line: lines are well under
/// 1 KiB.
constexpr std::streamoff kTegrastatsTail = 16384;

bool is_input_rail(const std::string& name) {
  for (const char* input : kInputRails)
    if (name == input) return true;
  return false;
}

/// The entries of `dir` whose names start with `prefix`, sorted by name (empty when `dir` cannot
/// be listed).
std::vector<std::filesystem::path> entries_with_prefix(const std::filesystem::path& dir,
                                                       const std::string& prefix) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return out;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The channel numbers c of the files `<prefix><c><suffix>` in `dir`, ascending.
std::vector<int64_t> channels(const std::filesystem::path& dir, const std::string& prefix,
                              const std::string& suffix) {
  std::vector<int64_t> out;
  for (const auto& path : entries_with_prefix(dir, prefix)) {
    const std::string name = path.filename().string();
    if (name.size() <= prefix.size() + suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string digits =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (const auto c = parse_integer(digits)) out.push_back(*c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool file_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

/// Marks the input rail as the only one in the total when there is one.
void set_totals(std::vector<PowerDomain>& domains) {
  const bool has_input = std::any_of(domains.begin(), domains.end(),
                                     [](const PowerDomain& d) { return is_input_rail(d.name); });
  for (PowerDomain& d : domains) d.in_total = !has_input || is_input_rail(d.name);
}

}  // namespace

const OptionBinder<JetsonOptions>& JetsonMeter::binder() {
  static const OptionBinder<JetsonOptions> binder = [] {
    OptionBinder<JetsonOptions> b;
    b.bind("tegrastats", &JetsonOptions::tegrastats,
           "tegrastats log (`tegrastats --logfile F`) to read the rails from instead of sysfs; "
           "empty: sysfs");
    return b;
  }();
  return binder;
}

OptionSchema JetsonMeter::schema() { return root_binder().schema().merge(binder().schema()); }

JetsonMeter::JetsonMeter(const Config& options)
    : JetsonMeter(root_binder().read(options).root, binder().read(options)) {}

JetsonMeter::JetsonMeter(std::string root, JetsonOptions options)
    : root_(std::move(root)), options_(std::move(options)) {}

std::vector<TegrastatsRail> JetsonMeter::parse_tegrastats_line(const std::string& line) {
  static const std::regex kName("[A-Za-z][A-Za-z0-9_]*");
  static const std::regex kValue("([0-9]+)(mW)?/([0-9]+)(mW)?");
  std::vector<std::string> tokens;
  std::istringstream in(line);
  for (std::string token; in >> token;) tokens.push_back(token);
  std::vector<TegrastatsRail> out;
  std::smatch match;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (!std::regex_match(tokens[i], kName) || !std::regex_match(tokens[i + 1], match, kValue))
      continue;
    const auto current = parse_integer(match[1].str());
    if (!current) continue;
    out.push_back({tokens[i], static_cast<double>(*current)});
    ++i;
  }
  return out;
}

std::optional<std::vector<TegrastatsRail>> JetsonMeter::read_tegrastats(std::string* error) const {
  std::ifstream in(options_.tegrastats, std::ios::binary);
  if (!in) {
    *error = "cannot open the tegrastats log " + options_.tegrastats;
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - kTegrastatsTail);
  in.seekg(start);
  std::string tail(static_cast<size_t>(size - start), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  // tegrastats may be half-way through writing the last line: only a line ended by '\n' counts.
  const size_t end = tail.rfind('\n');
  if (end == std::string::npos) {
    *error = "no complete line in the tegrastats log " + options_.tegrastats;
    return std::nullopt;
  }
  size_t line_end = end;
  while (true) {
    const size_t begin = line_end == 0 ? std::string::npos : tail.rfind('\n', line_end - 1);
    const size_t first = begin == std::string::npos ? 0 : begin + 1;
    const std::string line = tail.substr(first, line_end - first);
    if (!trim(line).empty()) {
      // The first line of the tail may be cut; it is only used when it starts the file.
      if (begin == std::string::npos && start > 0) break;
      auto rails = parse_tegrastats_line(line);
      if (rails.empty()) {
        *error = "no power rail in the last line of the tegrastats log " + options_.tegrastats;
        return std::nullopt;
      }
      return rails;
    }
    if (begin == std::string::npos) break;
    line_end = begin;
  }
  *error = "no complete line in the tegrastats log " + options_.tegrastats;
  return std::nullopt;
}

std::optional<double> JetsonMeter::read_milliwatts(const Rail& rail, std::string* error) {
  auto fail = [&](const std::filesystem::path& file, const FileNumber& n) {
    *error = "cannot read " + file.string() + " (" + n.error + ")";
    return std::nullopt;
  };
  if (!rail.power_file.empty()) {
    const FileNumber power = read_number(rail.power_file);
    if (!power.value) return fail(rail.power_file, power);
    return static_cast<double>(*power.value);
  }
  const FileNumber volts = read_number(rail.voltage_file);
  if (!volts.value) return fail(rail.voltage_file, volts);
  const FileNumber amps = read_number(rail.current_file);
  if (!amps.value) return fail(rail.current_file, amps);
  // mV x mA = µW.
  return static_cast<double>(*volts.value) * static_cast<double>(*amps.value) / 1000.0;
}

MeterInfo JetsonMeter::open() {
  rails_.clear();
  return options_.tegrastats.empty() ? open_sysfs() : open_tegrastats();
}

MeterInfo JetsonMeter::open_sysfs() {
  std::vector<Rail> found;
  // L4T 32: the NVIDIA ina3221x IIO driver.
  for (const auto& chip : entries_with_prefix(under_root(root_, kIioDriver), "")) {
    for (const auto& dev : entries_with_prefix(chip, "iio:device")) {
      for (const int64_t c : channels(dev, "rail_name_", "")) {
        const std::string n = std::to_string(c);
        Rail rail;
        const FileText label = read_text(dev / ("rail_name_" + n));
        rail.name = label.ok ? trim(label.text) : "";
        if (rail.name.empty() || rail.name == "NC") continue;
        const auto power = dev / ("in_power" + n + "_input");
        if (file_exists(power)) {
          rail.power_file = power;
        } else {
          rail.voltage_file = dev / ("in_voltage" + n + "_input");
          rail.current_file = dev / ("in_current" + n + "_input");
        }
        found.push_back(rail);
      }
    }
  }
  // L4T 35+: the mainline ina3221 hwmon driver. in4..in7 are shunt voltages and their sum,
  // without a curr<c>_input of the same number, so requiring one keeps the three bus channels.
  for (const auto& chip : entries_with_prefix(under_root(root_, kHwmonDriver), "")) {
    for (const auto& dev : entries_with_prefix(chip / "hwmon", "hwmon")) {
      for (const int64_t c : channels(dev, "in", "_label")) {
        const std::string n = std::to_string(c);
        Rail rail;
        rail.voltage_file = dev / ("in" + n + "_input");
        rail.current_file = dev / ("curr" + n + "_input");
        if (!file_exists(rail.current_file)) continue;
        const FileText label = read_text(dev / ("in" + n + "_label"));
        rail.name = label.ok ? trim(label.text) : "";
        if (rail.name.empty() || rail.name == "NC") continue;
        const FileNumber enabled = read_number(dev / ("in" + n + "_enable"));
        if (enabled.value && *enabled.value == 0) continue;
        found.push_back(rail);
      }
    }
  }

  MeterInfo info;
  info.method = "power sampling";
  std::vector<std::string> sources;
  for (Rail& rail : found) {
    std::string error;
    const auto mw = read_milliwatts(rail, &error);
    if (!mw) {
      info.warnings.push_back("Jetson rail " + rail.name + " left out: " + error + ".");
      continue;
    }
    // Two monitors may both have a rail of one name: the second one gets a suffix.
    std::string name = rail.name;
    for (int k = 2; std::any_of(info.domains.begin(), info.domains.end(),
                                [&](const PowerDomain& d) { return d.name == name; });
         ++k)
      name = rail.name + "#" + std::to_string(k);
    rail.name = name;
    rail.energy = TrapezoidIntegrator(*mw / 1000.0);
    const auto folder =
        (rail.power_file.empty() ? rail.voltage_file : rail.power_file).parent_path().string();
    if (std::find(sources.begin(), sources.end(), folder) == sources.end())
      sources.push_back(folder);
    info.domains.push_back({rail.name, true});
    rails_.push_back(rail);
  }
  if (rails_.empty()) {
    std::string message = "jetson: no readable INA3221 rail under " +
                          under_root(root_, kIioDriver).string() + " or " +
                          under_root(root_, kHwmonDriver).string();
    message += info.warnings.empty() ? "." : " (" + info.warnings.front() + ")";
    throw std::runtime_error(message);
  }
  set_totals(info.domains);
  for (const auto& s : sources) info.source += (info.source.empty() ? "" : ", ") + s;
  return info;
}

MeterInfo JetsonMeter::open_tegrastats() {
  std::string error;
  const auto rails = read_tegrastats(&error);
  if (!rails) throw std::runtime_error("jetson: " + error + ".");
  MeterInfo info;
  info.source = options_.tegrastats;
  info.method = "power sampling";
  for (const TegrastatsRail& r : *rails) {
    if (std::any_of(info.domains.begin(), info.domains.end(),
                    [&](const PowerDomain& d) { return d.name == r.name; }))
      continue;
    Rail rail;
    rail.name = r.name;
    rail.energy = TrapezoidIntegrator(r.milliwatts / 1000.0);
    rails_.push_back(rail);
    info.domains.push_back({r.name, true});
  }
  set_totals(info.domains);
  return info;
}

std::vector<double> JetsonMeter::sample(double seconds) {
  std::vector<double> out;
  out.reserve(rails_.size());
  if (!options_.tegrastats.empty()) {
    std::string error;
    const auto rails = read_tegrastats(&error);
    for (Rail& rail : rails_) {
      // A rail missing from the line (or a log that cannot be read) keeps its last value.
      if (rails)
        for (const TegrastatsRail& r : *rails)
          if (r.name == rail.name) {
            rail.energy.add(seconds, r.milliwatts / 1000.0);
            break;
          }
      out.push_back(rail.energy.joules());
    }
    return out;
  }
  for (Rail& rail : rails_) {
    std::string error;
    if (const auto mw = read_milliwatts(rail, &error)) rail.energy.add(seconds, *mw / 1000.0);
    out.push_back(rail.energy.joules());
  }
  return out;
}

}  // namespace gear::plugins::meters

#include "rapl_meter.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace gear::plugins::meters {
namespace {

/// The powercap control types whose zones are RAPL domains. AMD processors use the intel-rapl
/// driver and names; "amd-rapl" is accepted for trees that spell it so.
constexpr const char* kZonePrefixes[] = {"intel-rapl:", "amd-rapl:"};

/// A zone directory name split into its numbers: "intel-rapl:1:2" is {1, 2}.
struct ZoneName {
  std::vector<int64_t> index;
  bool valid = false;
};

ZoneName parse_zone_name(const std::string& name) {
  ZoneName out;
  std::string rest;
  for (const char* prefix : kZonePrefixes) {
    const std::string p(prefix);
    if (name.compare(0, p.size(), p) == 0) {
      rest = name.substr(p.size());
      break;
    }
  }
  if (rest.empty()) return out;
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t colon = rest.find(':', start);
    const std::string part =
        rest.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return out;
    const auto number = parse_integer(part);
    if (!number) return out;
    out.index.push_back(*number);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  out.valid = out.index.size() == 1 || out.index.size() == 2;
  return out;
}

std::string unreadable_warning(const std::string& zone, const std::filesystem::path& file,
                               const std::string& error, bool permission_denied) {
  std::string out =
      "RAPL zone " + zone + " left out: cannot read " + file.string() + " (" + error + ")";
  if (permission_denied) {
    // Linux 5.10 made energy_uj mode 0400 (a side channel on secrets otherwise).
    out += "; since Linux 5.10 energy_uj is readable by root only: run as root or `sudo chmod ";
    out += "a+r " + file.string() + "`";
  }
  return out + ".";
}

}  // namespace

OptionSchema RaplMeter::schema() { return root_binder().schema(); }

RaplMeter::RaplMeter(const Config& options) : RaplMeter(root_binder().read(options).root) {}

RaplMeter::RaplMeter(std::string root) : root_(std::move(root)) {}

std::filesystem::path RaplMeter::folder() const { return under_root(root_, "/sys/class/powercap"); }

MeterInfo RaplMeter::open() {
  const std::filesystem::path dir = folder();
  struct Candidate {
    std::vector<int64_t> index;
    std::filesystem::path path;
  };
  std::vector<Candidate> candidates;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw std::runtime_error("rapl: cannot list " + dir.string() + " (" + ec.message() + ")");
  for (const auto& entry : it) {
    const ZoneName zone = parse_zone_name(entry.path().filename().string());
    if (!zone.valid) continue;
    candidates.push_back({zone.index, entry.path()});
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.index < b.index; });

  MeterInfo info;
  info.source = dir.string();
  info.method = "energy counter";
  zones_.clear();
  int found = 0;
  for (const Candidate& c : candidates) {
    const FileText name_file = read_text(c.path / "name");
    const std::string name = name_file.ok ? trim(name_file.text) : "";
    PowerDomain domain;
    if (c.index.size() == 1) {
      domain.name = name.empty() ? c.path.filename().string() : name;
      // psys covers the whole platform, packages included: counting it too would add them twice.
      domain.in_total = name != "psys";
    } else {
      // Core, uncore (graphics) and other sub-zones are parts of their package's energy; DRAM is
      // outside it.
      if (name != "dram") continue;
      domain.name = "dram-" + std::to_string(c.index[0]);
    }
    ++found;
    Zone zone;
    zone.energy_file = c.path / "energy_uj";
    const FileNumber energy = read_number(zone.energy_file);
    if (!energy.value || *energy.value < 0) {
      info.warnings.push_back(unreadable_warning(domain.name, zone.energy_file,
                                                 energy.value ? "negative" : energy.error,
                                                 energy.permission_denied));
      continue;
    }
    zone.last_uj = static_cast<uint64_t>(*energy.value);
    const std::filesystem::path range_file = c.path / "max_energy_range_uj";
    const FileNumber range = read_number(range_file);
    if (range.value && *range.value > 0) {
      zone.max_range_uj = static_cast<uint64_t>(*range.value);
    } else {
      info.warnings.push_back("RAPL zone " + domain.name + ": cannot read " + range_file.string() +
                              " (" + (range.value ? std::string("not positive") : range.error) +
                              "); a counter wrap is counted from 0, which undercounts it.");
    }
    zones_.push_back(zone);
    info.domains.push_back(domain);
  }
  if (found == 0)
    throw std::runtime_error("rapl: no RAPL zone (intel-rapl:N) under " + dir.string() + ".");
  if (zones_.empty())
    throw std::runtime_error("rapl: no readable RAPL zone under " + dir.string() +
                             " (energy_uj unreadable in all " + std::to_string(found) +
                             "; run as root or chmod a+r).");
  return info;
}

std::vector<double> RaplMeter::sample(double /*seconds*/) {
  std::vector<double> out;
  out.reserve(zones_.size());
  for (Zone& zone : zones_) {
    const FileNumber energy = read_number(zone.energy_file);
    // An unreadable reading leaves the zone at its last value.
    if (energy.value && *energy.value >= 0) {
      const auto now = static_cast<uint64_t>(*energy.value);
      if (now >= zone.last_uj) {
        zone.total_uj += now - zone.last_uj;
      } else if (zone.max_range_uj >= zone.last_uj) {
        // The counter passed max_energy_range_uj and restarted from 0.
        zone.total_uj += zone.max_range_uj - zone.last_uj + now;
      } else {
        // No usable range: the energy since the restart from 0 is all that is known.
        zone.total_uj += now;
      }
      zone.last_uj = now;
    }
    out.push_back(static_cast<double>(zone.total_uj) / 1e6);
  }
  return out;
}

}  // namespace gear::plugins::meters

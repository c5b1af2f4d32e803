#include "estimate_meter.h"

#include <sstream>
#include <stdexcept>
#include <utility>

namespace gear::plugins::meters {
namespace {

/// The busy fields of a cpu line, as indices after the label: user, nice, system, (idle,
/// iowait,) irq, softirq, steal.
constexpr size_t kBusyFields[] = {0, 1, 2, 5, 6, 7};

/// The busy jiffies of one cpu line's fields (missing trailing fields, as on old kernels, count
/// 0); nullopt when a field is not a number.
std::optional<uint64_t> busy_jiffies(std::istringstream& fields) {
  std::vector<uint64_t> values;
  for (std::string field; fields >> field;) {
    const auto v = parse_integer(field);
    if (!v || *v < 0) return std::nullopt;
    values.push_back(static_cast<uint64_t>(*v));
  }
  if (values.size() < 4) return std::nullopt;
  uint64_t busy = 0;
  for (size_t i : kBusyFields)
    if (i < values.size()) busy += values[i];
  return busy;
}

}  // namespace

const OptionBinder<EstimateOptions>& EstimateMeter::binder() {
  static const OptionBinder<EstimateOptions> binder = [] {
    OptionBinder<EstimateOptions> b;
    b.bind("hz", &EstimateOptions::hz, "clock ticks per second of /proc/stat (USER_HZ)")
        .at_least(1);
    b.bind("watts_per_core", &EstimateOptions::watts_per_core,
           "watts one fully busy core adds over idle (10: an order of magnitude for an x86 "
           "desktop or server core, not a measurement)")
        .at_least(0.0);
    b.bind("idle_watts", &EstimateOptions::idle_watts,
           "watts the machine draws whatever it does, added per second since the meter opened")
        .at_least(0.0);
    return b;
  }();
  return binder;
}

OptionSchema EstimateMeter::schema() { return root_binder().schema().merge(binder().schema()); }

EstimateMeter::EstimateMeter(const Config& options)
    : EstimateMeter(root_binder().read(options).root, binder().read(options)) {}

EstimateMeter::EstimateMeter(std::string root, EstimateOptions options)
    : root_(std::move(root)), options_(options) {}

std::filesystem::path EstimateMeter::file() const { return under_root(root_, "/proc/stat"); }

std::optional<EstimateMeter::Busy> EstimateMeter::parse_proc_stat(const std::string& text) {
  std::istringstream lines(text);
  std::optional<uint64_t> aggregate;
  uint64_t per_core = 0;
  Busy out;
  for (std::string line; std::getline(lines, line);) {
    if (line.compare(0, 3, "cpu") != 0) continue;
    std::istringstream fields(line);
    std::string label;
    fields >> label;
    const std::string number = label.substr(3);
    const bool core =
        !number.empty() && number.find_first_not_of("0123456789") == std::string::npos;
    if (!core && !number.empty()) continue;
    const auto busy = busy_jiffies(fields);
    if (!busy) continue;
    if (core) {
      per_core += *busy;
      ++out.cores;
    } else {
      aggregate = busy;
    }
  }
  if (!aggregate && out.cores == 0) return std::nullopt;
  out.jiffies = aggregate ? *aggregate : per_core;
  return out;
}

MeterInfo EstimateMeter::open() {
  const FileText text = read_text(file());
  if (!text.ok)
    throw std::runtime_error("estimate: cannot read " + file().string() + " (" + text.error + ").");
  const auto busy = parse_proc_stat(text.text);
  if (!busy) throw std::runtime_error("estimate: no cpu line in " + file().string() + ".");
  first_jiffies_ = last_jiffies_ = busy->jiffies;
  joules_ = 0.0;
  MeterInfo info;
  info.domains.push_back({"cpu-estimate", true});
  info.source = file().string();
  info.estimate = true;
  info.method = "estimate: busy core-seconds from /proc/stat x " +
                format_number(options_.watts_per_core) + " W per core + " +
                format_number(options_.idle_watts) + " W idle";
  if (busy->cores > 0) info.source += " (" + std::to_string(busy->cores) + " cores)";
  return info;
}

std::vector<double> EstimateMeter::sample(double seconds) {
  const FileText text = read_text(file());
  const auto busy = text.ok ? parse_proc_stat(text.text) : std::nullopt;
  // A counter that goes back (never on a sane kernel) is treated like an unreadable file.
  if (busy && busy->jiffies >= last_jiffies_) {
    last_jiffies_ = busy->jiffies;
    const double core_seconds =
        static_cast<double>(last_jiffies_ - first_jiffies_) / static_cast<double>(options_.hz);
    joules_ = core_seconds * options_.watts_per_core + options_.idle_watts * seconds;
  }
  return {joules_};
}

}  // namespace gear::plugins::meters

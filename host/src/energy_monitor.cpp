#include "gear/host/energy_monitor.h"

#include <spdlog/spdlog.h>

#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

constexpr const char* kFallback = "estimate";

// Creates and opens `name`; the opened meter and what it found, or an exception.
std::pair<std::shared_ptr<PowerMeter>, MeterInfo> open_meter(const Registry& registry,
                                                             const std::string& name,
                                                             const Config& options) {
  auto meter = registry.create<PowerMeter>(name, options);
  MeterInfo info;
  call_plugin(name, registry.library_of(name), "[meter]", [&] { info = meter->open(); });
  if (info.domains.empty())
    throw std::runtime_error("power meter '" + name + "' opened with no domain to read");
  return {meter, info};
}

// The estimate meter's options: its defaults, with the failed meter's `root` carried over so a
// fixture tree stays a fixture tree.
Config fallback_options(const Registry& registry, const Config& failed) {
  const ComponentEntry* entry = registry.find(kFallback, ComponentKindOf<PowerMeter>::kName);
  Config options = config_from_table(toml::table{}, "meter", entry->info.schema, "");
  if (failed.has("root") && options.has("root"))
    options.set("root", failed.value("root"), failed.where("root"), failed.given("root"));
  return options;
}

}  // namespace

EnergySpan energy_between(const EnergyReading& from, const EnergyReading& to,
                          const MeterInfo& info) {
  EnergySpan span;
  span.seconds = to.seconds - from.seconds;
  const size_t n = std::min(from.joules.size(), to.joules.size());
  span.joules.resize(n);
  for (size_t i = 0; i < n; ++i) {
    span.joules[i] = to.joules[i] - from.joules[i];
    if (i < info.domains.size() && info.domains[i].in_total) span.total_joules += span.joules[i];
  }
  return span;
}

std::unique_ptr<EnergyMonitor> EnergyMonitor::open(const Pipeline& pipeline,
                                                   const Registry& registry) {
  const ComponentRef& chosen = pipeline.power_meter;
  if (chosen.name == "none") {
    spdlog::info("power meter: none (energy is not measured)");
    return nullptr;
  }
  const auto period = std::chrono::duration<double>(pipeline.meter_settings.period_ms / 1e3);
  try {
    auto [meter, info] = open_meter(registry, chosen.name, chosen.options);
    return std::make_unique<EnergyMonitor>(meter, chosen.name, info, period);
  } catch (const std::exception& e) {
    if (chosen.name == kFallback || !registry.find(kFallback, ComponentKindOf<PowerMeter>::kName)) {
      spdlog::warn("power meter '{}' cannot be read ({}); the run is not metered", chosen.name,
                   e.what());
      return nullptr;
    }
    spdlog::warn(
        "power meter '{}' cannot be read ({}); falling back to '{}': energy figures "
        "are estimates",
        chosen.name, e.what(), kFallback);
    try {
      auto [meter, info] =
          open_meter(registry, kFallback, fallback_options(registry, chosen.options));
      info.warnings.insert(info.warnings.begin(),
                           "power meter '" + chosen.name + "' could not be read: " + e.what());
      return std::make_unique<EnergyMonitor>(meter, kFallback, info, period);
    } catch (const std::exception& fallback_error) {
      spdlog::warn("the '{}' meter cannot be read either ({}); the run is not metered", kFallback,
                   fallback_error.what());
      return nullptr;
    }
  }
}

EnergyMonitor::EnergyMonitor(std::shared_ptr<PowerMeter> meter, std::string name, MeterInfo info,
                             std::chrono::duration<double> period)
    : meter_(std::move(meter)), name_(std::move(name)), info_(std::move(info)), period_(period) {
  last_.joules.assign(info_.domains.size(), 0.0);
  for (const auto& warning : info_.warnings) spdlog::warn("power meter {}: {}", name_, warning);
  std::string domains;
  for (const auto& d : info_.domains) domains += (domains.empty() ? "" : ", ") + d.name;
  spdlog::info("power meter: {} ({}{}), domains {}, sampled every {:g} ms", name_, info_.method,
               info_.estimate ? "; an ESTIMATE, not a measurement" : "", domains,
               period_.count() * 1e3);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sample_locked();
  }
  thread_ = std::thread([this] { loop(); });
}

EnergyMonitor::~EnergyMonitor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EnergyMonitor::sample_locked() {
  const double now =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count();
  last_.seconds = now;
  if (broken_) return;
  try {
    std::vector<double> joules = meter_->sample(now);
    if (joules.size() != info_.domains.size())
      throw std::runtime_error("sample() returned " + std::to_string(joules.size()) +
                               " values for " + std::to_string(info_.domains.size()) + " domains");
    last_.joules = std::move(joules);
  } catch (const std::exception& e) {
    // A meter that fails mid-run keeps its last reading: the energy so far stays right and
    // later spans read as zero, which the log explains.
    broken_ = true;
    spdlog::error("power meter {} failed and is no longer sampled: {}", name_, e.what());
  }
}

void EnergyMonitor::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, period_, [this] { return stopping_; });
    if (!stopping_) sample_locked();
  }
}

EnergyReading EnergyMonitor::read() {
  std::lock_guard<std::mutex> lock(mutex_);
  sample_locked();
  return last_;
}

nlohmann::json EnergyMonitor::describe() const {
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& d : info_.domains)
    domains.push_back({{"name", d.name}, {"in_total", d.in_total}});
  return {{"name", name_},
          {"estimate", info_.estimate},
          {"method", info_.method},
          {"source", info_.source},
          {"domains", domains},
          {"period_ms", period_.count() * 1e3},
          {"warnings", info_.warnings}};
}

nlohmann::json EnergyMonitor::fields(const EnergySpan& span, bool per_domain) const {
  nlohmann::json out = {{"energy_joules", span.total_joules},
                        {"energy_estimated", info_.estimate},
                        {"mean_power_watts", span.mean_watts()}};
  if (per_domain) {
    nlohmann::json domains = nlohmann::json::object();
    for (size_t i = 0; i < span.joules.size() && i < info_.domains.size(); ++i)
      domains[info_.domains[i].name] = span.joules[i];
    out["energy"] = domains;
  }
  return out;
}

}  // namespace gear::host

#include "auto_meter.h"

#include <functional>
#include <stdexcept>
#include <utility>

#include "gear/log.h"
#include "rapl_meter.h"

namespace gear::plugins::meters {
namespace {

/// `message` ("rapl: no RAPL zone under X.") without the meter's own "name: " prefix.
std::string reason(const std::string& name, const std::string& message) {
  const std::string prefix = name + ": ";
  std::string out =
      message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

}  // namespace

OptionSchema AutoMeter::schema() {
  return root_binder()
      .schema()
      .merge(JetsonMeter::binder().schema())
      .merge(NvmlMeter::binder().schema())
      .merge(EstimateMeter::binder().schema());
}

AutoMeter::AutoMeter(const Config& options)
    : AutoMeter(AutoOptions{root_binder().read(options).root, JetsonMeter::binder().read(options),
                            NvmlMeter::binder().read(options),
                            EstimateMeter::binder().read(options)}) {}

AutoMeter::AutoMeter(AutoOptions options) : options_(std::move(options)) {}

MeterInfo AutoMeter::open() {
  meter_.reset();
  chosen_.clear();
  struct Candidate {
    const char* name;
    std::function<std::unique_ptr<PowerMeter>()> make;
  };
  const Candidate candidates[] = {
      {"jetson", [&] { return std::make_unique<JetsonMeter>(options_.root, options_.jetson); }},
      {"nvml", [&] { return std::make_unique<NvmlMeter>(options_.root, options_.nvml); }},
      {"rapl", [&] { return std::make_unique<RaplMeter>(options_.root); }},
      {"estimate",
       [&] { return std::make_unique<EstimateMeter>(options_.root, options_.estimate); }},
  };
  std::vector<std::string> skipped;
  for (const Candidate& c : candidates) {
    std::unique_ptr<PowerMeter> meter = c.make();
    MeterInfo info;
    try {
      info = meter->open();
    } catch (const std::exception& e) {
      skipped.push_back(std::string(c.name) + ": " + reason(c.name, e.what()));
      continue;
    }
    meter_ = std::move(meter);
    chosen_ = c.name;
    // Name the chosen meter first, unless its method already starts with it ("estimate: ...").
    if (info.method.rfind(chosen_ + ":", 0) != 0) info.method = chosen_ + ": " + info.method;
    // A sensor that is not there is the normal case on most machines: worth a line in the log,
    // not a warning, unless it leaves the run with an estimate.
    if (chosen_ != "estimate") {
      for (const auto& s : skipped) log_info("power meter auto: skipped " + s);
    } else if (!skipped.empty()) {
      std::string why;
      for (const auto& s : skipped) why += (why.empty() ? "" : " ") + s;
      info.warnings.insert(info.warnings.begin(),
                           "no power sensor could be read, so energy is estimated (" + why + ")");
    }
    return info;
  }
  std::string message = "auto: no meter could be opened:";
  for (const auto& s : skipped) message += " " + s;
  throw std::runtime_error(message);
}

std::vector<double> AutoMeter::sample(double seconds) {
  if (!meter_) throw std::logic_error("auto meter: sample() before a successful open()");
  return meter_->sample(seconds);
}

}  // namespace gear::plugins::meters

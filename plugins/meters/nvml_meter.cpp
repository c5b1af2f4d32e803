#include "nvml_meter.h"

#include <dlfcn.h>

#include <stdexcept>
#include <utility>

namespace gear::plugins::meters {
namespace {

// The few NVML declarations the meter needs, as nvml.h gives them, so that no CUDA header is
// needed to build it. nvmlReturn_t is an enum whose 0 is NVML_SUCCESS; nvmlDevice_t is an
// opaque pointer.
using NvmlReturn = int;
using NvmlDevice = void*;
constexpr NvmlReturn kNvmlSuccess = 0;
/// NVML_DEVICE_NAME_V2_BUFFER_SIZE.
constexpr unsigned int kNameBufferSize = 96;

using InitFn = NvmlReturn (*)();
using ShutdownFn = NvmlReturn (*)();
using GetCountFn = NvmlReturn (*)(unsigned int*);
using GetHandleFn = NvmlReturn (*)(unsigned int, NvmlDevice*);
using GetNameFn = NvmlReturn (*)(NvmlDevice, char*, unsigned int);
using GetEnergyFn = NvmlReturn (*)(NvmlDevice, unsigned long long*);
using GetPowerFn = NvmlReturn (*)(NvmlDevice, unsigned int*);
using ErrorStringFn = const char* (*)(NvmlReturn);

}  // namespace

struct NvmlMeter::Api {
  InitFn init = nullptr;
  ShutdownFn shutdown = nullptr;
  GetCountFn get_count = nullptr;
  GetHandleFn get_handle = nullptr;
  GetNameFn get_name = nullptr;
  GetEnergyFn get_energy = nullptr;
  GetPowerFn get_power = nullptr;
  /// Optional: only for messages.
  ErrorStringFn error_string = nullptr;

  std::string error(NvmlReturn code) const {
    if (code < 0) return "not in this driver";
    std::string out = "NVML error " + std::to_string(code);
    if (error_string != nullptr)
      if (const char* text = error_string(code)) out += std::string(" (") + text + ")";
    return out;
  }
};

const OptionBinder<NvmlOptions>& NvmlMeter::binder() {
  static const OptionBinder<NvmlOptions> binder = [] {
    OptionBinder<NvmlOptions> b;
    b.bind("library", &NvmlOptions::library,
           "NVML library to dlopen: a name the loader searches for, or a path (under root)")
        .check([](const std::string& library) {
          return library.empty() ? std::string("must name a library") : std::string();
        });
    return b;
  }();
  return binder;
}

OptionSchema NvmlMeter::schema() { return root_binder().schema().merge(binder().schema()); }

NvmlMeter::NvmlMeter(const Config& options)
    : NvmlMeter(root_binder().read(options).root, binder().read(options)) {}

NvmlMeter::NvmlMeter(std::string root, NvmlOptions options)
    : root_(std::move(root)), options_(std::move(options)) {}

NvmlMeter::~NvmlMeter() { close(); }

void NvmlMeter::close() {
  if (initialised_ && api_ != nullptr) api_->shutdown();
  initialised_ = false;
  api_.reset();
  if (handle_ != nullptr) dlclose(handle_);
  handle_ = nullptr;
  gpus_.clear();
}

MeterInfo NvmlMeter::open() {
  close();
  const std::string library = options_.library.find('/') == std::string::npos
                                  ? options_.library
                                  : under_root(root_, options_.library).string();
  dlerror();
  handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* error = dlerror();
    throw std::runtime_error("nvml: cannot load " + library + ": " +
                             (error != nullptr ? error : "unknown dlopen error") + ".");
  }
  api_ = std::make_unique<Api>();
  auto symbol = [&](const char* name, bool required) -> void* {
    dlerror();
    void* address = dlsym(handle_, name);
    if (address == nullptr && required) {
      const char* error = dlerror();
      const std::string message = "nvml: " + library + " lacks " + name + ": " +
                                  (error != nullptr ? error : "not found") + ".";
      close();
      throw std::runtime_error(message);
    }
    return address;
  };
  api_->init = reinterpret_cast<InitFn>(symbol("nvmlInit_v2", true));
  api_->shutdown = reinterpret_cast<ShutdownFn>(symbol("nvmlShutdown", true));
  api_->get_count = reinterpret_cast<GetCountFn>(symbol("nvmlDeviceGetCount_v2", true));
  api_->get_handle = reinterpret_cast<GetHandleFn>(symbol("nvmlDeviceGetHandleByIndex_v2", true));
  api_->get_name = reinterpret_cast<GetNameFn>(symbol("nvmlDeviceGetName", true));
  // Drivers older than the Volta generation lack the energy call: their GPUs sample power.
  api_->get_energy =
      reinterpret_cast<GetEnergyFn>(symbol("nvmlDeviceGetTotalEnergyConsumption", false));
  api_->get_power = reinterpret_cast<GetPowerFn>(symbol("nvmlDeviceGetPowerUsage", true));
  api_->error_string = reinterpret_cast<ErrorStringFn>(symbol("nvmlErrorString", false));

  auto fail = [&](const std::string& message) {
    close();
    throw std::runtime_error("nvml: " + message);
  };
  if (const NvmlReturn r = api_->init(); r != kNvmlSuccess)
    fail("nvmlInit_v2 failed in " + library + ": " + api_->error(r) + ".");
  initialised_ = true;
  unsigned int count = 0;
  if (const NvmlReturn r = api_->get_count(&count); r != kNvmlSuccess)
    fail("nvmlDeviceGetCount_v2 failed: " + api_->error(r) + ".");
  if (count == 0) fail("no GPU found by " + library + ".");

  MeterInfo info;
  std::string devices;
  bool any_counter = false, any_power = false;
  for (unsigned int i = 0; i < count; ++i) {
    const std::string domain = "gpu-" + std::to_string(i);
    Gpu gpu;
    if (const NvmlReturn r = api_->get_handle(i, &gpu.device); r != kNvmlSuccess) {
      info.warnings.push_back("NVML GPU " + std::to_string(i) +
                              " left out: nvmlDeviceGetHandleByIndex_v2 failed: " + api_->error(r) +
                              ".");
      continue;
    }
    char name[kNameBufferSize] = "";
    if (api_->get_name(gpu.device, name, kNameBufferSize) != kNvmlSuccess) name[0] = '\0';
    name[kNameBufferSize - 1] = '\0';
    unsigned long long energy_mj = 0;
    unsigned int power_mw = 0;
    // -1: no such function in this driver (NVML's own codes are non-negative).
    const NvmlReturn energy =
        api_->get_energy != nullptr ? api_->get_energy(gpu.device, &energy_mj) : -1;
    if (energy == kNvmlSuccess) {
      gpu.counter = true;
      gpu.base_mj = energy_mj;
      any_counter = true;
    } else if (const NvmlReturn power = api_->get_power(gpu.device, &power_mw);
               power == kNvmlSuccess) {
      // Before Volta there is no energy counter: sample power, from this reading at time 0.
      gpu.power = TrapezoidIntegrator(power_mw / 1000.0);
      any_power = true;
    } else {
      info.warnings.push_back("NVML GPU " + std::to_string(i) +
                              " left out: neither nvmlDeviceGetTotalEnergyConsumption (" +
                              api_->error(energy) + ") nor nvmlDeviceGetPowerUsage (" +
                              api_->error(power) + ") can be read.");
      continue;
    }
    devices += (devices.empty() ? "" : ", ") + domain + ": " + (name[0] ? name : "unnamed") +
               (gpu.counter ? " (energy counter)" : " (power sampling)");
    gpus_.push_back(gpu);
    info.domains.push_back({domain, true});
  }
  if (gpus_.empty()) {
    std::string message = "no GPU of " + std::to_string(count) + " can be read by " + library;
    message += info.warnings.empty() ? "." : ": " + info.warnings.front();
    fail(message);
  }
  info.source = library + " (" + devices + ")";
  info.method = any_counter && any_power ? "energy counter and power sampling"
                : any_counter            ? "energy counter"
                                         : "power sampling";
  return info;
}

std::vector<double> NvmlMeter::sample(double seconds) {
  std::vector<double> out;
  out.reserve(gpus_.size());
  for (Gpu& gpu : gpus_) {
    // A failed call leaves the GPU at its last value.
    if (gpu.counter) {
      unsigned long long energy_mj = 0;
      if (api_->get_energy(gpu.device, &energy_mj) == kNvmlSuccess && energy_mj >= gpu.base_mj)
        gpu.joules = static_cast<double>(energy_mj - gpu.base_mj) / 1000.0;
      out.push_back(gpu.joules);
    } else {
      unsigned int power_mw = 0;
      if (api_->get_power(gpu.device, &power_mw) == kNvmlSuccess)
        gpu.power.add(seconds, power_mw / 1000.0);
      out.push_back(gpu.power.joules());
    }
  }
  return out;
}

}  // namespace gear::plugins::meters

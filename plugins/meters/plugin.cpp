#include <gear/plugin.h>
#include <gear/power_meter.h>

#include "auto_meter.h"
#include "estimate_meter.h"
#include "jetson_meter.h"
#include "nvml_meter.h"
#include "rapl_meter.h"

GEAR_PLUGIN("gear-meters", "0.1.0",
            "Power meters: RAPL counters, NVML, Jetson INA3221 rails, a CPU-time estimate, and "
            "auto, the best of them the machine has") {
  using namespace gear::plugins::meters;
  r.add<gear::PowerMeter, RaplMeter>(
      "rapl", "Linux powercap RAPL energy counters: packages, DRAM, psys (not in the total)");
  r.add<gear::PowerMeter, NvmlMeter>(
      "nvml",
      "NVIDIA GPUs through NVML (dlopen): the energy counter, else power sampled and integrated");
  r.add<gear::PowerMeter, JetsonMeter>(
      "jetson",
      "Jetson INA3221 rails from sysfs or a tegrastats log, power sampled and integrated");
  r.add<gear::PowerMeter, EstimateMeter>(
      "estimate", "an estimate, not a measurement: busy CPU time from /proc/stat x watts per core");
  r.add<gear::PowerMeter, AutoMeter>(
      "auto", "the first of jetson, nvml and rapl that opens, else estimate");
}

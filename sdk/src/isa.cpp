#include "isa.h"

namespace gear::detail {
namespace {

Isa detected_isa() {
#if GEAR_ISA_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
  return Isa::kBaseline;
}

}  // namespace

Isa cpu_isa() {
  static const Isa chosen = detected_isa();
  return chosen;
}

}  // namespace gear::detail

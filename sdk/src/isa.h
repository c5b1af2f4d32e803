#pragma once

// The instruction set GEAR's own CPU kernels run in: each kernel file is compiled once per
// instruction set (per_isa.inc), and on_isa calls the build this CPU can run.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEAR_ISA_X86 1
#else
#define GEAR_ISA_X86 0
#endif

namespace gear::detail {

enum class Isa { kBaseline, kAvx2, kAvx512 };

/// The widest instruction set this CPU supports among those GEAR builds kernels for; detected
/// once per process.
Isa cpu_isa();

/// Calls f(Avx512{}), f(Avx2{}) or f(Baseline{}) (default-constructed tag types carrying the
/// kernels of one instruction set), whichever cpu_isa() names. `f` is borrowed for the call.
template <typename Avx512, typename Avx2, typename Baseline, typename F>
decltype(auto) on_isa(const F& f) {
  switch (cpu_isa()) {
    case Isa::kAvx512:
      return f(Avx512{});
    case Isa::kAvx2:
      return f(Avx2{});
    case Isa::kBaseline:
      break;
  }
  return f(Baseline{});
}

}  // namespace gear::detail

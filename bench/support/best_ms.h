#pragma once

// The timing rule of the C++ benchmarks: the best of several runs, in milliseconds, so that
// scheduler noise on a shared VM only ever makes a figure slower.

#include <algorithm>
#include <chrono>

namespace gear::bench {

/// The fastest of `rounds` calls of `f`, in milliseconds. `f` is borrowed for the call.
template <typename F>
double best_ms(int rounds, const F& f) {
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(
        best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count());
  }
  return best;
}

}  // namespace gear::bench

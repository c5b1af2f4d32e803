// Time to compute the offline optimum of a stream: building the oracle for 10k (and 100k) frames
// with JPEG-like sizes and answering the budgets of a 100-point accuracy-against-bytes curve.
// Prints one JSON line per stream length.
#include <chrono>
#include <cstdio>
#include <random>

#include "gear/host/offload/offload_oracle.h"

int main() {
  for (const int64_t frames : {10000, 100000}) {
    std::mt19937 rng(1);
    std::vector<bool> edge(frames), cloud(frames);
    std::vector<int64_t> bytes(frames);
    std::normal_distribution<double> size(600.0, 120.0);
    double total = 0;
    for (int64_t i = 0; i < frames; ++i) {
      edge[i] = rng() % 100 < 88;
      cloud[i] = rng() % 100 < 93;
      bytes[i] = std::max<int64_t>(100, static_cast<int64_t>(size(rng)));
      total += static_cast<double>(bytes[i]);
    }
    const int repeats = 20;
    double best = 1e9;
    int64_t checksum = 0;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const gear::host::OffloadOracle oracle(edge, cloud, bytes);
      for (int k = 0; k <= 100; ++k) checksum += oracle.best_gain(total * k / 100);
      checksum += static_cast<int64_t>(oracle.choose(total * 0.2).size());
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("{\"frames\": %lld, \"seconds\": %.6f, \"budgets\": 101, \"checksum\": %lld}\n",
                static_cast<long long>(frames), best, static_cast<long long>(checksum));
  }
  return 0;
}

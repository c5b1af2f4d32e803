// gear_bench_allreduce [RANKS] [REPEATS]: the time of one c10d Gloo all-reduce (sum, float32)
// against its size, between RANKS (default 2) forked ranks on this machine's loopback, meeting
// as gearhost's ranks do (World). Prints one JSON object per size: {"bytes", "median_ms",
// "min_ms"}, as measured on rank 0 after warm-up calls.

#include <ATen/Parallel.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gear/host/distributed/world.h"

using gear::host::RankSpec;
using gear::host::World;

int main(int argc, char** argv) {
  const int ranks = argc > 1 ? std::atoi(argv[1]) : 2;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 30;
  gear::host::StoreServer store("127.0.0.1", 0, std::chrono::seconds(60));
  std::vector<pid_t> pids;
  for (int rank = 0; rank < ranks; ++rank) {
    const pid_t pid = fork();
    if (pid != 0) {
      pids.push_back(pid);
      continue;
    }
    at::set_num_threads(1);
    RankSpec spec;
    spec.rank = rank;
    spec.size = ranks;
    spec.local_size = ranks;
    spec.master_port = store.port();
    spec.agent_store = true;
    World world(spec, std::chrono::seconds(60));
    for (int64_t bytes = int64_t{1} << 12; bytes <= int64_t{1} << 26; bytes <<= 2) {
      torch::Tensor tensor = torch::ones({bytes / 4});
      std::vector<double> ms;
      for (int i = 0; i < repeats + 10; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto pending = world.all_reduce_sum(tensor);
        world.wait(pending, "bench");
        if (i >= 10)
          ms.push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count());
      }
      std::sort(ms.begin(), ms.end());
      if (rank == 0)
        std::printf("{\"bytes\": %lld, \"median_ms\": %.4f, \"min_ms\": %.4f}\n",
                    static_cast<long long>(bytes), ms[ms.size() / 2], ms.front());
      std::fflush(stdout);
    }
    _exit(0);
  }
  int code = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) code = 1;
  }
  return code;
}

#pragma once

// Ranks as forked processes of the test binary, meeting through a store the test process hosts.
// Each test runs in its own process (ctest runs one test per process), and the parent does no
// LibTorch work before forking, so the children start with no thread pools to lose.

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "gear/host/distributed/process_group.h"
#include "gear/host/distributed/world.h"

namespace gear::test {

/// The RankSpec of rank `rank` of `size` meeting at the store on 127.0.0.1:`port`.
inline host::RankSpec rank_spec(int rank, int size, int port) {
  host::RankSpec spec;
  spec.rank = rank;
  spec.size = size;
  spec.local_size = size;
  spec.master_addr = "127.0.0.1";
  spec.master_port = port;
  spec.agent_store = true;
  return spec;
}

/// Runs `body(world)` in `size` child processes, one World each (collectives wait up to
/// `timeout`), and returns each child's exit status in rank order: 0 when the body returned
/// without a failed assertion, 1 after a failed one, 3 when it threw (the message is printed).
inline std::vector<int> run_ranks(int size, const std::function<void(host::World&)>& body,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  host::StoreServer store("127.0.0.1", 0, timeout);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < size; ++rank) {
    const pid_t pid = fork();
    if (pid == 0) {
      at::set_num_threads(1);
      int code = 0;
      try {
        host::World world(rank_spec(rank, size, store.port()), timeout);
        body(world);
        code = ::testing::Test::HasFailure() ? 1 : 0;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d threw: %s\n", rank, e.what());
        code = 3;
      }
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(code);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

}  // namespace gear::test

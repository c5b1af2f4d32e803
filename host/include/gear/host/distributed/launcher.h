#pragma once

/// @file
/// `gearhost run ... --nproc N`: N ranks of one run on this machine, as child gearhost
/// processes meeting through a c10d store this launcher hosts on the loopback address.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace gear::host {

/// How to start the ranks.
struct LaunchOptions {
  std::filesystem::path gearhost;  ///< the executable each rank runs (this one)
  /// gearhost's arguments after the program name, without --nproc: every rank gets them.
  std::vector<std::string> args;
  int nproc = 1;  ///< ranks to start (>= 1)
  /// The store's port on 127.0.0.1; 0: one the system picks.
  int master_port = 0;
  /// After a rank fails, how long the others get to end on their own before SIGTERM, and then
  /// before SIGKILL.
  std::chrono::milliseconds grace = std::chrono::seconds(10);
  std::chrono::milliseconds timeout = std::chrono::seconds(300);  ///< the store's
};

/// Starts options.nproc ranks with torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK,
/// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE=True),
/// forwards SIGINT and SIGTERM to them, and waits for all. When one fails (a non-zero exit or a
/// signal) it logs which rank and how, gives the others options.grace to end, then stops them.
/// Returns 0 when every rank succeeded, else the first failed rank's exit code (1 for a rank
/// killed by a signal, 130/143 when the ranks were stopped by SIGINT/SIGTERM). Throws
/// std::invalid_argument when the store cannot listen on the port (in use).
int launch_ranks(const LaunchOptions& options);

/// "killed by SIGKILL" or "exited with status 2", from a waitpid status.
std::string describe_exit(int wait_status);

}  // namespace gear::host

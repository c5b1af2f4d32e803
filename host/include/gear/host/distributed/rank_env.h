#pragma once

/// @file
/// Where this process stands in a data-parallel launch, read from the variables launchers set:
/// torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), Slurm's (SLURM_PROCID,
/// SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR and MASTER_PORT given by the job script), and
/// gearhost's own --nproc, which sets torchrun's.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace gear::host {

/// One process's place among the ranks, and where they meet.
struct RankSpec {
  int rank = 0;        ///< 0 .. size - 1
  int size = 1;        ///< number of ranks (the world size)
  int local_rank = 0;  ///< rank among the processes of this machine
  /// Ranks on this machine (LOCAL_WORLD_SIZE; Slurm's SLURM_NTASKS_PER_NODE): they share its
  /// cores. 1 when no variable says.
  int local_size = 1;
  std::string master_addr = "127.0.0.1";  ///< host of the rendezvous store
  int master_port = 29500;                ///< its port
  /// True: the launcher hosts the store and every rank is its client (torchrun with
  /// TORCHELASTIC_USE_AGENT_STORE=True, and --nproc); false: rank 0 hosts it.
  bool agent_store = false;
  /// Which variables said so: "torchrun variables", "Slurm variables".
  std::string source;
};

/// Looks up one environment variable: nullptr when unset. Tests pass a map's lookup.
using EnvLookup = std::function<const char*(const char*)>;

/// This process's RankSpec, or nullopt when no launcher started it as one of several ranks
/// (WORLD_SIZE unset or 1, and no Slurm job of several tasks with MASTER_ADDR set). Throws
/// gear::ConfigError naming the variable and its value when one is malformed or out of range
/// (RANK >= WORLD_SIZE, a port outside 1..65535), or when one the others need is missing.
std::optional<RankSpec> rank_spec_from_env(const EnvLookup& lookup);

/// rank_spec_from_env over the process's environment.
std::optional<RankSpec> rank_spec_from_env();

}  // namespace gear::host

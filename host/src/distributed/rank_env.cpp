#include "gear/host/distributed/rank_env.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "gear/errors.h"

namespace gear::host {
namespace {

[[noreturn]] void refuse(const std::string& variable, const std::string& message) {
  throw ConfigError({}, "environment " + variable, message);
}

std::optional<int64_t> integer(const EnvLookup& lookup, const char* variable) {
  const char* text = lookup(variable);
  if (text == nullptr) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno == ERANGE)
    refuse(variable, std::string("'") + text + "' is not an integer");
  return value;
}

int64_t required(const EnvLookup& lookup, const char* variable, const std::string& why) {
  const std::optional<int64_t> value = integer(lookup, variable);
  if (!value) refuse(variable, "is not set; " + why);
  return *value;
}

}  // namespace

std::optional<RankSpec> rank_spec_from_env(const EnvLookup& lookup) {
  RankSpec spec;
  const std::optional<int64_t> world = integer(lookup, "WORLD_SIZE");
  std::string rank_variable = "RANK", size_variable = "WORLD_SIZE", local_variable = "LOCAL_RANK";
  int64_t size = 0, rank = 0;
  if (world) {
    size = *world;
    if (size < 1) refuse("WORLD_SIZE", "is " + std::to_string(size) + "; it must be at least 1");
    if (size == 1) return std::nullopt;
    rank = required(lookup, "RANK",
                    "WORLD_SIZE is " + std::to_string(size) +
                        ", so each process needs its rank 0.." + std::to_string(size - 1));
    spec.source = "torchrun variables";
  } else {
    const std::optional<int64_t> tasks = integer(lookup, "SLURM_NTASKS");
    if (!tasks || *tasks <= 1) return std::nullopt;
    if (lookup("MASTER_ADDR") == nullptr) {
      // Inside a Slurm allocation of several tasks a single gearhost is also common (a batch
      // script that runs it once): only MASTER_ADDR says that the tasks are meant as ranks.
      spdlog::info(
          "Slurm runs {} tasks, but MASTER_ADDR is not set: this gearhost runs as one process "
          "(for data parallelism export MASTER_ADDR and MASTER_PORT and start it with srun)",
          *tasks);
      return std::nullopt;
    }
    size = *tasks;
    rank_variable = "SLURM_PROCID";
    size_variable = "SLURM_NTASKS";
    local_variable = "SLURM_LOCALID";
    rank = required(lookup, "SLURM_PROCID", "Slurm sets it for each task started by srun");
    spec.source = "Slurm variables";
  }
  if (rank < 0 || rank >= size)
    refuse(rank_variable, "is " + std::to_string(rank) + ", outside 0.." +
                              std::to_string(size - 1) + " (" + size_variable + " = " +
                              std::to_string(size) + ")");
  spec.size = static_cast<int>(size);
  spec.rank = static_cast<int>(rank);
  const int64_t local = integer(lookup, local_variable.c_str()).value_or(0);
  if (local < 0 || local >= size)
    refuse(local_variable,
           "is " + std::to_string(local) + ", outside 0.." + std::to_string(size - 1));
  spec.local_rank = static_cast<int>(local);
  const char* per_node_variable =
      spec.source == "Slurm variables" ? "SLURM_NTASKS_PER_NODE" : "LOCAL_WORLD_SIZE";
  const int64_t per_node = integer(lookup, per_node_variable).value_or(1);
  if (per_node < 1 || per_node > size)
    refuse(per_node_variable,
           "is " + std::to_string(per_node) + ", outside 1.." + std::to_string(size));
  spec.local_size = static_cast<int>(per_node);
  const char* addr = lookup("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0')
    refuse("MASTER_ADDR", "is not set; " + std::to_string(size) +
                              " ranks need the host of the rendezvous store (rank 0's machine)");
  spec.master_addr = addr;
  const int64_t port = required(lookup, "MASTER_PORT",
                                std::to_string(size) + " ranks need the rendezvous store's port");
  if (port < 1 || port > 65535)
    refuse("MASTER_PORT", "is " + std::to_string(port) + ", outside 1..65535");
  spec.master_port = static_cast<int>(port);
  const char* agent = lookup("TORCHELASTIC_USE_AGENT_STORE");
  spec.agent_store = agent != nullptr && std::string(agent) == "True";
  return spec;
}

std::optional<RankSpec> rank_spec_from_env() {
  return rank_spec_from_env([](const char* name) { return std::getenv(name); });
}

}  // namespace gear::host

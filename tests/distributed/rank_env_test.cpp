// Which process a launcher started as which rank: torchrun's variables, Slurm's, and the errors
// for values a rank cannot run with.

#include "gear/host/distributed/rank_env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "gear/errors.h"

namespace gear {
namespace {

using host::RankSpec;
using Env = std::map<std::string, std::string>;

std::optional<RankSpec> spec_of(const Env& env) {
  return host::rank_spec_from_env([&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

// The ConfigError for `env`, naming `variable`.
std::string refusal(const Env& env, const std::string& variable) {
  try {
    spec_of(env);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "environment " + variable) << e.what();
    return e.message();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

const Env kTorchrun = {{"RANK", "2"},
                       {"WORLD_SIZE", "4"},
                       {"LOCAL_RANK", "0"},
                       {"LOCAL_WORLD_SIZE", "2"},
                       {"MASTER_ADDR", "node7"},
                       {"MASTER_PORT", "29400"}};

TEST(RankEnv, TorchrunVariablesGiveTheRank) {
  const std::optional<RankSpec> spec = spec_of(kTorchrun);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->rank, 2);
  EXPECT_EQ(spec->size, 4);
  EXPECT_EQ(spec->local_rank, 0);
  EXPECT_EQ(spec->local_size, 2);
  EXPECT_EQ(spec->master_addr, "node7");
  EXPECT_EQ(spec->master_port, 29400);
  EXPECT_FALSE(spec->agent_store);
  EXPECT_EQ(spec->source, "torchrun variables");
  Env agent = kTorchrun;
  agent["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  EXPECT_TRUE(spec_of(agent)->agent_store);
}

TEST(RankEnv, NoLauncherOrAWorldOfOneIsASingleProcess) {
  EXPECT_FALSE(spec_of({}));
  EXPECT_FALSE(spec_of({{"WORLD_SIZE", "1"}, {"RANK", "0"}}));
  // A batch script inside an allocation of several tasks, without a rendezvous address.
  EXPECT_FALSE(spec_of({{"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "0"}}));
  EXPECT_FALSE(spec_of({{"SLURM_NTASKS", "1"}, {"SLURM_PROCID", "0"}, {"MASTER_ADDR", "a"}}));
}

TEST(RankEnv, SlurmVariablesGiveTheRankWhenTheJobSaysWhereToMeet) {
  const std::optional<RankSpec> spec = spec_of({{"SLURM_NTASKS", "8"},
                                                {"SLURM_PROCID", "5"},
                                                {"SLURM_LOCALID", "1"},
                                                {"SLURM_NTASKS_PER_NODE", "4"},
                                                {"MASTER_ADDR", "n01"},
                                                {"MASTER_PORT", "12345"}});
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->rank, 5);
  EXPECT_EQ(spec->size, 8);
  EXPECT_EQ(spec->local_rank, 1);
  EXPECT_EQ(spec->local_size, 4);
  EXPECT_EQ(spec->master_addr, "n01");
  EXPECT_EQ(spec->source, "Slurm variables");
  // torchrun's variables win over Slurm's (torchrun inside a Slurm job).
  Env both = kTorchrun;
  both["SLURM_NTASKS"] = "8";
  both["SLURM_PROCID"] = "5";
  EXPECT_EQ(spec_of(both)->rank, 2);
}

TEST(RankEnv, BadValuesAreRefusedNamingTheVariable) {
  Env env = kTorchrun;
  env["RANK"] = "4";
  EXPECT_NE(refusal(env, "RANK").find("is 4, outside 0..3 (WORLD_SIZE = 4)"), std::string::npos);
  env = kTorchrun;
  env["RANK"] = "two";
  EXPECT_NE(refusal(env, "RANK").find("'two' is not an integer"), std::string::npos);
  env = kTorchrun;
  env.erase("RANK");
  EXPECT_NE(refusal(env, "RANK").find("is not set"), std::string::npos);
  env = kTorchrun;
  env["WORLD_SIZE"] = "0";
  EXPECT_NE(refusal(env, "WORLD_SIZE").find("at least 1"), std::string::npos);
  env = kTorchrun;
  env.erase("MASTER_ADDR");
  EXPECT_NE(refusal(env, "MASTER_ADDR").find("is not set"), std::string::npos);
  env = kTorchrun;
  env.erase("MASTER_PORT");
  EXPECT_NE(refusal(env, "MASTER_PORT").find("is not set"), std::string::npos);
  env = kTorchrun;
  env["MASTER_PORT"] = "70000";
  EXPECT_NE(refusal(env, "MASTER_PORT").find("outside 1..65535"), std::string::npos);
  env = kTorchrun;
  env["LOCAL_RANK"] = "-1";
  EXPECT_NE(refusal(env, "LOCAL_RANK").find("outside 0..3"), std::string::npos);
  env = kTorchrun;
  env["LOCAL_WORLD_SIZE"] = "5";
  EXPECT_NE(refusal(env, "LOCAL_WORLD_SIZE").find("outside 1..4"), std::string::npos);
  EXPECT_NE(
      refusal({{"SLURM_NTASKS", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, "SLURM_PROCID")
          .find("is not set"),
      std::string::npos);
}

}  // namespace
}  // namespace gear

#pragma once

/// @file
/// This process's rank of a data-parallel run: the collectives the trainer uses, failures that
/// name the rank that stopped, and gear::Ranks (gear/ranks.h) for the SDK's layers.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gear/host/distributed/process_group.h"
#include "gear/host/distributed/rank_env.h"
#include "gear/ranks.h"

namespace gear::host {

/// One rank. Collectives are called from one thread at a time, by every rank in the same order.
/// A collective that fails (a rank died, or did not answer within the timeout) throws
/// std::runtime_error that names the ranks that stopped answering: every rank beats a counter
/// in the store twice a second, and a rank whose counter stands still is the one that stopped.
class World : public gear::Ranks {
 public:
  /// Joins the ranks `spec` describes (process_group.h), waiting up to `timeout` for all of
  /// them; the same timeout bounds every later collective.
  World(const RankSpec& spec, std::chrono::milliseconds timeout);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int rank() const override { return spec_.rank; }
  int size() const override { return spec_.size; }
  const RankSpec& spec() const { return spec_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  torch::Tensor all_gather(const torch::Tensor& part) override;
  /// Starts summing `tensor` in place across ranks (borrowed until the result's wait()).
  PendingReduce all_reduce_sum(torch::Tensor tensor);
  /// Waits for `pending`, turning a failure into fail(what, ...).
  void wait(PendingReduce& pending, const std::string& what);
  /// The sum over ranks of `tensor` (a new tensor; `tensor` is unchanged).
  torch::Tensor sum(const torch::Tensor& tensor, const std::string& what);
  /// Replaces `tensor` (contiguous, on the CPU) by its sum over ranks; a failure names `what`
  /// and the ranks that stopped, as sum() does.
  void sum_in_place(torch::Tensor& tensor, const std::string& what);
  /// Overwrites `tensor` (contiguous) on every rank with rank `root`'s.
  void broadcast(torch::Tensor& tensor, int root);
  /// Whether `flag` is true on any rank: how ranks agree to pause or stop at the same step.
  bool any(bool flag, const std::string& what);
  /// Rank 0's `text` on every rank (other ranks' `text` is ignored), through the store under
  /// `key`; waits up to the timeout for rank 0.
  std::string from_rank0(const std::string& key, const std::string& text);
  /// Throws gear::ConfigError when `text` (the resolved pipeline) differs between ranks,
  /// naming the first rank that differs from rank 0.
  void check_same_pipeline(const std::string& text);
  /// Leaves `why` in the store for the other ranks' reports (best effort, never throws).
  void report_failure(const std::string& why) noexcept;
  /// Throws std::runtime_error: collective `what` failed with `error`, and which ranks stopped.
  [[noreturn]] void fail(const std::string& what, const std::exception& error);
  /// "rank 1 of 4".
  std::string label() const;

  /// Time this rank spent blocked in collectives of one kind, and the bytes it sent into them.
  struct Traffic {
    double seconds = 0.0;
    int64_t calls = 0;
    int64_t bytes = 0;
  };
  /// Adds one blocking wait of `seconds` over `bytes` to `kind` ("gradients", "statistics").
  void count(const std::string& kind, double seconds, int64_t bytes);
  /// The totals so far, by kind.
  std::map<std::string, Traffic> traffic() const;

 private:
  std::string who_stopped();

  mutable std::mutex traffic_mutex_;
  std::map<std::string, Traffic> traffic_;

  RankSpec spec_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<ProcessGroup> group_;
  std::unique_ptr<StoreClient> beat_store_;
  std::atomic<bool> beating_{true};
  std::thread beat_;
};

/// The process's World while a data-parallel run is joined, else nullptr.
World* current_world();

/// Installs `world` (borrowed; nullptr removes it) for the process.
void set_current_world(World* world);

/// Makes `world` the SDK's gear::current_ranks() until destroyed: around training steps, where
/// each rank holds a share of every batch.
class LiveRanks {
 public:
  explicit LiveRanks(World& world) { gear::set_current_ranks(&world); }
  ~LiveRanks() { gear::set_current_ranks(nullptr); }
  LiveRanks(const LiveRanks&) = delete;
  LiveRanks& operator=(const LiveRanks&) = delete;
};

}  // namespace gear::host

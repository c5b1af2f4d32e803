#pragma once

/// @file
/// The collectives a data-parallel run needs, on torch's c10d: a Gloo process group and the
/// TCPStore it meets through. c10d's headers stay in process_group.cpp; nothing else sees them.

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gear/host/distributed/rank_env.h"

namespace gear::host {

/// Whether this build has c10d's Gloo process group (LibTorch with Gloo's headers); without it
/// every constructor below throws std::runtime_error saying so.
bool gloo_available();

/// A c10d TCPStore hosted by this process (the --nproc launcher): the ranks' rendezvous, which
/// outlives any rank. Listens on `host`:`port` (0: a free port the system picks).
class StoreServer {
 public:
  /// Throws std::invalid_argument naming the address when it cannot listen (a port in use).
  StoreServer(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~StoreServer();
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;
  int port() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A key-value connection to the run's store (thread-compatible: one thread at a time).
class StoreClient {
 public:
  StoreClient(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~StoreClient();
  StoreClient(const StoreClient&) = delete;
  StoreClient& operator=(const StoreClient&) = delete;
  void set(const std::string& key, const std::string& value);
  /// Waits up to the timeout for `key`; throws std::runtime_error when it does not appear.
  std::string get(const std::string& key);
  /// Whether `key` is set now (does not wait).
  bool has(const std::string& key);
  /// Adds `delta` to the integer at `key` (0 when unset) and returns the sum.
  int64_t add(const std::string& key, int64_t delta);

 private:
  struct State;
  std::unique_ptr<State> state_;
  friend class ProcessGroup;
};

/// An all-reduce in flight; wait() blocks until it is done (and rethrows its failure).
class PendingReduce {
 public:
  struct State;
  explicit PendingReduce(std::shared_ptr<State> state);
  PendingReduce() = default;
  void wait();
  bool valid() const { return state_ != nullptr; }

 private:
  std::shared_ptr<State> state_;
};

/// This rank's member of the run's Gloo process group. Collectives must be called by every rank
/// in the same order, from one thread at a time; they throw std::runtime_error (c10d's message)
/// when a peer is gone or does not answer within `timeout`.
class ProcessGroup {
 public:
  /// Joins the group through the store at spec.master_addr:master_port (hosting it when
  /// spec.rank == 0 and not spec.agent_store), waiting up to `timeout` for every rank. Gloo
  /// connects through `interface` (a network interface name, e.g. from GLOO_SOCKET_IFNAME) or,
  /// when empty, through the address of `hostname` (empty: this machine's name).
  ProcessGroup(const RankSpec& spec, std::chrono::milliseconds timeout,
               const std::string& interface, const std::string& hostname);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Starts summing `tensor` (a CPU or CUDA tensor, contiguous, borrowed until wait()) across
  /// ranks in place.
  PendingReduce all_reduce_sum(torch::Tensor tensor);
  /// Every rank's `part` (same shape and dtype), stacked in rank order.
  torch::Tensor all_gather(const torch::Tensor& part);
  /// Overwrites `tensor` on every rank with rank `root`'s.
  void broadcast(torch::Tensor& tensor, int root);
  /// The group's store (the rendezvous's keys live under their own prefix).
  StoreClient& store() { return *store_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::unique_ptr<StoreClient> store_;
  int rank_ = 0, size_ = 1;
};

}  // namespace gear::host

#pragma once

/// @file
/// Worker threads for batch-split training: each runs its tensor ops with one intra-op thread.

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gear::host {

/// A fixed set of threads that run one job at a time, each with its rank. While a pool lives the
/// process's intra-op thread count is 1 (its constructor sets it and starts the workers, which
/// start from it; its destructor restores the previous count): with the workers owning the cores,
/// a team of OpenMP threads behind the calling thread would only spin against them.
class WorkerPool {
 public:
  /// Starts `workers` >= 1 threads.
  explicit WorkerPool(int workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }

  /// Runs job(rank) on every worker and waits for all. If any throw, `on_failure` is called once
  /// from the first failing worker (to release the others, e.g. BatchSplit::abort), and that
  /// worker's exception is rethrown here after all have finished. Both are borrowed for the call.
  void run(const std::function<void(int)>& job, const std::function<void()>& on_failure = {});

 private:
  void loop(int rank);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_, finished_;
  const std::function<void(int)>* job_ = nullptr;
  const std::function<void()>* on_failure_ = nullptr;
  std::exception_ptr error_;
  unsigned long generation_ = 0;
  int running_ = 0;
  bool stop_ = false;
  int previous_threads_ = 1;
};

}  // namespace gear::host

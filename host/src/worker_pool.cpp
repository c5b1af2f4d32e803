#include "gear/host/worker_pool.h"

#include <ATen/Parallel.h>

#include <stdexcept>
#include <utility>

namespace gear::host {

WorkerPool::WorkerPool(int workers) {
  if (workers < 1) throw std::invalid_argument("WorkerPool: workers must be >= 1");
  previous_threads_ = at::get_num_threads();
  // Also the count new threads start from; set before the workers exist, so each begins at 1.
  at::set_num_threads(1);
  threads_.reserve(static_cast<size_t>(workers));
  for (int rank = 0; rank < workers; ++rank) threads_.emplace_back([this, rank] { loop(rank); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& thread : threads_) thread.join();
  at::set_num_threads(previous_threads_);
}

void WorkerPool::loop(int rank) {
  unsigned long seen = 0;
  while (true) {
    std::unique_lock<std::mutex> lock(mutex_);
    start_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const auto* job = job_;
    lock.unlock();
    std::exception_ptr failure;
    try {
      (*job)(rank);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    if (failure && !error_) {
      error_ = failure;
      if (on_failure_ && *on_failure_) {
        lock.unlock();
        (*on_failure_)();
        lock.lock();
      }
    }
    if (--running_ == 0) finished_.notify_all();
  }
}

void WorkerPool::run(const std::function<void(int)>& job, const std::function<void()>& on_failure) {
  std::unique_lock<std::mutex> lock(mutex_);
  job_ = &job;
  on_failure_ = &on_failure;
  error_ = nullptr;
  running_ = workers();
  ++generation_;
  start_.notify_all();
  finished_.wait(lock, [&] { return running_ == 0; });
  job_ = nullptr;
  on_failure_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace gear::host

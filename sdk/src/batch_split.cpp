#include "gear/batch_split.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace gear {
namespace {
thread_local BatchSplitMember current_member{nullptr, 0};

// A rendezvous is tens of microseconds of work apart on the two sides; waiting on a condition
// variable costs a wake-up (tens of microseconds on a VM) per layer and pass. Spin this long
// first, yielding, before sleeping.
constexpr auto kSpin = std::chrono::microseconds(200);
}  // namespace

BatchSplittable::~BatchSplittable() = default;

struct BatchSplit::State {
  explicit State(int n) : workers(n), parts(n), tags(n) {}
  const int workers;
  std::mutex mutex;
  std::condition_variable done;
  std::vector<torch::Tensor> parts;  // this round's contributions, by rank
  std::vector<const void*> tags;
  std::vector<torch::Tensor> result;  // the last completed round
  std::string result_error;           // non-empty: the last round's tags disagreed
  int arrived = 0;
  std::atomic<uint64_t> round{0};  // completed rounds
  std::string aborted;
};

BatchSplit::BatchSplit(int workers) {
  if (workers < 1) throw std::invalid_argument("BatchSplit: workers must be >= 1");
  state_ = std::make_unique<State>(workers);
}

BatchSplit::~BatchSplit() = default;

int BatchSplit::workers() const { return state_->workers; }

std::vector<torch::Tensor> BatchSplit::all_gather(int rank, const torch::Tensor& part,
                                                  const void* tag) {
  State& s = *state_;
  if (rank < 0 || rank >= s.workers)
    throw std::invalid_argument("BatchSplit::all_gather: rank " + std::to_string(rank) +
                                " outside 0.." + std::to_string(s.workers - 1));
  if (s.workers == 1) return {part};
  std::unique_lock<std::mutex> lock(s.mutex);
  if (!s.aborted.empty()) throw std::runtime_error(s.aborted);
  const uint64_t my_round = s.round.load();
  s.parts[rank] = part;
  s.tags[rank] = tag;
  if (++s.arrived == s.workers) {
    s.result_error.clear();
    for (int r = 1; r < s.workers; ++r) {
      if (s.tags[r] != s.tags[0]) {
        s.result_error = "batch split: workers reached different synchronisation points (worker " +
                         std::to_string(r) + " differs from worker 0); the net's forward or " +
                         "backward does not take the same path on every share of the batch";
      }
    }
    s.result.swap(s.parts);
    s.parts.assign(static_cast<size_t>(s.workers), torch::Tensor());
    s.arrived = 0;
    s.round.store(my_round + 1);
    lock.unlock();
    s.done.notify_all();
    lock.lock();
  } else {
    lock.unlock();
    const auto until = std::chrono::steady_clock::now() + kSpin;
    while (s.round.load() == my_round && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    lock.lock();
    s.done.wait(lock, [&] { return s.round.load() != my_round || !s.aborted.empty(); });
    if (s.round.load() == my_round) throw std::runtime_error(s.aborted);
  }
  // The next round cannot complete (and replace `result`) before this worker joins it.
  if (!s.result_error.empty()) throw std::logic_error(s.result_error);
  return s.result;
}

void BatchSplit::abort(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->aborted.empty())
      state_->aborted =
          "batch split aborted: " + (why.empty() ? std::string("a worker failed") : why);
  }
  state_->done.notify_all();
}

const BatchSplitMember* current_batch_split() {
  return current_member.split ? &current_member : nullptr;
}

BatchSplitScope::BatchSplitScope(BatchSplit& split, int rank) {
  if (current_member.split) throw std::logic_error("BatchSplitScope: scopes do not nest");
  current_member = {&split, rank};
}

BatchSplitScope::~BatchSplitScope() { current_member = {nullptr, 0}; }

}  // namespace gear

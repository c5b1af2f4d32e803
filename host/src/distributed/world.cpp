#include "gear/host/distributed/world.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <stdexcept>
#include <vector>

#include "gear/errors.h"
#include "gear/host/distributed/error_text.h"

namespace gear::host {
namespace {

std::atomic<World*> installed{nullptr};

constexpr auto kBeatEvery = std::chrono::milliseconds(500);
// How long a failure report watches the counters: several beats, so a live rank always moves.
constexpr auto kBeatWatch = std::chrono::milliseconds(2500);

std::string beat_key(int rank) { return "gear/beat/" + std::to_string(rank); }
std::string failed_key(int rank) { return "gear/failed/" + std::to_string(rank); }

}  // namespace

World::World(const RankSpec& spec, std::chrono::milliseconds timeout)
    : spec_(spec), timeout_(timeout) {
  group_ = std::make_unique<ProcessGroup>(
      spec, timeout, std::getenv("GLOO_SOCKET_IFNAME") ? std::getenv("GLOO_SOCKET_IFNAME") : "",
      spec.master_addr == "127.0.0.1" || spec.master_addr == "localhost" ? "127.0.0.1" : "");
  beat_store_ = std::make_unique<StoreClient>(spec.master_addr, spec.master_port, timeout);
  beat_ = std::thread([this] {
    while (beating_.load()) {
      try {
        beat_store_->add(beat_key(spec_.rank), 1);
      } catch (const std::exception&) {
        return;  // the store is gone; the next collective reports it
      }
      std::this_thread::sleep_for(kBeatEvery);
    }
  });
}

World::~World() {
  beating_.store(false);
  if (beat_.joinable()) beat_.join();
}

std::string World::label() const {
  return "rank " + std::to_string(spec_.rank) + " of " + std::to_string(spec_.size);
}

std::string World::who_stopped() {
  try {
    StoreClient store(spec_.master_addr, spec_.master_port, std::chrono::seconds(5));
    std::vector<int64_t> before(static_cast<size_t>(spec_.size));
    for (int r = 0; r < spec_.size; ++r) before[r] = store.add(beat_key(r), 0);
    std::this_thread::sleep_for(kBeatWatch);
    std::string stopped;
    for (int r = 0; r < spec_.size; ++r) {
      if (r == spec_.rank) continue;
      std::string why;
      if (store.has(failed_key(r))) why = ": " + store.get(failed_key(r));
      if (store.add(beat_key(r), 0) == before[r] || !why.empty())
        stopped += (stopped.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) +
                   (why.empty() ? " stopped answering (it died or hangs)" : " failed" + why);
    }
    return stopped.empty() ? "every other rank is still running" : stopped;
  } catch (const std::exception&) {
    return spec_.agent_store ? "the launcher's rendezvous store is gone"
                             : "the rendezvous store on rank 0 is gone: rank 0 ended";
  }
}

void World::fail(const std::string& what, const std::exception& error) {
  const std::string stopped = who_stopped();
  throw std::runtime_error(label() + ": " + what + " failed (" + error_text(error) + "); " +
                           stopped + " (collectives wait up to " +
                           std::to_string(timeout_.count() / 1000) + " s: --rank-timeout)");
}

void World::report_failure(const std::string& why) noexcept {
  try {
    StoreClient store(spec_.master_addr, spec_.master_port, std::chrono::seconds(2));
    store.set(failed_key(spec_.rank), why.substr(0, 400));
  } catch (...) {
  }
}

void World::count(const std::string& kind, double seconds, int64_t bytes) {
  std::lock_guard<std::mutex> lock(traffic_mutex_);
  Traffic& t = traffic_[kind];
  t.seconds += seconds;
  t.calls += 1;
  t.bytes += bytes;
}

std::map<std::string, World::Traffic> World::traffic() const {
  std::lock_guard<std::mutex> lock(traffic_mutex_);
  return traffic_;
}

torch::Tensor World::all_gather(const torch::Tensor& part) {
  const auto start = std::chrono::steady_clock::now();
  try {
    torch::Tensor all = group_->all_gather(part);
    count("statistics",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          part.numel() * static_cast<int64_t>(part.element_size()));
    return all;
  } catch (const std::exception& e) {
    fail("an all-gather of batch statistics", e);
  }
}

PendingReduce World::all_reduce_sum(torch::Tensor tensor) {
  return group_->all_reduce_sum(std::move(tensor));
}

void World::wait(PendingReduce& pending, const std::string& what) {
  try {
    pending.wait();
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

torch::Tensor World::sum(const torch::Tensor& tensor, const std::string& what) {
  torch::Tensor total = tensor.detach().clone().contiguous();
  sum_in_place(total, what);
  return total;
}

void World::sum_in_place(torch::Tensor& tensor, const std::string& what) {
  PendingReduce pending;
  try {
    pending = group_->all_reduce_sum(tensor);
  } catch (const std::exception& e) {
    fail(what, e);
  }
  wait(pending, what);
}

void World::broadcast(torch::Tensor& tensor, int root) {
  try {
    group_->broadcast(tensor, root);
  } catch (const std::exception& e) {
    fail("a broadcast of rank " + std::to_string(root) + "'s tensors", e);
  }
}

bool World::any(bool flag, const std::string& what) {
  return sum(torch::tensor({flag ? 1 : 0}, torch::kInt32), what).item<int>() > 0;
}

std::string World::from_rank0(const std::string& key, const std::string& text) {
  const std::string full = "gear/shared/" + key;
  try {
    if (spec_.rank == 0) {
      group_->store().set(full, text);
      return text;
    }
    return group_->store().get(full);
  } catch (const std::exception& e) {
    fail("reading '" + key + "' from rank 0", e);
  }
}

void World::check_same_pipeline(const std::string& text) {
  const int64_t hash = static_cast<int64_t>(std::hash<std::string>{}(text) >> 1);
  torch::Tensor all = all_gather(torch::tensor({hash}, torch::kInt64));
  for (int r = 1; r < spec_.size; ++r)
    if (all[r].item<int64_t>() != all[0].item<int64_t>())
      throw ConfigError({}, "ranks",
                        "rank " + std::to_string(r) +
                            "'s resolved pipeline differs from rank 0's (hash " +
                            std::to_string(all[r].item<int64_t>()) + " vs " +
                            std::to_string(all[0].item<int64_t>()) +
                            "): start every rank with the same pipeline file, overrides and "
                            "plugins");
}

World* current_world() { return installed.load(std::memory_order_acquire); }

void set_current_world(World* world) { installed.store(world, std::memory_order_release); }

}  // namespace gear::host

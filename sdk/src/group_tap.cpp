// Observing a channel group's activations and gradients at the taps an architecture places in
// its forward pass.
#include <torch/autograd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "gear/growable_net.h"

namespace gear {
namespace detail {

struct GroupObservers {
  struct Entry {
    uint64_t id;
    std::string group;
    ActivationObserver on_forward;
    GradientObserver on_backward;
    ActivationTransform transform;
  };
  std::mutex mutex;
  std::vector<Entry> entries;
  std::set<std::string> tapped;
  uint64_t next_id = 1;
  // Read without the lock on every tap: the common case (nobody observes) costs one load.
  std::atomic<size_t> active{0};

  std::vector<Entry> of(const std::string& group) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<Entry> out;
    for (const auto& e : entries)
      if (e.group == group) out.push_back(e);
    return out;
  }
  void remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it =
        std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.id == id; });
    if (it == entries.end()) return;
    entries.erase(it);
    active.store(entries.size(), std::memory_order_release);
  }
};

}  // namespace detail

bool GroupTap::observed() const {
  return observers_ && observers_->active.load(std::memory_order_acquire) != 0 &&
         !observers_->of(group_).empty();
}

torch::Tensor GroupTap::operator()(const torch::Tensor& x) const {
  if (!observers_ || observers_->active.load(std::memory_order_acquire) == 0) return x;
  const auto entries = observers_->of(group_);
  if (entries.empty()) return x;
  const torch::Tensor activation = x.detach();
  bool backward = false;
  for (const auto& e : entries) {
    if (e.on_forward) e.on_forward(activation);
    backward = backward || static_cast<bool>(e.on_backward);
  }
  torch::Tensor out = x;
  for (const auto& e : entries)
    if (e.transform) out = e.transform(out);
  if (!backward || !torch::GradMode::is_enabled()) return out;
  if (!out.is_same(x))
    throw std::logic_error("group '" + group_ +
                           "': a gradient observer and an activation transform cannot be "
                           "attached to one group at once");
  // Where nothing before the tap needs a gradient (frozen weights, an input that needs none),
  // the backward pass starts here: the observer gets its gradient, and autograd computes none
  // into the layers before the tap (scoring passes need the activation gradients alone).
  torch::Tensor hooked = x.requires_grad() ? x : x.detach().requires_grad_(true);
  std::vector<GradientObserver> observers;
  for (const auto& e : entries)
    if (e.on_backward) observers.push_back(e.on_backward);
  hooked.register_hook([observers, activation](const torch::Tensor& gradient) {
    const torch::Tensor g = gradient.detach();
    for (const auto& observe : observers) observe(activation, g);
  });
  // The pass goes on with a copy: in-place ops after the tap (relu_) must not change the
  // activation the hook reports, nor the tensor autograd hooked.
  return hooked.clone();
}

GroupObservation::GroupObservation(GroupObservation&& other) noexcept
    : observers_(std::move(other.observers_)), id_(other.id_) {
  other.id_ = 0;
}

GroupObservation& GroupObservation::operator=(GroupObservation&& other) noexcept {
  if (this != &other) {
    reset();
    observers_ = std::move(other.observers_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

GroupObservation::~GroupObservation() { reset(); }

void GroupObservation::reset() {
  if (auto observers = observers_.lock(); observers && id_ != 0) observers->remove(id_);
  observers_.reset();
  id_ = 0;
}

namespace {

// Consumer taps share the observer table under a key no group name starts with.
std::string consumed_key(const std::string& name) { return "\x1f" + name; }

}  // namespace

GroupTap GrowableNet::tap_at(const std::string& key) {
  if (!observers_) observers_ = std::make_shared<detail::GroupObservers>();
  {
    std::lock_guard<std::mutex> lock(observers_->mutex);
    observers_->tapped.insert(key);
  }
  GroupTap tap;
  tap.observers_ = observers_;
  tap.group_ = key;
  return tap;
}

GroupTap GrowableNet::tap(const std::string& name) { return tap_at(name); }

GroupTap GrowableNet::consumer_tap(const std::string& name) { return tap_at(consumed_key(name)); }

bool GrowableNet::tapped(const std::string& key) const {
  if (!observers_) return false;
  std::lock_guard<std::mutex> lock(observers_->mutex);
  return observers_->tapped.count(key) != 0;
}

bool GrowableNet::group_tapped(const std::string& name) const { return tapped(name); }

bool GrowableNet::group_consumer_tapped(const std::string& name) const {
  return tapped(consumed_key(name));
}

GroupObservation GrowableNet::attach(const std::string& name, const std::string& key,
                                     ActivationObserver on_forward, GradientObserver on_backward,
                                     ActivationTransform transform) {
  group(name);  // throws for an unknown group, listing the names
  if (!tapped(key))
    throw std::invalid_argument("group '" + name + "' has no " +
                                (key == name ? "tap" : "consumer tap") +
                                " in this architecture's forward pass, so " +
                                (key == name ? "its activations cannot be observed"
                                             : "what its consumers read cannot be "
                                               "transformed"));
  GroupObservation observation;
  std::lock_guard<std::mutex> lock(observers_->mutex);
  observation.id_ = observers_->next_id++;
  observation.observers_ = observers_;
  observers_->entries.push_back(
      {observation.id_, key, std::move(on_forward), std::move(on_backward), std::move(transform)});
  observers_->active.store(observers_->entries.size(), std::memory_order_release);
  return observation;
}

GroupObservation GrowableNet::observe(const std::string& name, ActivationObserver on_forward,
                                      GradientObserver on_backward) {
  return attach(name, name, std::move(on_forward), std::move(on_backward), {});
}

GroupObservation GrowableNet::transform(const std::string& name, ActivationTransform transform) {
  return attach(name, name, {}, {}, std::move(transform));
}

GroupObservation GrowableNet::transform_consumed(const std::string& name,
                                                 ActivationTransform transform) {
  return attach(name, consumed_key(name), {}, {}, std::move(transform));
}

}  // namespace gear

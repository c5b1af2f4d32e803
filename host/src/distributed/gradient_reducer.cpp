#include "gear/host/distributed/gradient_reducer.h"

#include <chrono>
#include <stdexcept>

namespace gear::host {

GradientReducer::GradientReducer(World& world, std::vector<torch::Tensor> params,
                                 int64_t bucket_bytes)
    : world_(world), params_(std::move(params)), bucket_bytes_(bucket_bytes) {
  const size_t n = params_.size();
  arrived_.assign(n, false);
  std::vector<size_t> order;
  for (size_t k = n; k-- > 0;) order.push_back(k);
  lay_out(order);
  for (size_t k = 0; k < n; ++k)
    hooks_.push_back(
        params_[k].register_hook([this, k](const torch::Tensor& grad) { on_gradient(k, grad); }));
}

void GradientReducer::lay_out(const std::vector<size_t>& order) {
  const size_t n = params_.size();
  bucket_of_.assign(n, 0);
  slot_of_.assign(n, 0);
  buckets_.clear();
  std::vector<std::vector<size_t>> groups;
  int64_t bytes = 0;
  for (size_t k : order) {
    const torch::Tensor& p = params_[k];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool fits = !groups.empty() && bytes + size <= bucket_bytes_ &&
                      params_[groups.back().front()].scalar_type() == p.scalar_type() &&
                      params_[groups.back().front()].device() == p.device();
    if (!fits) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(k);
    bytes += size;
  }
  for (auto& group : groups) {
    Bucket bucket;
    int64_t offset = 0;
    for (size_t k : group) {
      bucket_of_[k] = buckets_.size();
      slot_of_[k] = bucket.params.size();
      bucket.params.push_back(k);
      bucket.offsets.push_back(offset);
      offset += params_[k].numel();
    }
    const torch::Tensor& first = params_[group.front()];
    bucket.flat = torch::zeros({offset}, first.options().requires_grad(false));
    buckets_.push_back(std::move(bucket));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t k = 0; k < hooks_.size(); ++k) params_[k].remove_hook(hooks_[k]);
}

void GradientReducer::begin(bool overlap) {
  std::lock_guard<std::mutex> lock(mutex_);
  overlap_ = overlap;
  next_ = 0;
  started_early_ = 0;
  arrivals_.clear();
  std::fill(arrived_.begin(), arrived_.end(), false);
  for (Bucket& bucket : buckets_) {
    bucket.pending = bucket.params.size();
    bucket.started = false;
  }
}

void GradientReducer::on_gradient(size_t param, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!overlap_ || arrived_[param]) return;
  arrived_[param] = true;
  arrivals_.push_back(param);
  Bucket& bucket = buckets_[bucket_of_[param]];
  const int64_t offset = bucket.offsets[slot_of_[param]];
  torch::NoGradGuard no_grad;
  bucket.flat.narrow(0, offset, grad.numel()).view(grad.sizes()).copy_(grad);
  if (--bucket.pending == 0) {
    const size_t before = next_;
    start_ready();
    started_early_ += static_cast<int64_t>(next_ - before);
  }
}

void GradientReducer::start(size_t index) {
  Bucket& bucket = buckets_[index];
  bucket.reduce = world_.all_reduce_sum(bucket.flat);
  bucket.started = true;
}

// Buckets start in index order on every rank (c10d pairs collectives by order): one whose
// gradients are all in waits for those before it.
void GradientReducer::start_ready() {
  while (next_ < buckets_.size() && buckets_[next_].pending == 0) start(next_++);
}

void GradientReducer::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    torch::NoGradGuard no_grad;
    for (size_t b = next_; b < buckets_.size(); ++b) {
      Bucket& bucket = buckets_[b];
      for (size_t s = 0; s < bucket.params.size(); ++s) {
        const size_t k = bucket.params[s];
        if (arrived_[k]) continue;
        const torch::Tensor& grad = params_[k].grad();
        torch::Tensor slot = bucket.flat.narrow(0, bucket.offsets[s], params_[k].numel());
        if (grad.defined())
          slot.view(grad.sizes()).copy_(grad);
        else
          slot.zero_();  // a parameter this rank's share did not reach
      }
      bucket.pending = 0;
    }
    overlap_ = false;
    start_ready();
  }
  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  int64_t bytes = 0;
  for (Bucket& bucket : buckets_) world_.wait(bucket.reduce, "the all-reduce of gradients");
  for (const Bucket& bucket : buckets_)
    bytes += bucket.flat.numel() * static_cast<int64_t>(bucket.flat.element_size());
  // What backward did not hide: the wait after it.
  world_.count("gradients",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
               bytes);
  for (Bucket& bucket : buckets_) {
    for (size_t s = 0; s < bucket.params.size(); ++s) {
      torch::Tensor& param = params_[bucket.params[s]];
      torch::Tensor sum =
          bucket.flat.narrow(0, bucket.offsets[s], param.numel()).view(param.sizes());
      torch::Tensor& grad = param.mutable_grad();
      if (grad.defined())
        grad.copy_(sum);
      else
        grad = sum.clone(param.suggest_memory_format());
    }
  }
  if (!laid_out_by_arrival_ && !arrivals_.empty()) relayout_by_arrival();
}

// After the first step that overlapped: buckets in the order backward produced the gradients
// (parameters it never reached last), as rank 0 saw it, so every rank lays them out alike.
void GradientReducer::relayout_by_arrival() {
  laid_out_by_arrival_ = true;
  std::vector<int64_t> order(arrivals_.begin(), arrivals_.end());
  std::vector<bool> seen(params_.size(), false);
  for (size_t k : arrivals_) seen[k] = true;
  for (size_t k = params_.size(); k-- > 0;)
    if (!seen[k]) order.push_back(static_cast<int64_t>(k));
  torch::Tensor shared = torch::tensor(order, torch::kInt64);
  world_.broadcast(shared, 0);
  std::vector<size_t> layout;
  for (int64_t i = 0; i < shared.numel(); ++i)
    layout.push_back(static_cast<size_t>(shared[i].item<int64_t>()));
  lay_out(layout);
}

}  // namespace gear::host

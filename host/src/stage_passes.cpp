#include "gear/host/stage_passes.h"

#include <chrono>
#include <map>

#include "gear/host/distributed/world.h"
#include "gear/host/stopwatch.h"

namespace gear::host {

StagePasses::StagePasses(const DeviceData& data, int64_t batch_size, Augmentation* augmentation,
                         Normalizer normalizer, bool prefetch, uint64_t seed, World* world)
    : data_(data),
      batch_size_(batch_size),
      augmentation_(augmentation),
      normalizer_(std::move(normalizer)),
      prefetch_(prefetch),
      seed_(seed),
      world_(world) {}

void StagePasses::for_each_batch(const GrowthContext::BatchStep& step, int64_t max_batches) {
  run(
      false,
      [&](const torch::Tensor& images, const torch::Tensor& labels, double) {
        step(images, labels);
      },
      max_batches);
}

void StagePasses::for_each_shard(const GrowthContext::ShardStep& step, int64_t max_batches) {
  run(world_ != nullptr, step, max_batches);
}

void StagePasses::run(bool shard, const GrowthContext::ShardStep& step, int64_t max_batches) {
  BatchStream stream(data_, batch_size_, augmentation_, normalizer_, prefetch_);
  if (shard) stream.shard(world_->rank(), world_->size());
  counts_.sharded = counts_.sharded || shard;
  const auto start = std::chrono::steady_clock::now();
  stream.start_epoch(seed_ + 7919 * static_cast<uint64_t>(++counts_.passes), max_batches);
  while (auto batch = stream.next()) {
    const double share =
        static_cast<double>(batch->labels.size(0)) / static_cast<double>(batch->global_samples);
    ++counts_.batches;
    // Several views go as one tensor of all of them, with the labels repeated.
    torch::Tensor images = batch->images, labels = batch->labels;
    if (batch->views.size() > 1) {
      images = torch::cat(batch->views, 0);
      labels = labels.repeat({static_cast<int64_t>(batch->views.size())});
    }
    counts_.samples += images.size(0);
    step(images, labels, share);
  }
  counts_.seconds += seconds_since(start);
}

nlohmann::json passes_json(const PassCounts& counts) {
  return {{"passes", counts.passes},          {"batches", counts.batches},
          {"samples", counts.samples},        {"sharded", counts.sharded},
          {"sums_across_ranks", counts.sums}, {"seconds", counts.seconds},
          {"sum_seconds", counts.sum_seconds}};
}

void StagePasses::sum_across_ranks(const std::vector<torch::Tensor>& tensors) {
  if (!world_ || tensors.empty()) return;
  ++counts_.sums;
  // One buffer per dtype, in the callers' order: the same packing on every rank.
  std::map<torch::ScalarType, std::vector<size_t>> by_dtype;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined())
      throw std::invalid_argument("sum_across_ranks: tensor " + std::to_string(i) +
                                  " is undefined");
    by_dtype[tensors[i].scalar_type()].push_back(i);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [dtype, indices] : by_dtype) {
    std::vector<torch::Tensor> flat;
    for (size_t i : indices) flat.push_back(tensors[i].detach().reshape({-1}).to(torch::kCPU));
    torch::Tensor total = torch::cat(flat);
    const auto start = std::chrono::steady_clock::now();
    world_->sum_in_place(total, "a sum across ranks of a stage's plugin");
    const double seconds = seconds_since(start);
    counts_.sum_seconds += seconds;
    world_->count("stages", seconds, total.numel() * static_cast<int64_t>(total.element_size()));
    int64_t offset = 0;
    for (size_t i : indices) {
      const torch::Tensor& target = tensors[i];
      const int64_t n = target.numel();
      target.detach().copy_(total.slice(0, offset, offset + n).view(target.sizes()));
      offset += n;
    }
  }
}

}  // namespace gear::host

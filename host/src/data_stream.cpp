#include "gear/host/data_stream.h"

#include <torch/torch.h>

#include <stdexcept>
#include <thread>

#include "gear/host/device.h"
#include "gear/host/device_bank.h"

namespace gear::host {

Normalizer::Normalizer(const std::vector<double>& mean, const std::vector<double>& std,
                       const torch::Device& device, bool channels_last)
    : channels_last_(channels_last) {
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  mean_ = torch::tensor(mean, torch::kFloat64).to(options).view({1, -1, 1, 1});
  std_ = torch::tensor(std, torch::kFloat64).to(options).view({1, -1, 1, 1});
}

torch::Tensor Normalizer::operator()(const torch::Tensor& input) const {
  // Reordered while still uint8 (a quarter of the bytes); the float ops below keep the layout.
  const torch::Tensor images = channels_last_ && input.dim() == 4
                                   ? input.contiguous(torch::MemoryFormat::ChannelsLast)
                                   : input;
  torch::Tensor x = images.scalar_type() == torch::kUInt8
                        ? images.to(torch::kFloat32).mul_(1.0 / 255.0)
                        : images.to(torch::kFloat32);
  if (!mean_.defined()) return x;
  return x.sub_(mean_).div_(std_);
}

BatchStream::BatchStream(const DeviceData& data, int64_t batch_size, Augmentation* augmentation,
                         Normalizer normalizer, bool prefetch, bool shuffle)
    : data_(data),
      batch_size_(batch_size),
      augmentation_(augmentation),
      normalizer_(std::move(normalizer)),
      prefetch_(prefetch),
      shuffle_(shuffle) {}

void BatchStream::add_device_views(const DeviceBank* bank, std::vector<int64_t> choices,
                                   int64_t count) {
  devices_ = bank;
  device_choices_ = std::move(choices);
  device_views_ = count;
}

BatchStream::~BatchStream() {
  if (pending_.valid()) pending_.wait();
}

void BatchStream::shard(int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw std::invalid_argument("BatchStream::shard: rank " + std::to_string(rank) + " of " +
                                std::to_string(ranks));
  rank_ = rank;
  ranks_ = ranks;
}

int64_t BatchStream::batches_per_epoch() const {
  const int64_t batches = (data_.size() + batch_size_ - 1) / batch_size_;
  // A last batch with fewer samples than ranks would leave a rank without one: every rank
  // drops it alike.
  const int64_t last = data_.size() - (batches - 1) * batch_size_;
  return batches > 0 && last < ranks_ ? batches - 1 : batches;
}

void BatchStream::start_epoch(uint64_t seed, int64_t max_batches) {
  begin(seed, max_batches, 0, {});
}

void BatchStream::resume_epoch(uint64_t seed, int64_t next_batch,
                               const torch::Tensor& generator_state) {
  begin(seed, 0, next_batch, generator_state);
}

void BatchStream::begin(uint64_t seed, int64_t max_batches, int64_t first_batch,
                        const torch::Tensor& generator_state) {
  if (pending_.valid()) pending_.wait();
  pending_ = {};
  max_batches_ = max_batches;
  torch::Device device = data_.images.device();
  if (shuffle_) {
    torch::Generator cpu = make_generator(torch::kCPU, seed);
    order_ = torch::randperm(data_.size(), cpu, torch::kLong).to(device);
  } else {
    order_ = torch::arange(data_.size(), torch::TensorOptions().dtype(torch::kLong).device(device));
  }
  // Each rank augments its own shares: its own stream (rank 0's is a single process's).
  generator_ = make_generator(device, seed ^ 0x9e3779b97f4a7c15ULL ^
                                          (static_cast<uint64_t>(rank_) * 0x2545f4914f6cdd1dULL));
  if (generator_state.defined()) generator_->set_state(generator_state);
  cursor_ = first_batch;
  if (prefetch_ && cursor_ < batches_per_epoch()) launch(cursor_);
}

Batch BatchStream::make_batch(int64_t index) {
  torch::NoGradGuard no_grad;
  const int64_t global_begin = index * batch_size_;
  const int64_t global = std::min(global_begin + batch_size_, data_.size()) - global_begin;
  // This rank's contiguous share of the global batch: shares differ by at most one sample.
  const int64_t begin = global_begin + global * rank_ / ranks_;
  const int64_t end = global_begin + global * (rank_ + 1) / ranks_;
  torch::Tensor rows = order_.slice(0, begin, end);
  torch::Tensor images = data_.images.index_select(0, rows);
  Batch batch;
  batch.global_samples = global;
  batch.labels = data_.labels.index_select(0, rows);
  torch::Tensor first = images;  // views[0] before normalisation, for the device views
  if (augmentation_) {
    AugmentedBatch augmented = augmentation_->augment(images, *generator_);
    if (augmented.views.empty())
      throw std::runtime_error("augmentation returned no view of the batch");
    for (const auto& view : augmented.views) batch.views.push_back(normalizer_(view));
    batch.consistency_weight = augmented.consistency_weight;
    first = augmented.views.front();
  } else {
    batch.views.push_back(normalizer_(images));
  }
  if (device_views_ > 0) {
    if (first.scalar_type() != torch::kUInt8)
      first = first.mul(255.0).round_().clamp_(0, 255).to(torch::kUInt8);
    for (int64_t v = 0; v < device_views_; ++v)
      batch.views.push_back(
          normalizer_(device_view(*devices_, device_choices_, first, *generator_)));
    batch.device_views = device_views_;
  }
  batch.images = batch.views.front();
  batch.generator_state = generator_->get_state();
  return batch;
}

bool use_prefetch(const std::string& mode, const torch::Device& device, int threads) {
  if (mode == "on") return true;
  if (mode == "off") return false;
  if (mode != "auto") throw std::invalid_argument("prefetch: expected on, off or auto, got " + mode);
  const auto cores = static_cast<int>(std::thread::hardware_concurrency());
  return !device.is_cpu() || threads < cores;
}

void BatchStream::launch(int64_t index) {
  pending_ = std::async(std::launch::async, [this, index] { return make_batch(index); });
}

std::optional<Batch> BatchStream::next() {
  int64_t total = batches_per_epoch();
  if (max_batches_ > 0) total = std::min(total, max_batches_);
  if (cursor_ >= total) return std::nullopt;
  int64_t index = cursor_++;
  if (!prefetch_) return make_batch(index);
  Batch batch = pending_.get();
  if (cursor_ < total) launch(cursor_);
  return batch;
}

}  // namespace gear::host

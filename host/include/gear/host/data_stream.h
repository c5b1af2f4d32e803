#pragma once

#include <torch/types.h>

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "gear/augmentation.h"
#include "gear/device_profile.h"

namespace gear::host {

/// A decoded split resident on the training device.
struct DeviceData {
  torch::Tensor images;  ///< uint8 [N, C, H, W]
  torch::Tensor labels;  ///< int64 [N]
  int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

/// Turns uint8 or [0, 1] float images into normalised float tensors.
class Normalizer {
 public:
  Normalizer() = default;
  /// `channels_last`: return 4-D batches channels-last (see memory_format.h).
  Normalizer(const std::vector<double>& mean, const std::vector<double>& std,
             const torch::Device& device, bool channels_last = false);
  torch::Tensor operator()(const torch::Tensor& images) const;

 private:
  torch::Tensor mean_, std_;
  bool channels_last_ = false;
};

/// A training batch, ready for the model.
struct Batch {
  torch::Tensor images;              ///< normalised views[0]
  std::vector<torch::Tensor> views;  ///< all normalised views (views[0] == images)
  torch::Tensor labels;
  double consistency_weight = 0.0;
  /// How many views, at the end of `views`, are device views (ObjectiveBatch::device_views).
  int64_t device_views = 0;
  /// The stream's generator state once this batch was drawn: where a resumed epoch continues
  /// (BatchStream::resume_epoch) to draw the next batch exactly as an uninterrupted one would.
  torch::Tensor generator_state;
  /// Samples of the global batch this one is a rank's share of (labels.size(0) without ranks).
  int64_t global_samples = 0;
};

/// Whether batches are prepared on a background thread for `mode` ("on", "off", "auto") on
/// `device` with `threads` intra-op threads. "auto" prefetches unless the device is the CPU and
/// the threads already occupy every core: there the second thread competes with the training
/// thread's OpenMP team (measured on 2 cores: about 20% fewer images/s).
bool use_prefetch(const std::string& mode, const torch::Device& device, int threads);

/// Iterates shuffled batches of a DeviceData, gathering, augmenting and normalising each as
/// batched tensor ops; with prefetch on, the next batch is prepared on a background thread while
/// the caller trains on the current one.
class BatchStream {
 public:
  /// `data` and `augmentation` (may be null) are borrowed and must outlive the stream.
  BatchStream(const DeviceData& data, int64_t batch_size, Augmentation* augmentation,
              Normalizer normalizer, bool prefetch, bool shuffle = true);
  ~BatchStream();

  /// Appends `count` device views to every batch: views[0]'s images each passed through one of
  /// `bank`'s profiles `choices`, drawn per image. `bank` is borrowed and must outlive the
  /// stream.
  void add_device_views(const DeviceBank* bank, std::vector<int64_t> choices, int64_t count);
  /// Data parallelism: each batch becomes this rank's contiguous share (of `ranks`) of the global
  /// batch, which is the same on every rank for a seed; augmentation draws from a stream of the
  /// rank's own. An epoch's last batch is dropped when it has fewer samples than ranks.
  void shard(int rank, int ranks);
  /// Starts an epoch: a permutation and augmentation stream derived from `seed`. With
  /// `max_batches` > 0 the epoch ends after that many batches, and none past them is prepared.
  void start_epoch(uint64_t seed, int64_t max_batches = 0);
  /// Continues the epoch of `seed` at batch `next_batch`, with the generator in
  /// `generator_state` (the state recorded in the batch before it): the batches that follow are
  /// those start_epoch(seed) would have given from there.
  void resume_epoch(uint64_t seed, int64_t next_batch, const torch::Tensor& generator_state);
  /// The next batch, or nullopt at the end of the epoch.
  std::optional<Batch> next();
  int64_t batches_per_epoch() const;

 private:
  Batch make_batch(int64_t index);
  void launch(int64_t index);
  void begin(uint64_t seed, int64_t max_batches, int64_t first_batch,
             const torch::Tensor& generator_state);

  const DeviceData& data_;
  int64_t batch_size_;
  Augmentation* augmentation_;
  const DeviceBank* devices_ = nullptr;
  std::vector<int64_t> device_choices_;
  int64_t device_views_ = 0;
  Normalizer normalizer_;
  bool prefetch_;
  bool shuffle_;
  torch::Tensor order_;
  std::optional<torch::Generator> generator_;
  int64_t cursor_ = 0;
  int rank_ = 0, ranks_ = 1;
  int64_t max_batches_ = 0;
  std::future<Batch> pending_;
};

}  // namespace gear::host

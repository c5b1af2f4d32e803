#include "gear/host/trainer.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/loss.h>

#include <chrono>
#include <optional>

#include "gear/host/batch_split_step.h"
#include "gear/host/stopwatch.h"
#include "gear/host/worker_pool.h"

namespace gear::host {
namespace F = torch::nn::functional;

torch::Tensor correct_count(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.detach().argmax(1).eq(labels).sum();
}

torch::Tensor jensen_shannon(const std::vector<torch::Tensor>& logits) {
  std::vector<torch::Tensor> probs;
  for (const auto& l : logits) probs.push_back(F::softmax(l, F::SoftmaxFuncOptions(1)));
  torch::Tensor mixture = torch::stack(probs).mean(0).clamp(1e-7, 1.0).log();
  torch::Tensor total = torch::zeros({}, mixture.options());
  for (const auto& p : probs)
    total = total + F::kl_div(mixture, p, F::KLDivFuncOptions().reduction(torch::kBatchMean));
  return total / static_cast<double>(probs.size());
}

torch::Tensor batch_loss(GrowableNet& net, const Batch& batch, double label_smoothing,
                         torch::Tensor* clean_logits) {
  auto ce = F::CrossEntropyFuncOptions().label_smoothing(label_smoothing);
  if (batch.views.size() > 1 && batch.consistency_weight > 0.0) {
    torch::Tensor all = net.forward(torch::cat(batch.views, 0));
    std::vector<torch::Tensor> parts = all.chunk(static_cast<int64_t>(batch.views.size()), 0);
    if (clean_logits) *clean_logits = parts.front();
    return F::cross_entropy(parts.front(), batch.labels, ce) +
           batch.consistency_weight * jensen_shannon(parts);
  }
  torch::Tensor logits = net.forward(batch.images);
  if (clean_logits) *clean_logits = logits;
  return F::cross_entropy(logits, batch.labels, ce);
}

PassStats train_epoch(GrowableNet& net, BatchStream& stream, torch::optim::Optimizer& optimizer,
                      const LrSchedule& schedule, int64_t epoch, double label_smoothing,
                      Progress& progress, int split_workers) {
  net.train();
  std::optional<WorkerPool> pool;
  if (split_workers > 1) pool.emplace(split_workers);
  const auto start = std::chrono::steady_clock::now();
  const int64_t steps = stream.batches_per_epoch();
  // Accumulate on the device; one synchronising read per progress update, not per step.
  torch::Tensor loss_sum, correct_sum;
  int64_t samples = 0, step = 0;
  double shown_loss = 0.0, shown_acc = 0.0;
  while (auto batch = stream.next()) {
    set_lr(optimizer, schedule.at(static_cast<double>(epoch) +
                                  static_cast<double>(step) / static_cast<double>(steps)));
    optimizer.zero_grad();
    torch::Tensor loss, batch_correct;
    if (pool) {
      StepResult result = split_step(net, *batch, label_smoothing, *pool);
      loss = result.loss;
      batch_correct = result.correct;
    } else {
      torch::Tensor logits;
      loss = batch_loss(net, *batch, label_smoothing, &logits);
      loss.backward();
      batch_correct = correct_count(logits, batch->labels);
    }
    optimizer.step();
    const int64_t n = batch->labels.size(0);
    torch::Tensor batch_loss_sum = loss.detach() * static_cast<double>(n);
    loss_sum = loss_sum.defined() ? loss_sum + batch_loss_sum : batch_loss_sum;
    correct_sum = correct_sum.defined() ? correct_sum + batch_correct : batch_correct;
    samples += n;
    ++step;
    if (step % 20 == 0 || step == steps) {
      shown_loss = loss_sum.item<double>() / static_cast<double>(samples);
      shown_acc = correct_sum.item<double>() / static_cast<double>(samples);
      progress.update(step, samples, shown_loss, shown_acc);
    }
  }
  PassStats stats;
  stats.samples = samples;
  if (samples > 0) {
    stats.loss = loss_sum.item<double>() / static_cast<double>(samples);
    stats.accuracy = correct_sum.item<double>() / static_cast<double>(samples);
  }
  stats.seconds = seconds_since(start);
  return stats;
}

PassStats evaluate(GrowableNet& net, const DeviceData& data, int64_t batch_size,
                   const Normalizer& normalizer) {
  const auto start = std::chrono::steady_clock::now();
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard no_grad;
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    int64_t end = std::min(begin + batch_size, data.size());
    torch::Tensor logits = net.forward(normalizer(data.images.slice(0, begin, end)));
    torch::Tensor labels = data.labels.slice(0, begin, end);
    loss_sum +=
        F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    correct += correct_count(logits, labels).item<int64_t>();
  }
  net.train(was_training);
  PassStats stats;
  stats.samples = data.size();
  if (stats.samples > 0) {
    stats.loss = loss_sum / static_cast<double>(stats.samples);
    stats.accuracy = static_cast<double>(correct) / static_cast<double>(stats.samples);
  }
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace gear::host

#include "gear/host/trainer.h"

#include <torch/nn/functional/loss.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "gear/host/batch_split_step.h"
#include "gear/host/distributed/gradient_reducer.h"
#include "gear/host/distributed/world.h"
#include "gear/host/precision.h"
#include "gear/host/stopwatch.h"
#include "gear/host/worker_pool.h"

namespace gear::host {
namespace F = torch::nn::functional;

torch::Tensor correct_count(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.detach().argmax(1).eq(labels).sum();
}

nlohmann::json to_json(const PassStats& stats) {
  return {{"loss", stats.loss},
          {"accuracy", stats.accuracy},
          {"samples", stats.samples},
          {"seconds", stats.seconds},
          {"figures", stats.figures}};
}

PassStats pass_stats_from_json(const nlohmann::json& value) {
  PassStats stats;
  stats.loss = value.at("loss").get<double>();
  stats.accuracy = value.at("accuracy").get<double>();
  stats.samples = value.at("samples").get<int64_t>();
  stats.seconds = value.at("seconds").get<double>();
  stats.figures = value.at("figures").get<std::map<std::string, double>>();
  return stats;
}

ObjectiveBatch objective_batch(const Batch& batch) {
  return {batch.views, batch.labels, batch.consistency_weight, batch.device_views};
}

void check_objective_value(const ObjectiveValue& value, const ObjectiveBatch& batch) {
  if (!value.loss.defined() || value.loss.dim() != 0)
    throw std::runtime_error("the objective returned " +
                             (value.loss.defined()
                                  ? "a loss of shape " + c10::str(value.loss.sizes())
                                  : std::string("no loss")) +
                             "; expected a 0-d tensor");
  if (!value.logits.defined() || value.logits.dim() != 2 ||
      value.logits.size(0) != batch.labels.size(0))
    throw std::runtime_error("the objective returned no logits [N, classes] for the batch's " +
                             std::to_string(batch.labels.size(0)) + " samples");
}

ObjectiveValue compute_objective(Objective& objective, GrowableNet& net, const Batch& batch) {
  const ObjectiveBatch view = objective_batch(batch);
  ObjectiveValue value = objective.compute(net, view);
  check_objective_value(value, view);
  return value;
}

PassStats cursor_stats(const EpochCursor& cursor) {
  PassStats stats;
  stats.samples = cursor.samples;
  if (cursor.samples > 0) {
    const auto n = static_cast<double>(cursor.samples);
    stats.loss = cursor.loss_sum.item<double>() / n;
    stats.accuracy = cursor.correct_sum.item<double>() / n;
    for (const auto& [name, sum] : cursor.figure_sums) stats.figures[name] = sum.item<double>() / n;
  }
  stats.seconds = cursor.seconds;
  return stats;
}

namespace {

// The ranks' sums of what the epoch's steps summed on each: the global batches' stats.
PassStats global_stats(const EpochCursor& cursor, World& world) {
  std::vector<torch::Tensor> parts = {
      torch::tensor({static_cast<double>(cursor.samples)}, torch::kDouble),
      cursor.loss_sum.defined() ? cursor.loss_sum.to(torch::kCPU, torch::kDouble).reshape({1})
                                : torch::zeros({1}, torch::kDouble),
      cursor.correct_sum.defined() ? cursor.correct_sum.to(torch::kCPU, torch::kDouble).reshape({1})
                                   : torch::zeros({1}, torch::kDouble)};
  for (const auto& [name, sum] : cursor.figure_sums)
    parts.push_back(sum.to(torch::kCPU, torch::kDouble).reshape({1}));
  const torch::Tensor total = world.sum(torch::cat(parts), "the sums of the epoch's metrics");
  // The cursor of one process that ran every rank's steps: cursor_stats turns it into means.
  EpochCursor global = cursor;
  global.samples = static_cast<int64_t>(std::llround(total[0].item<double>()));
  global.loss_sum = total[1];
  global.correct_sum = total[2];
  int64_t k = 3;
  for (auto& [name, sum] : global.figure_sums) sum = total[k++];
  return cursor_stats(global);
}

}  // namespace

PassStats train_epoch(GrowableNet& net, BatchStream& stream, torch::optim::Optimizer& optimizer,
                      const LrSchedule& schedule, int64_t epoch, Objective& objective,
                      Progress& progress, int split_workers, EpochCursor& cursor,
                      const PauseCheck& pause, const StepPrecision& precision) {
  net.train();
  const bool autocast = uses_autocast(precision.precision);
  GradScaler* scaler = precision.scaler;
  if (precision.precision == Precision::kFp16 && scaler == nullptr)
    throw std::logic_error("train_epoch: fp16 needs a GradScaler");
  std::vector<torch::Tensor> trainable;
  for (const auto& p : net.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  std::optional<WorkerPool> pool;
  if (split_workers > 1) pool.emplace(split_workers);
  // Data parallelism: gradients summed over ranks, and the SDK's layers exchange batch
  // statistics with the other ranks (gear/ranks.h) for these steps only.
  World* world = current_world();
  std::optional<GradientReducer> reducer;
  std::optional<LiveRanks> live;
  if (world) {
    reducer.emplace(*world, trainable, kGradientBucketBytes);
    live.emplace(*world);
  }
  const auto start = std::chrono::steady_clock::now();
  const double seconds_before = cursor.seconds;
  const int64_t steps = stream.batches_per_epoch();
  cursor.paused = false;
  // Accumulate on the device; one synchronising read per progress update, not per step.
  torch::Tensor& loss_sum = cursor.loss_sum;
  torch::Tensor& correct_sum = cursor.correct_sum;
  int64_t& step = cursor.step;
  while (auto batch = stream.next()) {
    set_lr(optimizer, schedule.at(static_cast<double>(epoch) +
                                  static_cast<double>(step) / static_cast<double>(steps)));
    optimizer.zero_grad();
    StepResult result;
    // Each rank's loss weighs its share of the global batch, so the ranks' gradients sum to the
    // global batch's mean-loss gradient (shares may differ by one sample).
    const int64_t local = batch->labels.size(0);
    const double share =
        world ? static_cast<double>(local) / static_cast<double>(batch->global_samples) : 1.0;
    const double loss_scale = scaler ? scaler->scale() : 1.0;
    if (reducer) reducer->begin(/*overlap=*/!pool);
    if (pool) {
      result = split_step(net, *batch, objective, *pool, share * loss_scale, precision.precision);
    } else {
      ObjectiveValue value;
      {
        // The forward pass only: backward runs outside autocast, as torch recommends.
        std::optional<AutocastScope> scope;
        if (autocast) scope.emplace(batch->images.device(), autocast_dtype(precision.precision));
        value = compute_objective(objective, net, *batch);
      }
      const double weight = share * loss_scale;
      (weight == 1.0 ? value.loss : value.loss * weight).backward();
      result = {value.loss.detach().to(torch::kFloat), correct_count(value.logits, batch->labels),
                std::move(value.figures)};
    }
    if (reducer) reducer->finish();
    // fp16: gradients back to their true scale; an overflow anywhere skips the step everywhere.
    const bool apply = !scaler || scaler->update(scaler->unscale_and_check(trainable, world));
    // Checked before the step is applied, so a NaN never reaches the weights (on the CPU).
    const bool read_now = !result.loss.is_cuda() || (step + 1) % 20 == 0 || step + 1 == steps;
    if (read_now && !std::isfinite(result.loss.item<double>()))
      throw NonFiniteLoss(step + 1, "the loss is " + std::to_string(result.loss.item<double>()));
    if (apply) optimizer.step();
    const int64_t n = batch->labels.size(0);
    for (const auto& [name, figure] : result.figures) {
      torch::Tensor weighted = figure.detach() * static_cast<double>(n);
      auto it = cursor.figure_sums.find(name);
      if (it == cursor.figure_sums.end())
        cursor.figure_sums.emplace(name, weighted);
      else
        it->second = it->second + weighted;
    }
    torch::Tensor batch_loss_sum = result.loss.detach() * static_cast<double>(n);
    loss_sum = loss_sum.defined() ? loss_sum + batch_loss_sum : batch_loss_sum;
    correct_sum = correct_sum.defined() ? correct_sum + result.correct : result.correct;
    cursor.samples += n;
    cursor.generator_state = batch->generator_state;
    ++step;
    if (step % 20 == 0 || step == steps) {
      const auto samples = static_cast<double>(cursor.samples);
      progress.update(step, cursor.samples, loss_sum.item<double>() / samples,
                      correct_sum.item<double>() / samples);
    }
    // Ranks pause at the same step: each asks, and one rank's yes is every rank's.
    if (step < steps && pause &&
        (world ? world->any(pause(step), "agreeing where to pause") : pause(step))) {
      cursor.paused = true;
      break;
    }
  }
  cursor.seconds = seconds_before + seconds_since(start);
  if (world && !cursor.paused) return global_stats(cursor, *world);
  return cursor_stats(cursor);
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

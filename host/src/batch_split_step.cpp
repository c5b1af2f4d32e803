#include "gear/host/batch_split_step.h"

#include <torch/autograd.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "gear/batch_split.h"
#include "gear/host/precision.h"
#include "gear/host/trainer.h"

namespace gear::host {
namespace {

Batch share_of(const Batch& batch, int64_t begin, int64_t end) {
  Batch share;
  share.labels = batch.labels.slice(0, begin, end);
  for (const auto& view : batch.views) share.views.push_back(view.slice(0, begin, end));
  share.images = share.views.front();
  share.consistency_weight = batch.consistency_weight;
  share.device_views = batch.device_views;
  return share;
}

}  // namespace

bool batch_splittable(const GrowableNet& net) {
  return dynamic_cast<const BatchSplittable*>(&net) != nullptr;
}

int batch_split_workers(const std::string& mode, const torch::Device& device, int threads,
                        bool splittable, std::string* refusal) {
  if (mode == "intra_op") return 0;
  if (mode != "auto" && mode != "batch_split")
    throw std::invalid_argument("cpu_parallelism: expected auto, batch_split or intra_op, got " +
                                mode);
  std::string why;
  if (!device.is_cpu()) {
    why = "batch_split is for the CPU; the device is " + device.str();
  } else if (!splittable) {
    why =
        "its net does not support batch splitting (it does not derive from "
        "gear::BatchSplittable); use intra_op";
  }
  if (!why.empty()) {
    if (mode == "batch_split" && refusal) *refusal = why;
    return 0;
  }
  return threads > 1 ? threads : 0;
}

StepResult split_step(GrowableNet& net, const Batch& batch, Objective& objective, WorkerPool& pool,
                      double gradient_scale, Precision precision) {
  const bool autocast = uses_autocast(precision);
  if (!batch_splittable(net))
    throw std::logic_error("split_step: the net does not derive from gear::BatchSplittable");
  const int64_t n = batch.labels.size(0);
  const int shares = static_cast<int>(std::min<int64_t>(pool.workers(), n));
  std::vector<torch::Tensor> params;
  for (const auto& p : net.parameters())
    if (p.requires_grad()) params.push_back(p);

  BatchSplit split(shares);
  std::vector<std::vector<torch::Tensor>> grads(static_cast<size_t>(shares));
  std::vector<torch::Tensor> losses(static_cast<size_t>(shares)), correct(grads.size());
  std::vector<std::map<std::string, torch::Tensor>> figures(grads.size());
  std::function<void(int)> job = [&](int rank) {
    if (rank >= shares) return;
    // Shares differ by at most one sample; the weights make the sum the batch's mean loss.
    const int64_t begin = n * rank / shares, end = n * (rank + 1) / shares;
    Batch share = share_of(batch, begin, end);
    BatchSplitScope scope(split, rank);
    const double weight = static_cast<double>(end - begin) / static_cast<double>(n);
    ObjectiveValue value;
    {
      // Autocast is per thread: each worker sets its own, for its forward pass only.
      std::optional<AutocastScope> cast;
      if (autocast) cast.emplace(share.images.device(), autocast_dtype(precision));
      value = compute_objective(objective, net, share);
    }
    torch::Tensor loss = value.loss * weight;
    grads[static_cast<size_t>(rank)] =
        torch::autograd::grad({gradient_scale == 1.0 ? loss : loss * gradient_scale}, params, {},
                              /*retain_graph=*/false,
                              /*create_graph=*/false, /*allow_unused=*/true);
    losses[static_cast<size_t>(rank)] = loss.detach().to(torch::kFloat);
    correct[static_cast<size_t>(rank)] = correct_count(value.logits, share.labels);
    for (const auto& [name, figure] : value.figures)
      figures[static_cast<size_t>(rank)][name] = figure.detach() * weight;
  };
  // Only the first worker's exception reaches the caller; the others just need releasing.
  pool.run(job, [&] { split.abort("another worker failed"); });

  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    torch::Tensor sum;
    for (const auto& worker : grads) {
      const torch::Tensor& g = worker[i];
      if (!g.defined()) continue;
      sum = sum.defined() ? sum + g : g;
    }
    if (sum.defined()) params[i].mutable_grad() = sum;
  }
  StepResult result{losses.front(), correct.front(), figures.front()};
  for (size_t r = 1; r < losses.size(); ++r) {
    result.loss = result.loss + losses[r];
    result.correct = result.correct + correct[r];
    for (const auto& [name, figure] : figures[r]) {
      auto it = result.figures.find(name);
      if (it == result.figures.end())
        result.figures.emplace(name, figure);
      else
        it->second = it->second + figure;
    }
  }
  return result;
}

}  // namespace gear::host

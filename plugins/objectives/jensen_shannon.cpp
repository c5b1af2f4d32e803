#include "jensen_shannon.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/loss.h>

#include <stdexcept>
#include <string>

namespace gear::plugins::objectives {
namespace F = torch::nn::functional;

torch::Tensor jensen_shannon(const std::vector<torch::Tensor>& logits) {
  std::vector<torch::Tensor> probs;
  for (const auto& l : logits) probs.push_back(F::softmax(l, F::SoftmaxFuncOptions(1)));
  torch::Tensor mixture = torch::stack(probs).mean(0).clamp(1e-7, 1.0).log();
  torch::Tensor total = torch::zeros({}, mixture.options());
  for (const auto& p : probs)
    total = total + F::kl_div(mixture, p, F::KLDivFuncOptions().reduction(torch::kBatchMean));
  return total / static_cast<double>(probs.size());
}

OptionSchema JensenShannonConsistency::schema() {
  return OptionSchema()
      .add_float("label_smoothing", 0.0, "label smoothing of the clean view's cross-entropy")
      .range(0.0, 1.0)
      .add_float("lambda", -1.0,
                 "weight of the Jensen-Shannon term; -1: the weight the augmentation asks for "
                 "(augmix and era: jsd_lambda)")
      .at_least(-1.0);
}

JensenShannonConsistency::JensenShannonConsistency(const Config& options)
    : label_smoothing_(options.get<double>("label_smoothing")),
      lambda_(options.get<double>("lambda")) {
  if (lambda_ < 0.0 && lambda_ != -1.0)
    options.fail("lambda", "must be -1 (the augmentation's weight) or at least 0");
}

ObjectiveValue JensenShannonConsistency::compute(GrowableNet& net, const ObjectiveBatch& batch) {
  const auto views = static_cast<int64_t>(batch.views.size());
  if (views < 2)
    throw std::invalid_argument(
        "the jsd objective needs several views of each image; the stage's augmentation made " +
        std::to_string(views) + " (use augmix or era with jsd = true)");
  const double weight = lambda_ < 0.0 ? batch.consistency_weight : lambda_;
  torch::Tensor all = net.forward(torch::cat(batch.views, 0));
  std::vector<torch::Tensor> parts = all.chunk(views, 0);
  torch::Tensor ce = F::cross_entropy(
      parts.front(), batch.labels, F::CrossEntropyFuncOptions().label_smoothing(label_smoothing_));
  torch::Tensor consistency = jensen_shannon(parts);
  ObjectiveValue value;
  value.logits = parts.front();
  value.loss = ce + weight * consistency;
  value.figures = {{"ce", ce.detach()}, {"jsd", consistency.detach()}};
  return value;
}

}  // namespace gear::plugins::objectives

#include "stability.h"

#include <torch/nn/functional/loss.h>

#include <stdexcept>

#include "jensen_shannon.h"

namespace gear::plugins::objectives {
namespace F = torch::nn::functional;
namespace {

// The views a device-view objective needs, checked: the host appends them last.
void require_device_views(const ObjectiveBatch& batch, int64_t needed, const char* objective) {
  if (batch.device_views < needed ||
      static_cast<int64_t>(batch.views.size()) < batch.device_views + 1)
    throw std::invalid_argument(std::string("the ") + objective + " objective needs " +
                                std::to_string(needed) + " device view(s) per batch, got " +
                                std::to_string(batch.device_views));
}

torch::Tensor task_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                        double smoothing) {
  return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(smoothing));
}

}  // namespace

torch::Tensor kl_divergence(const torch::Tensor& p_logits, const torch::Tensor& q_logits) {
  torch::Tensor log_p = p_logits.log_softmax(1);
  torch::Tensor log_q = q_logits.log_softmax(1);
  return (log_p.exp() * (log_p - log_q)).sum(1).mean();
}

const OptionBinder<StabilityOptions>& StabilityObjective::binder() {
  static const OptionBinder<StabilityOptions> binder = [] {
    OptionBinder<StabilityOptions> b;
    b.bind("alpha", &StabilityOptions::alpha, "weight of the stability term").range(0.0, 100.0);
    b.bind("divergence", &StabilityOptions::divergence,
           "kl: KL(first || second) as Zheng et al.; js: the symmetric Jensen-Shannon divergence")
        .one_of({"kl", "js"});
    b.bind("pairs", &StabilityOptions::pairs,
           "clean: the clean view against a device view; pairwise: two device views against "
           "each other (two phones)")
        .one_of({"clean", "pairwise"});
    b.bind("label_smoothing", &StabilityOptions::label_smoothing,
           "label smoothing of the clean view's cross-entropy")
        .range(0.0, 1.0);
    return b;
  }();
  return binder;
}

OptionSchema StabilityObjective::schema() { return binder().schema(); }

StabilityObjective::StabilityObjective(const Config& options) : options_(binder().read(options)) {}

ObjectiveValue StabilityObjective::compute(GrowableNet& net, const ObjectiveBatch& batch) {
  const int64_t needed = device_views();
  require_device_views(batch, needed, "stability");
  // The clean view and the device views in one pass, so batch statistics cover all of them.
  std::vector<torch::Tensor> inputs = {batch.views.front()};
  const auto first_device = static_cast<int64_t>(batch.views.size()) - batch.device_views;
  for (int64_t v = first_device; v < first_device + needed; ++v)
    inputs.push_back(batch.views[static_cast<size_t>(v)]);
  torch::Tensor all = net.forward(torch::cat(inputs, 0));
  std::vector<torch::Tensor> parts = all.chunk(static_cast<int64_t>(inputs.size()), 0);
  torch::Tensor ce = task_loss(parts[0], batch.labels, options_.label_smoothing);
  const torch::Tensor& a = options_.pairs == "pairwise" ? parts[1] : parts[0];
  const torch::Tensor& b = options_.pairs == "pairwise" ? parts[2] : parts[1];
  torch::Tensor stability =
      options_.divergence == "js" ? jensen_shannon({a, b}) : kl_divergence(a, b);
  ObjectiveValue value;
  value.logits = parts[0];
  value.loss = ce + options_.alpha * stability;
  value.figures = {{"ce", ce.detach()}, {"stability", stability.detach()}};
  return value;
}

OptionSchema DeviceAugmentObjective::schema() {
  return OptionSchema()
      .add_float("label_smoothing", 0.0, "label smoothing of the device view's cross-entropy")
      .range(0.0, 1.0);
}

DeviceAugmentObjective::DeviceAugmentObjective(const Config& options)
    : label_smoothing_(options.get<double>("label_smoothing")) {}

ObjectiveValue DeviceAugmentObjective::compute(GrowableNet& net, const ObjectiveBatch& batch) {
  require_device_views(batch, 1, "device_augment");
  ObjectiveValue value;
  value.logits = net.forward(batch.views.back());
  value.loss = task_loss(value.logits, batch.labels, label_smoothing_);
  return value;
}

}  // namespace gear::plugins::objectives

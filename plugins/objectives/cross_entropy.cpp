#include "cross_entropy.h"

#include <torch/nn/functional/loss.h>

namespace gear::plugins::objectives {
namespace F = torch::nn::functional;

OptionSchema CrossEntropy::schema() {
  return OptionSchema()
      .add_float("label_smoothing", 0.0, "label smoothing of the cross-entropy")
      .range(0.0, 1.0);
}

CrossEntropy::CrossEntropy(const Config& options)
    : label_smoothing_(options.get<double>("label_smoothing")) {}

ObjectiveValue CrossEntropy::compute(GrowableNet& net, const ObjectiveBatch& batch) {
  ObjectiveValue value;
  value.logits = net.forward(batch.views.front());
  value.loss = F::cross_entropy(value.logits, batch.labels,
                                F::CrossEntropyFuncOptions().label_smoothing(label_smoothing_));
  return value;
}

}  // namespace gear::plugins::objectives

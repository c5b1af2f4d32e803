#include "fresh_init.h"

namespace gear::plugins::growth {

torch::Tensor identity_filters(const std::vector<int64_t>& sizes,
                               const torch::TensorOptions& options) {
  torch::Tensor w = torch::zeros(sizes, options);
  if (w.dim() == 4 && w.size(0) > 0) w.select(2, w.size(2) / 2).select(2, w.size(3) / 2).fill_(1.0);
  return w;
}

SliceInit fresh_slice_init(double fresh_in, double fresh_out, torch::Generator& generator) {
  return [fresh_in, fresh_out, &generator](const TiedTensor& tied, int64_t count) -> torch::Tensor {
    auto sizes = tied.tensor.sizes().vec();
    sizes[static_cast<size_t>(tied.dim)] = count * tied.block;
    auto cpu = torch::dtype(tied.tensor.scalar_type());
    switch (tied.role) {
      case TieRole::kProducerWeight:
        return (torch::randn(sizes, generator, cpu) * fresh_in).to(tied.tensor.device());
      case TieRole::kConsumerWeight:
        return ((torch::rand(sizes, generator, cpu) * 2 - 1) * fresh_out).to(tied.tensor.device());
      case TieRole::kPassThroughWeight:
        return identity_filters(sizes, tied.tensor.options());
      default:
        return {};  // the SDK's defaults: zero bias, identity BatchNorm
    }
  };
}

}  // namespace gear::plugins::growth

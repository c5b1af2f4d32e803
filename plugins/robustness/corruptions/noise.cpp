// Noise corruptions: additive Gaussian, Poisson (shot) and salt-and-pepper (impulse).
#include <torch/torch.h>

#include "corruption_ops.h"

namespace gear::plugins::corruptions {

torch::Tensor gaussian_noise(const torch::Tensor& x, int severity, torch::Generator& g) {
  const double c = large(x) ? std::vector<double>{0.04, 0.08, 0.12, 0.15, 0.18}[severity - 1]
                            : std::vector<double>{0.04, 0.06, 0.08, 0.09, 0.10}[severity - 1];
  torch::Tensor noise = torch::randn(x.sizes(), g, x.options()) * c;
  return (x + noise).clamp(0, 1) * 255;
}

torch::Tensor shot_noise(const torch::Tensor& x, int severity, torch::Generator& g) {
  const double c = large(x) ? std::vector<double>{250, 100, 50, 30, 15}[severity - 1]
                            : std::vector<double>{500, 250, 100, 75, 50}[severity - 1];
  torch::Tensor counts = at::poisson(x.to(torch::kFloat64) * c, g).to(x.scalar_type());
  return (counts / c).clamp(0, 1) * 255;
}

torch::Tensor impulse_noise(const torch::Tensor& x, int severity, torch::Generator& g) {
  const double amount = large(x) ? std::vector<double>{0.01, 0.02, 0.05, 0.08, 0.14}[severity - 1]
                                 : std::vector<double>{0.01, 0.02, 0.03, 0.05, 0.07}[severity - 1];
  // skimage.util.random_noise(mode="s&p"): each value is hit with probability `amount`, and a
  // hit value becomes 1 or 0 with equal odds.
  torch::Tensor hit = torch::rand(x.sizes(), g, x.options()) < amount;
  torch::Tensor salt = torch::rand(x.sizes(), g, x.options()) < 0.5;
  torch::Tensor out = torch::where(hit & salt, torch::ones_like(x), x);
  out = torch::where(hit & ~salt, torch::zeros_like(x), out);
  return out * 255;
}

}  // namespace gear::plugins::corruptions

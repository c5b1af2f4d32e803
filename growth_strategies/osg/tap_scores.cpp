#include "tap_scores.h"

#include <torch/torch.h>

#include <numeric>
#include <set>

namespace gear::plugins::growth {
namespace {

// One producer, at most one norm, nothing that maps the channels on before the tap.
bool scored_at_tap_by_structure(const GrowableNet& net, const std::string& name) {
  if (!net.group_tapped(name)) return false;
  int producers = 0, norms = 0, pass_throughs = 0;
  for (const auto& member : net.group(name).members) {
    producers += member.kind == TieKind::kProducer;
    norms += member.kind == TieKind::kNorm;
    pass_throughs += member.kind == TieKind::kPassThrough;
  }
  return producers == 1 && norms <= 1 && pass_throughs == 0;
}

// Sum over every dimension but the channels (dim 1).
torch::Tensor per_channel(const torch::Tensor& t) {
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < t.dim(); ++d) dims.push_back(d);
  return t.sum(dims);
}

}  // namespace

TapScores::TapScores(GrowableNet& net, CandidateNet& candidates,
                     const std::vector<int64_t>& sample_shape)
    : net_(net), candidates_(candidates) {
  const auto& names = candidates_.groups();
  at_tap_.assign(names.size(), false);
  std::vector<int64_t> fired(names.size(), 0);
  {
    std::vector<GroupObservation> probes;
    for (size_t g = 0; g < names.size(); ++g) {
      if (!scored_at_tap_by_structure(net_, names[g])) continue;
      at_tap_[g] = true;
      probes.push_back(net_.observe(names[g], [&fired, g](const torch::Tensor&) { ++fired[g]; }));
    }
    if (probes.empty()) return;
    std::vector<int64_t> shape = {1};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    torch::NoGradGuard no_grad;
    net_.forward(torch::zeros(shape, candidates_.gate(0).options().requires_grad(false)));
  }
  for (size_t g = 0; g < names.size(); ++g) at_tap_[g] = at_tap_[g] && fired[g] == 1;
}

TapScores::~TapScores() { end(); }

int64_t TapScores::count() const {
  return std::accumulate(at_tap_.begin(), at_tap_.end(), int64_t{0});
}

void TapScores::begin() {
  end();
  const auto& names = candidates_.groups();
  std::set<const void*> weight_path;  // producer weights of the groups that keep the weight path
  for (size_t g = 0; g < names.size(); ++g) {
    if (at_tap_[g]) {
      observations_.push_back(net_.observe(
          names[g], {}, [this, g](const torch::Tensor& activation, const torch::Tensor& gradient) {
            add_scores(g, activation, gradient);
          }));
      continue;
    }
    for (const auto& tied : net_.tied_tensors(names[g]))
      if (tied.dim == 0 && tied.role == TieRole::kProducerWeight)
        weight_path.insert(tied.tensor.unsafeGetTensorImpl());
  }
  weight_path_only_.emplace(net_, [&weight_path](const torch::Tensor& p) {
    return weight_path.count(p.unsafeGetTensorImpl()) > 0;
  });
}

void TapScores::end() {
  observations_.clear();
  weight_path_only_.reset();
}

void TapScores::add_scores(size_t group, const torch::Tensor& activation,
                           const torch::Tensor& gradient) {
  const int64_t c = candidates_.width(group);
  torch::NoGradGuard no_grad;
  const torch::Tensor& a = activation;
  const torch::Tensor& g = gradient;
  torch::Tensor split = per_channel((g.slice(1, 0, c) - g.slice(1, c, 2 * c)) *
                                    (a.slice(1, 0, c) - a.slice(1, c, 2 * c))) *
                        0.5;
  torch::Tensor fresh = per_channel(g.slice(1, 2 * c) * a.slice(1, 2 * c));
  torch::Tensor& gate = candidates_.gate(group);
  torch::Tensor scores = torch::cat({split, fresh});
  if (gate.grad().defined())
    gate.mutable_grad().add_(scores);
  else
    gate.mutable_grad() = scores;
}

}  // namespace gear::plugins::growth

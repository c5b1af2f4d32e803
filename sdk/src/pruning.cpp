#include <torch/nn/modules/linear.h>

#include <map>
#include <stdexcept>
#include <unordered_set>

#include "conv_positions.h"
#include "gear/pruner.h"

namespace gear {
namespace {

// dim -> (group, entries per channel) for each tensor a group indexes, keyed by TensorImpl.
using TiedDims = std::map<const void*, std::map<int64_t, std::array<int64_t, 2>>>;

TiedDims tied_dims(const GrowableNet& net, bool with_buffers) {
  TiedDims tied;
  const auto& groups = net.groups();
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& t : net.tied_tensors(groups[g].name)) {
      const bool buffer = t.role == TieRole::kNormMean || t.role == TieRole::kNormVar;
      if (!with_buffers && (buffer || !t.tensor.requires_grad())) continue;
      tied[t.tensor.unsafeGetTensorImpl()][t.dim] = {static_cast<int64_t>(g), t.block};
    }
  return tied;
}

std::vector<std::array<int64_t, 3>> tied_of(const TiedDims& tied, const void* impl) {
  std::vector<std::array<int64_t, 3>> out;
  auto it = tied.find(impl);
  if (it != tied.end())
    for (const auto& [dim, group_block] : it->second)
      out.push_back({dim, group_block[0], group_block[1]});
  return out;
}

int64_t numel_at(std::vector<int64_t> sizes, const std::vector<std::array<int64_t, 3>>& tied,
                 const std::vector<int64_t>& widths) {
  for (const auto& [dim, group, block] : tied)
    sizes[static_cast<size_t>(dim)] = widths[static_cast<size_t>(group)] * block;
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  return numel;
}

void check_width_count(const std::vector<int64_t>& widths, size_t groups, const char* who) {
  if (widths.size() != groups)
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(widths.size()) +
                                " widths for " + std::to_string(groups) + " groups");
}

}  // namespace

const char* measure_name(PruneMeasure measure) {
  switch (measure) {
    case PruneMeasure::kParams:
      return "params";
    case PruneMeasure::kMacs:
      return "macs";
    case PruneMeasure::kBytes:
      return "bytes";
  }
  return "?";
}

ParamsAtWidths::ParamsAtWidths(const GrowableNet& net) : groups_(net.groups().size()) {
  const TiedDims tied = tied_dims(net, /*with_buffers=*/false);
  std::unordered_set<const void*> seen;
  for (const auto& p : net.parameters()) {
    if (!seen.insert(p.unsafeGetTensorImpl()).second) continue;
    tensors_.push_back({p.sizes().vec(), tied_of(tied, p.unsafeGetTensorImpl())});
  }
}

int64_t ParamsAtWidths::operator()(const std::vector<int64_t>& widths) const {
  check_width_count(widths, groups_, "params_at_widths");
  int64_t total = 0;
  for (const Tensor& t : tensors_) total += numel_at(t.sizes, t.tied, widths);
  return total;
}

int64_t params_at_widths(const GrowableNet& net, const std::vector<int64_t>& widths) {
  return ParamsAtWidths(net)(widths);
}

CostAtWidths::CostAtWidths(GrowableNet& net, const std::vector<int64_t>& sample_shape)
    : groups_(net.groups().size()) {
  const TiedDims tied = tied_dims(net, /*with_buffers=*/true);
  const std::vector<detail::ConvCall> calls = detail::observe_convolutions(net, sample_shape);
  std::map<const void*, int64_t> positions;  // MACs per weight entry
  for (const auto& call : calls) positions[call.weight] += call.positions;
  for (const auto& module : net.modules(/*include_self=*/false))
    if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(module.get()))
      positions[linear->weight.unsafeGetTensorImpl()] += 1;
  std::unordered_set<const void*> seen;
  auto add = [&](const torch::Tensor& t, bool parameter) {
    const void* impl = t.unsafeGetTensorImpl();
    if (!seen.insert(impl).second) return;
    Tensor entry{t.sizes().vec(), tied_of(tied, impl)};
    entry.params = parameter && t.requires_grad() ? 1 : 0;
    entry.bytes = static_cast<int64_t>(t.element_size());
    auto it = positions.find(impl);
    if (it != positions.end()) entry.positions = it->second;
    tensors_.push_back(std::move(entry));
  };
  for (const auto& p : net.parameters()) add(p, true);
  for (const auto& b : net.buffers()) add(b, false);
  // A convolution whose weight is not one of the net's tensors (computed in forward()) keeps
  // its MACs at every width.
  int64_t constant = 0;
  for (const auto& call : calls)
    if (!seen.count(call.weight)) constant += call.weight_numel * call.positions;
  if (constant > 0) tensors_.push_back({{constant}, {}, 0, 0, 1});
}

int64_t CostAtWidths::operator()(PruneMeasure measure, const std::vector<int64_t>& widths) const {
  check_width_count(widths, groups_, "CostAtWidths");
  int64_t total = 0;
  for (const Tensor& t : tensors_) {
    const int64_t per_entry = measure == PruneMeasure::kParams  ? t.params
                              : measure == PruneMeasure::kBytes ? t.bytes
                                                                : t.positions;
    if (per_entry != 0) total += per_entry * numel_at(t.sizes, t.tied, widths);
  }
  return total;
}

}  // namespace gear

#include "gear/growable_net.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace gear {
namespace {

using torch::nn::BatchNorm1dImpl;
using torch::nn::BatchNorm2dImpl;
using torch::nn::Conv2dImpl;
using torch::nn::LinearImpl;

// Replaces a parameter's or buffer's value while keeping its TensorImpl, so the module's member
// handle and its registered entry both see the new shape. Gradients of the old shape are dropped.
void assign(torch::Tensor& target, const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  target.set_(value.contiguous());
  if (target.requires_grad() && target.grad().defined()) target.mutable_grad() = torch::Tensor();
}

bool is_depthwise(const Conv2dImpl& conv) {
  return conv.options.groups() > 1 && conv.options.groups() == conv.options.in_channels() &&
         conv.options.groups() == conv.options.out_channels();
}

template <typename Norm>
void append_norm(Norm& bn, size_t member, const std::string& path, std::vector<TiedTensor>& out) {
  if (bn.weight.defined()) out.push_back({bn.weight, TieRole::kNormWeight, member, 0, 1, path + ".weight"});
  if (bn.bias.defined()) out.push_back({bn.bias, TieRole::kNormBias, member, 0, 1, path + ".bias"});
  if (bn.running_mean.defined())
    out.push_back({bn.running_mean, TieRole::kNormMean, member, 0, 1, path + ".running_mean"});
  if (bn.running_var.defined())
    out.push_back({bn.running_var, TieRole::kNormVar, member, 0, 1, path + ".running_var"});
}

// Keeps the modules' options in step with their new tensor shapes (forward() reads `groups`).
void update_options(const GroupMember& m, int64_t width) {
  auto* module = m.module.get();
  if (auto* conv = dynamic_cast<Conv2dImpl*>(module)) {
    switch (m.kind) {
      case TieKind::kProducer: conv->options.out_channels(width); break;
      case TieKind::kConsumer: conv->options.in_channels(width); break;
      case TieKind::kPassThrough:
        conv->options.in_channels(width).out_channels(width).groups(width);
        break;
      case TieKind::kNorm: break;
    }
  } else if (auto* linear = dynamic_cast<LinearImpl*>(module)) {
    if (m.kind == TieKind::kProducer) linear->options.out_features(width);
    if (m.kind == TieKind::kConsumer) linear->options.in_features(width * m.block);
  } else if (auto* bn2 = dynamic_cast<BatchNorm2dImpl*>(module)) {
    bn2->options.num_features(width);
  } else if (auto* bn1 = dynamic_cast<BatchNorm1dImpl*>(module)) {
    bn1->options.num_features(width);
  }
}

torch::Tensor default_slice(const TiedTensor& tied, int64_t count) {
  auto sizes = tied.tensor.sizes().vec();
  sizes[tied.dim] = count * tied.block;
  auto options = tied.tensor.options();
  switch (tied.role) {
    case TieRole::kNormWeight:
    case TieRole::kNormVar: return torch::ones(sizes, options);
    default: return torch::zeros(sizes, options);
  }
}

// Expands channel indices to entry indices along a dim with `block` entries per channel.
torch::Tensor entry_index(const std::vector<int64_t>& channels, int64_t block,
                          const torch::Device& device) {
  auto index = torch::tensor(channels, torch::kLong);
  if (block > 1)
    index = (index.unsqueeze(1) * block + torch::arange(block, torch::kLong).unsqueeze(0)).flatten();
  return index.to(device);
}

}  // namespace

const ChannelGroup& GrowableNet::group(const std::string& name) const {
  for (const auto& g : groups_)
    if (g.name == name) return g;
  std::string names;
  for (const auto& g : groups_) names += (names.empty() ? "" : ", ") + g.name;
  throw std::invalid_argument("no channel group '" + name + "' (groups: " + names + ")");
}

ChannelGroup& GrowableNet::mutable_group(const std::string& name) {
  return const_cast<ChannelGroup&>(static_cast<const GrowableNet&>(*this).group(name));
}

std::vector<TiedTensor> GrowableNet::tied_tensors(const std::string& name) const {
  const ChannelGroup& g = group(name);
  std::vector<TiedTensor> out;
  for (size_t i = 0; i < g.members.size(); ++i) {
    const GroupMember& m = g.members[i];
    auto* module = m.module.get();
    if (auto* conv = dynamic_cast<Conv2dImpl*>(module)) {
      if (m.kind == TieKind::kConsumer) {
        out.push_back({conv->weight, TieRole::kConsumerWeight, i, 1, m.block, m.path + ".weight"});
      } else {
        bool pass = m.kind == TieKind::kPassThrough;
        out.push_back({conv->weight, pass ? TieRole::kPassThroughWeight : TieRole::kProducerWeight,
                       i, 0, 1, m.path + ".weight"});
        if (conv->bias.defined())
          out.push_back({conv->bias, pass ? TieRole::kPassThroughBias : TieRole::kProducerBias, i,
                         0, 1, m.path + ".bias"});
      }
    } else if (auto* linear = dynamic_cast<LinearImpl*>(module)) {
      if (m.kind == TieKind::kConsumer) {
        out.push_back({linear->weight, TieRole::kConsumerWeight, i, 1, m.block, m.path + ".weight"});
      } else {
        out.push_back({linear->weight, TieRole::kProducerWeight, i, 0, 1, m.path + ".weight"});
        if (linear->bias.defined())
          out.push_back({linear->bias, TieRole::kProducerBias, i, 0, 1, m.path + ".bias"});
      }
    } else if (auto* bn2 = dynamic_cast<BatchNorm2dImpl*>(module)) {
      append_norm(*bn2, i, m.path, out);
    } else if (auto* bn1 = dynamic_cast<BatchNorm1dImpl*>(module)) {
      append_norm(*bn1, i, m.path, out);
    }
  }
  return out;
}

int64_t GrowableNet::width(const std::string& name) const {
  for (const auto& t : tied_tensors(name)) return t.tensor.size(t.dim) / t.block;
  throw std::logic_error("channel group '" + name + "' has no tensors");
}

std::vector<int64_t> GrowableNet::widths() const {
  std::vector<int64_t> out;
  for (const auto& g : groups_) out.push_back(width(g.name));
  return out;
}

std::vector<std::string> GrowableNet::group_names() const {
  std::vector<std::string> out;
  for (const auto& g : groups_) out.push_back(g.name);
  return out;
}

int64_t GrowableNet::params() const {
  int64_t total = 0;
  for (const auto& p : parameters()) total += p.numel();
  return total;
}

ChannelGroup& GrowableNet::add_group(const std::string& name, int64_t reference_width,
                                     const std::string& set, bool growable) {
  for (const auto& g : groups_)
    if (g.name == name) throw std::logic_error("channel group '" + name + "' declared twice");
  groups_.push_back({name, set, growable, reference_width, {}});
  return groups_.back();
}

void GrowableNet::tie(ChannelGroup& group, TieKind kind, std::string path,
                      std::shared_ptr<torch::nn::Module> module, int64_t block) {
  auto* raw = module.get();
  auto* conv = dynamic_cast<Conv2dImpl*>(raw);
  bool linear = dynamic_cast<LinearImpl*>(raw) != nullptr;
  bool norm = dynamic_cast<BatchNorm2dImpl*>(raw) || dynamic_cast<BatchNorm1dImpl*>(raw);
  bool ok = false;
  switch (kind) {
    case TieKind::kProducer:
    case TieKind::kConsumer: ok = linear || (conv && conv->options.groups() == 1); break;
    case TieKind::kPassThrough: ok = conv && is_depthwise(*conv); break;
    case TieKind::kNorm: ok = norm; break;
  }
  if (!ok)
    throw std::logic_error("channel group '" + group.name + "': module '" + path +
                           "' cannot be tied with this kind (producers and consumers are "
                           "ungrouped Conv2d or Linear, pass-through is a depthwise Conv2d, "
                           "norms are BatchNorm)");
  group.members.push_back({kind, std::move(path), std::move(module), block});
}

void GrowableNet::check_groups() const {
  for (const auto& g : groups_) {
    auto tensors = tied_tensors(g.name);
    if (tensors.empty()) throw std::logic_error("channel group '" + g.name + "' is empty");
    int64_t expected = tensors.front().tensor.size(tensors.front().dim) / tensors.front().block;
    for (const auto& t : tensors) {
      if (t.tensor.size(t.dim) != expected * t.block)
        throw std::logic_error("channel group '" + g.name + "': " + t.name + " has " +
                               std::to_string(t.tensor.size(t.dim)) + " entries along dim " +
                               std::to_string(t.dim) + ", expected " +
                               std::to_string(expected * t.block));
    }
  }
}

void GrowableNet::resize(ChannelGroup& group, int64_t new_width,
                         const std::function<torch::Tensor(const TiedTensor&)>& reshape_one) {
  // Compute every new value first so a failure leaves the net untouched.
  auto tensors = tied_tensors(group.name);
  std::vector<torch::Tensor> values;
  values.reserve(tensors.size());
  for (const auto& t : tensors) {
    torch::Tensor value = reshape_one(t);
    auto expected = t.tensor.sizes().vec();
    expected[t.dim] = new_width * t.block;
    if (value.sizes().vec() != expected)
      throw std::invalid_argument("channel group '" + group.name + "': new value for " + t.name +
                                  " has shape " + c10::str(value.sizes()) + ", expected " +
                                  c10::str(torch::IntArrayRef(expected)));
    values.push_back(value.to(t.tensor.options()));
  }
  for (size_t i = 0; i < tensors.size(); ++i) assign(tensors[i].tensor, values[i]);
  for (const auto& m : group.members) update_options(m, new_width);
}

void GrowableNet::widen(const std::string& name, int64_t count, const SliceInit& init) {
  if (count < 0) throw std::invalid_argument("widen: negative channel count");
  if (count == 0) return;
  ChannelGroup& g = mutable_group(name);
  int64_t new_width = width(name) + count;
  resize(g, new_width, [&](const TiedTensor& t) {
    torch::NoGradGuard no_grad;
    torch::Tensor slice = init ? init(t, count) : torch::Tensor();
    if (!slice.defined()) slice = default_slice(t, count);
    auto expected = t.tensor.sizes().vec();
    expected[t.dim] = count * t.block;
    if (slice.sizes().vec() != expected)
      throw std::invalid_argument("widen '" + name + "': slice for " + t.name + " has shape " +
                                  c10::str(slice.sizes()) + ", expected " +
                                  c10::str(torch::IntArrayRef(expected)));
    return torch::cat({t.tensor.detach(), slice.to(t.tensor.options())}, t.dim);
  });
}

std::vector<int64_t> GrowableNet::duplicate(const std::string& name,
                                            const std::vector<int64_t>& sources) {
  const int64_t old_width = width(name);
  for (int64_t s : sources)
    if (s < 0 || s >= old_width)
      throw std::out_of_range("duplicate '" + name + "': channel " + std::to_string(s) +
                              " outside [0, " + std::to_string(old_width) + ")");
  // Each consumer column is shared between a channel and its copies.
  std::vector<double> copies(old_width, 1.0);
  for (int64_t s : sources) copies[s] += 1.0;
  ChannelGroup& g = mutable_group(name);
  const int64_t new_width = old_width + static_cast<int64_t>(sources.size());
  std::vector<int64_t> origin(old_width);
  std::iota(origin.begin(), origin.end(), 0);
  origin.insert(origin.end(), sources.begin(), sources.end());
  resize(g, new_width, [&](const TiedTensor& t) {
    torch::NoGradGuard no_grad;
    auto index = entry_index(origin, t.block, t.tensor.device());
    torch::Tensor value = t.tensor.detach().index_select(t.dim, index);
    if (t.role == TieRole::kConsumerWeight) {
      std::vector<double> scale;
      for (int64_t c : origin) scale.insert(scale.end(), t.block, 1.0 / copies[c]);
      auto shape = std::vector<int64_t>(value.dim(), 1);
      shape[t.dim] = static_cast<int64_t>(scale.size());
      value = value * torch::tensor(scale, value.options()).view(shape);
    }
    return value;
  });
  std::vector<int64_t> added(sources.size());
  std::iota(added.begin(), added.end(), old_width);
  return added;
}

void GrowableNet::select(const std::string& name, const std::vector<int64_t>& keep) {
  const int64_t old_width = width(name);
  if (keep.empty()) throw std::invalid_argument("select '" + name + "': cannot keep no channel");
  for (int64_t k : keep)
    if (k < 0 || k >= old_width)
      throw std::out_of_range("select '" + name + "': channel " + std::to_string(k) +
                              " outside [0, " + std::to_string(old_width) + ")");
  ChannelGroup& g = mutable_group(name);
  resize(g, static_cast<int64_t>(keep.size()), [&](const TiedTensor& t) {
    torch::NoGradGuard no_grad;
    return t.tensor.detach().index_select(t.dim, entry_index(keep, t.block, t.tensor.device()));
  });
}

}  // namespace gear

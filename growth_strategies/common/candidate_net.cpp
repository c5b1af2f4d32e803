#include "candidate_net.h"

#include <torch/autograd.h>
#include <torch/utils.h>

#include <map>
#include <stdexcept>

#include "fresh_init.h"

namespace gear::plugins::growth {

// One tensor of the net tied to a grown group along its rows (dim 0), its columns (dim 1), or
// both (a conv that consumes one grown group and produces another).
struct CandidateNet::Entry {
  torch::Tensor tensor;                     // aliases the net's parameter or buffer
  torch::Tensor original;                   // its value before growth
  TieRole role = TieRole::kConsumerWeight;  // the row role when row >= 0
  int row = -1, col = -1;                   // index into names_, or -1
  int64_t col_block = 1;
  torch::Tensor v;    // [C, in...]: split directions (producer weights of a grown group)
  torch::Tensor vno;  // [K, in...]: incoming weights of the fresh channels
  torch::Tensor vni;  // [rows, K_in * block, k...]: weights from the input group's fresh channels
  torch::Tensor full;  // its own data (2C + K columns) while its columns read split pairs' means
};

// Where every channel of a group comes from in one rendering.
struct CandidateNet::Layout {
  int64_t width = 0, fresh = 0;  // original channels; fresh candidates available
  bool all = true;               // every candidate present (no index_select needed)
  torch::Tensor split_index;     // chosen split channels (long)
  torch::Tensor fresh_index;     // chosen fresh candidates (long)
  torch::Tensor split_scale;     // [C] factor on v
  torch::Tensor fresh_scale;     // [K] factor on a fresh channel's incoming weights
  torch::Tensor column_factor;   // [C] factor on an original channel's consumer columns
  int64_t split_count() const { return all ? width : split_index.size(0); }
  int64_t fresh_count() const { return all ? fresh : fresh_index.size(0); }
};

namespace {

torch::Tensor pick(const torch::Tensor& t, int64_t dim, const torch::Tensor& index, bool all) {
  return all ? t : t.index_select(dim, index);
}

// Shape that broadcasts a per-channel vector along `dim` of a tensor with `rank` dims.
std::vector<int64_t> along(int64_t dim, int64_t count, int64_t rank) {
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(dim)] = count;
  return shape;
}

// A fresh channel's value for tensors that carry no trained candidate part: inert bias,
// identity BatchNorm, identity depthwise filter (so the channel reaches its consumer).
torch::Tensor fresh_rows(TieRole role, int64_t count, const torch::Tensor& like) {
  auto sizes = like.sizes().vec();
  sizes[0] = count;
  switch (role) {
    case TieRole::kNormWeight:
    case TieRole::kNormVar:
      return torch::ones(sizes, like.options());
    case TieRole::kPassThroughWeight:
      return identity_filters(sizes, like.options());
    default:
      return torch::zeros(sizes, like.options());
  }
}

torch::Tensor long_tensor(const std::vector<int64_t>& values, const torch::Device& device) {
  return torch::tensor(values, torch::kLong).to(device);
}

// What the consumers of a group with every candidate rendered read: each split pair's mean
// (channels c and C + c), then the fresh channels. Its own backward writes the input's gradient
// in one pass, where the slices' backward would zero-fill and sum three tensors of its size.
class PairMeans : public torch::autograd::Function<PairMeans> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               int64_t c) {
    ctx->saved_data["c"] = c;
    return torch::cat({x.slice(1, 0, c).add(x.slice(1, c, 2 * c)).mul_(0.5), x.slice(1, 2 * c)}, 1);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const int64_t c = ctx->saved_data["c"].toInt();
    const torch::Tensor half = grads[0].slice(1, 0, c) * 0.5;
    return {torch::cat({half, half, grads[0].slice(1, c)}, 1), torch::Tensor()};
  }
};

}  // namespace

CandidateNet::CandidateNet(GrowableNet& net, const std::vector<std::string>& groups, int64_t fresh,
                           const CandidateInit& init, torch::Generator& generator,
                           bool average_pairs)
    : net_(net), names_(groups), fresh_(fresh), snapshot_(net, groups) {
  if (fresh < 0) throw std::invalid_argument("candidates: negative count of fresh channels");
  std::map<const void*, size_t> index;
  for (size_t gi = 0; gi < names_.size(); ++gi) {
    const ChannelGroup& group = net_.group(names_[gi]);
    if (!group.growable)
      throw std::invalid_argument("channel group '" + group.name + "' is not growable");
    widths_.push_back(net_.width(names_[gi]));
    average_.push_back(average_pairs && net_.group_consumer_tapped(names_[gi]));
    for (const auto& tied : net_.tied_tensors(names_[gi])) {
      auto [it, inserted] = index.emplace(tied.tensor.unsafeGetTensorImpl(), entries_.size());
      if (inserted) {
        Entry entry;
        entry.tensor = tied.tensor;
        entry.original = tied.tensor.detach().clone();
        entries_.push_back(std::move(entry));
      }
      Entry& entry = entries_[it->second];
      if (tied.dim == 0) {
        entry.row = static_cast<int>(gi);
        entry.role = tied.role;
      } else {
        entry.col = static_cast<int>(gi);
        entry.col_block = tied.block;
      }
    }
  }

  // Draw on the CPU generator (reproducible on every device), then move to the net's device.
  auto draw_uniform = [&](std::vector<int64_t> sizes, double bound, const torch::Tensor& like) {
    torch::Tensor t = torch::rand(sizes, generator, torch::dtype(like.scalar_type()));
    return (t * (2 * bound) - bound).to(like.device()).requires_grad_(true);
  };
  for (auto& e : entries_) {
    const bool weight = e.role == TieRole::kProducerWeight || e.role == TieRole::kConsumerWeight;
    if (!weight) continue;
    auto sizes = e.original.sizes().vec();
    if (e.row >= 0) {
      e.v = draw_uniform(sizes, init.split, e.original);
      auto fresh_sizes = sizes;
      fresh_sizes[0] = fresh_;
      e.vno = (torch::randn(fresh_sizes, generator, torch::dtype(e.original.scalar_type())) *
               init.fresh_in)
                  .to(e.original.device())
                  .requires_grad_(true);
    }
    if (e.col >= 0) {
      auto in_sizes = sizes;
      in_sizes[0] = e.row >= 0 ? widths_[static_cast<size_t>(e.row)] + fresh_ : sizes[0];
      in_sizes[1] = fresh_ * e.col_block;
      e.vni = draw_uniform(in_sizes, init.fresh_out, e.original);
    }
  }
  for (size_t gi = 0; gi < names_.size(); ++gi) {
    const torch::Tensor like = net_.tied_tensors(names_[gi]).front().tensor;
    gates_.push_back(torch::zeros({widths_[gi] + fresh_}, like.options().requires_grad(true)));
  }
}

CandidateNet::~CandidateNet() { unmerge(); }

std::vector<torch::Tensor> CandidateNet::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_)
    for (const auto* t : {&e.v, &e.vno, &e.vni})
      if (t->defined()) out.push_back(*t);
  return out;
}

bool CandidateNet::trains(const torch::Tensor& tensor) const {
  for (const auto& e : entries_)
    if (e.tensor.unsafeGetTensorImpl() == tensor.unsafeGetTensorImpl())
      return e.v.defined() || e.vno.defined() || e.vni.defined();
  return false;
}

std::vector<torch::Tensor> CandidateNet::split_directions() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_)
    if (e.v.defined()) out.push_back(e.v);
  return out;
}

std::vector<torch::Tensor> CandidateNet::fresh_inputs() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_)
    if (e.vno.defined()) out.push_back(e.vno);
  return out;
}

std::vector<torch::Tensor> CandidateNet::fresh_outputs() const {
  std::vector<torch::Tensor> out;
  for (const auto& e : entries_)
    if (e.vni.defined()) out.push_back(e.vni);
  return out;
}

std::vector<CandidateNet::Layout> CandidateNet::layouts(
    const std::vector<GroupChoice>* choice) const {
  std::vector<Layout> out;
  for (size_t gi = 0; gi < names_.size(); ++gi) {
    Layout layout;
    layout.width = widths_[gi];
    layout.fresh = fresh_;
    const torch::Tensor& gate = gates_[gi];
    if (!choice) {
      layout.split_scale = 1 + gate.slice(0, 0, layout.width);
      layout.fresh_scale = 1 + gate.slice(0, layout.width);
      layout.column_factor = torch::full({layout.width}, 0.5, gate.options().requires_grad(false));
    } else {
      const GroupChoice& c = (*choice)[gi];
      layout.all = false;
      layout.split_index = long_tensor(c.split, gate.device());
      layout.fresh_index = long_tensor(c.fresh, gate.device());
      auto options = gate.options().requires_grad(false);
      torch::Tensor chosen = torch::zeros({layout.width}, options);
      if (!c.split.empty()) chosen.index_fill_(0, layout.split_index, 1.0);
      layout.split_scale = chosen;
      layout.fresh_scale = torch::ones({fresh_}, options);
      layout.column_factor = 1 - 0.5 * chosen;
    }
    out.push_back(std::move(layout));
  }
  return out;
}

torch::Tensor CandidateNet::value(const Entry& e, const std::vector<Layout>& layouts,
                                  bool average) const {
  const torch::Tensor& x = e.original;
  const int64_t rank = x.dim();
  // Rows first, over the compressed columns: the original input channels (`old_cols`) and the
  // input group's fresh candidates (`new_cols`).
  torch::Tensor old_cols = x, new_cols = e.vni;
  if (e.row >= 0) {
    const Layout& L = layouts[static_cast<size_t>(e.row)];
    if (e.v.defined()) {
      torch::Tensor delta = e.v * L.split_scale.view(along(0, L.width, rank));
      torch::Tensor fresh = e.vno * L.fresh_scale.view(along(0, L.fresh, rank));
      old_cols = torch::cat({x + delta, pick(x - delta, 0, L.split_index, L.all),
                             pick(fresh, 0, L.fresh_index, L.all)},
                            0);
    } else {
      old_cols = torch::cat(
          {x, pick(x, 0, L.split_index, L.all), fresh_rows(e.role, L.fresh_count(), x)}, 0);
    }
    if (e.vni.defined()) {
      // Both children of a split receive the same input from new channels, as in Firefly.
      torch::Tensor kept = e.vni.slice(0, 0, L.width);
      torch::Tensor fresh = e.vni.slice(0, L.width) * L.fresh_scale.view(along(0, L.fresh, rank));
      new_cols = torch::cat(
          {kept, pick(kept, 0, L.split_index, L.all), pick(fresh, 0, L.fresh_index, L.all)}, 0);
    }
  }
  if (e.col < 0) return old_cols;

  // Columns: a split input channel's column is shared by its two children, half each.
  const Layout& A = layouts[static_cast<size_t>(e.col)];
  const int64_t rows = old_cols.size(0), block = e.col_block;
  std::vector<int64_t> blocked = {rows, A.width, block};
  for (int64_t d = 2; d < rank; ++d) blocked.push_back(x.size(d));
  torch::Tensor old4 = old_cols.reshape(blocked);
  blocked[1] = A.fresh;
  torch::Tensor new4 = new_cols.reshape(blocked);
  torch::Tensor out;
  if (average) {
    // The consumer reads each split pair's mean (C + K channels), so the pair's column once.
    out = torch::cat({old4, new4}, 1);
  } else {
    torch::Tensor orig = old4 * A.column_factor.view(along(1, A.width, rank + 1));
    torch::Tensor copies = pick(old4, 1, A.split_index, A.all) * 0.5;
    out = torch::cat({orig, copies, pick(new4, 1, A.fresh_index, A.all)}, 1);
  }
  std::vector<int64_t> flat = {rows, -1};
  for (int64_t d = 2; d < rank; ++d) flat.push_back(x.size(d));
  return out.reshape(flat);
}

void CandidateNet::write(const std::vector<Layout>& layouts, bool keep_graph) {
  // Widths are set on a consistent net; only a candidate render (every candidate present) reads
  // split pairs' means.
  unmerge();
  for (size_t gi = 0; gi < names_.size(); ++gi) {
    const Layout& L = layouts[gi];
    set_width(net_, names_[gi], L.width + L.split_count() + L.fresh_count());
  }
  auto averaged = [&](int group) {
    return keep_graph && group >= 0 && average_[static_cast<size_t>(group)] &&
           layouts[static_cast<size_t>(group)].all;
  };
  rendered_.assign(entries_.size(), torch::Tensor());
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    const bool average = averaged(e.col);
    torch::Tensor v = value(e, layouts, average);
    {
      torch::NoGradGuard no_grad;
      if (average) {
        e.full = e.tensor.detach();
        e.tensor.set_data(torch::empty(v.sizes(), e.tensor.options()));
      }
      e.tensor.copy_(v);
    }
    if (keep_graph && v.requires_grad()) rendered_[i] = v;
  }
  for (size_t gi = 0; gi < names_.size(); ++gi) {
    if (!averaged(static_cast<int>(gi))) continue;
    const int64_t c = widths_[gi];
    averaging_.push_back(net_.transform_consumed(
        names_[gi], [c](const torch::Tensor& x) { return PairMeans::apply(x, c); }));
  }
}

void CandidateNet::unmerge() {
  averaging_.clear();
  torch::NoGradGuard no_grad;
  for (auto& e : entries_) {
    if (!e.full.defined()) continue;
    e.tensor.set_data(e.full);
    e.tensor.mutable_grad() = torch::Tensor();
    e.full = torch::Tensor();
  }
}

void CandidateNet::render_candidates() { write(layouts(nullptr), true); }

void CandidateNet::pull_gradients() {
  std::vector<torch::Tensor> outputs, grads;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!rendered_[i].defined()) continue;
    const torch::Tensor& grad = entries_[i].tensor.grad();
    if (!grad.defined()) continue;
    outputs.push_back(rendered_[i]);
    grads.push_back(grad);
  }
  if (!outputs.empty()) torch::autograd::backward(outputs, grads);
  rendered_.assign(entries_.size(), torch::Tensor());
  for (auto& p : net_.parameters())
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
}

void CandidateNet::materialize(const std::vector<GroupChoice>& choice) {
  if (choice.size() != names_.size())
    throw std::invalid_argument("materialize: one choice per candidate group expected");
  for (size_t gi = 0; gi < names_.size(); ++gi) {
    for (int64_t c : choice[gi].split)
      if (c < 0 || c >= widths_[gi])
        throw std::out_of_range("materialize '" + names_[gi] + "': split channel " +
                                std::to_string(c) + " outside [0, " + std::to_string(widths_[gi]) +
                                ")");
    for (int64_t f : choice[gi].fresh)
      if (f < 0 || f >= fresh_)
        throw std::out_of_range("materialize '" + names_[gi] + "': fresh candidate " +
                                std::to_string(f) + " outside [0, " + std::to_string(fresh_) + ")");
  }
  torch::NoGradGuard no_grad;
  write(layouts(&choice), false);
}

void CandidateNet::restore() {
  unmerge();
  rendered_.clear();
  snapshot_.restore();
}

}  // namespace gear::plugins::growth

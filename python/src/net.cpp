// gear.Net (a growable net and its channel groups), gear.create_model and gear.load_checkpoint.
#include <toml++/toml.h>
#include <torch/nn/module.h>

#include <filesystem>

#include "bindings.h"
#include "gear/architecture.h"
#include "gear/host/checkpoint.h"
#include "net_handle.h"

namespace gear::python {

namespace {

// The net behind a handle; a net borrowed for a grow() call is gone once the call returns.
GrowableNet& live(NetHandle& h) {
  if (!h.net)
    throw std::runtime_error(
        "this gear.Net was lent to a growth strategy for one grow() call and is no longer valid");
  return *h.net;
}

const char* role_name(TieRole role) {
  switch (role) {
    case TieRole::kProducerWeight:
      return "producer_weight";
    case TieRole::kProducerBias:
      return "producer_bias";
    case TieRole::kNormWeight:
      return "norm_weight";
    case TieRole::kNormBias:
      return "norm_bias";
    case TieRole::kNormMean:
      return "norm_mean";
    case TieRole::kNormVar:
      return "norm_var";
    case TieRole::kPassThroughWeight:
      return "pass_through_weight";
    case TieRole::kPassThroughBias:
      return "pass_through_bias";
    case TieRole::kConsumerWeight:
      return "consumer_weight";
  }
  return "?";
}

const char* kind_name(TieKind kind) {
  switch (kind) {
    case TieKind::kProducer:
      return "producer";
    case TieKind::kNorm:
      return "norm";
    case TieKind::kPassThrough:
      return "pass_through";
    case TieKind::kConsumer:
      return "consumer";
  }
  return "?";
}

py::dict widths_of(const GrowableNet& net) {
  py::dict out;
  for (const auto& g : net.groups()) out[py::str(g.name)] = net.width(g.name);
  return out;
}

py::list groups_of(const GrowableNet& net) {
  py::list out;
  for (const auto& g : net.groups()) {
    py::list members;
    for (const auto& member : g.members)
      members.append(py::dict(py::arg("kind") = kind_name(member.kind),
                              py::arg("path") = member.path, py::arg("block") = member.block));
    out.append(py::dict(py::arg("name") = g.name, py::arg("width") = net.width(g.name),
                        py::arg("reference_width") = g.reference_width, py::arg("set") = g.set,
                        py::arg("growable") = g.growable, py::arg("members") = members));
  }
  return out;
}

int64_t macs_of(NetHandle& h, const std::optional<std::vector<int64_t>>& shape) {
  if (shape) return live(h).macs(*shape);
  if (h.input_shape.empty())
    throw std::invalid_argument("this net's input shape is unknown: pass macs_for([C, H, W])");
  return live(h).macs(h.input_shape);
}

// Every parameter and buffer by its module path, as torch's state_dict() names them.
py::dict state_dict_of(const GrowableNet& net, bool keep_vars) {
  py::dict out;
  for (const auto& item : net.named_parameters())
    out[py::str(item.key())] = keep_vars ? item.value() : item.value().detach();
  for (const auto& item : net.named_buffers())
    out[py::str(item.key())] = keep_vars ? item.value() : item.value().detach();
  return out;
}

void load_state_dict_into(GrowableNet& net, const py::dict& state) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> targets;
  for (const auto& item : net.named_parameters()) targets[item.key()] = item.value();
  for (const auto& item : net.named_buffers()) targets[item.key()] = item.value();
  for (const auto& [name, target] : targets)
    if (!state.contains(py::str(name)))
      throw std::invalid_argument("state dict has no '" + name + "'");
  for (const auto& [key, value] : state) {
    const std::string name = py::str(key);
    auto it = targets.find(name);
    if (it == targets.end()) throw std::invalid_argument("net has no tensor '" + name + "'");
    torch::Tensor source = value.cast<torch::Tensor>();
    if (source.sizes() != it->second.sizes())
      throw std::invalid_argument("'" + name + "' has shape " + c10::str(source.sizes()) +
                                  " in the state dict but " + c10::str(it->second.sizes()) +
                                  " in the net (different widths?)");
    it->second.copy_(source);
  }
}

SliceInit slice_init_from(const py::object& init) {
  if (init.is_none()) return {};
  return [init](const TiedTensor& tied, int64_t count) -> torch::Tensor {
    py::object slice = init(tied, count);
    return slice.is_none() ? torch::Tensor() : slice.cast<torch::Tensor>();
  };
}

NetHandle build_model(const std::string& architecture, const std::vector<int64_t>& input_shape,
                      int64_t num_classes, double width, const std::vector<int64_t>& widths,
                      std::optional<uint64_t> seed, const py::dict& options) {
  const host::Registry& r = registry();
  const host::ComponentEntry& entry =
      r.require<Architecture>(architecture, {"<python>", 0, 0}, "architecture");
  // The explicit arguments join the schema only so a misspelt one gets a did-you-mean.
  OptionSchema schema = entry.info.schema;
  schema.merge(OptionSchema()
                   .add_int("num_classes", 10, "")
                   .add_float("width", 1.0, "")
                   .add_int_list("widths", {}, "")
                   .add_int("seed", 0, ""));
  Config config = config_from_kwargs(schema, options, "model");
  if (input_shape.size() != 3)
    throw std::invalid_argument("input_shape is one sample's [C, H, W], got " +
                                std::to_string(input_shape.size()) + " numbers");
  ModelSpec spec;
  spec.input_shape = input_shape;
  spec.num_classes = num_classes;
  spec.width = width;
  spec.widths = widths;
  auto arch = r.create<Architecture>(architecture, config);
  NetHandle handle{nullptr, input_shape, architecture};
  host::call_plugin(architecture, entry.library, "gear.create_model", [&] {
    // As gearhost does: seed, then build, so run.seed = S and seed = S give the same weights.
    if (seed) torch::manual_seed(*seed);
    handle.net = arch->build(spec);
  });
  return handle;
}

// The architecture options of the run a checkpoint belongs to (<run>/checkpoints/x.pt beside
// <run>/pipeline.resolved.toml), so a net built with, say, stem_stride = 1 is rebuilt the same.
py::dict run_architecture_options(const std::string& checkpoint, const std::string& architecture) {
  namespace fs = std::filesystem;
  py::dict options;
  const fs::path resolved =
      fs::path(checkpoint).parent_path().parent_path() / "pipeline.resolved.toml";
  std::error_code ec;
  const host::ComponentEntry* entry = registry().find(architecture);
  if (!entry || !fs::is_regular_file(resolved, ec)) return options;
  toml::table root = toml::parse_file(resolved.string());
  const toml::table* model = root["model"].as_table();
  if (!model || model->get("architecture") == nullptr ||
      model->get("architecture")->value<std::string>() != architecture)
    return options;
  for (const auto& spec : entry->info.schema.options()) {
    const toml::node* node = model->get(spec.name);
    if (!node) continue;
    if (auto v = node->value_exact<bool>())
      options[py::str(spec.name)] = *v;
    else if (auto i = node->value_exact<int64_t>())
      options[py::str(spec.name)] = *i;
    else if (auto d = node->value_exact<double>())
      options[py::str(spec.name)] = *d;
    else if (auto s = node->value_exact<std::string>())
      options[py::str(spec.name)] = *s;
  }
  return options;
}

}  // namespace

void bind_net(py::module_& m) {
  py::class_<TiedTensor>(m, "TiedTensor",
                         "One tensor tied to a channel group (aliases the live parameter).")
      .def_readonly("tensor", &TiedTensor::tensor)
      .def_property_readonly("role", [](const TiedTensor& t) { return role_name(t.role); })
      .def_readonly("dim", &TiedTensor::dim, "the dimension indexing the group's channels")
      .def_readonly("block", &TiedTensor::block, "entries per channel along dim")
      .def_readonly("name", &TiedTensor::name)
      .def("__repr__", [](const TiedTensor& t) {
        return "<TiedTensor " + t.name + " " + role_name(t.role) + " " +
               c10::str(t.tensor.sizes()) + " dim " + std::to_string(t.dim) + ">";
      });

  py::class_<NetHandle>(m, "Net",
                        "A growable net: forward, channel groups, widths, params, MACs, and the "
                        "surgery primitives widen, duplicate and select.")
      .def(
          "forward", [](NetHandle& h, const torch::Tensor& x) { return live(h).forward(x); },
          py::arg("images"), "Logits [N, classes] for float images [N, C, H, W].")
      .def("__call__", [](NetHandle& h, const torch::Tensor& x) { return live(h).forward(x); })
      .def_property_readonly(
          "widths", [](NetHandle& h) { return widths_of(live(h)); },
          "{group: width}, in group order")
      .def_property_readonly("group_names", [](NetHandle& h) { return live(h).group_names(); })
      .def_property_readonly(
          "groups", [](NetHandle& h) { return groups_of(live(h)); },
          "each group: name, width, reference_width, set, growable, members")
      .def_property_readonly("params", [](NetHandle& h) { return live(h).params(); })
      .def_property_readonly(
          "macs", [](NetHandle& h) { return macs_of(h, std::nullopt); },
          "multiply-accumulates of one forward pass for one sample")
      .def(
          "macs_for", [](NetHandle& h, std::vector<int64_t> shape) { return macs_of(h, shape); },
          py::arg("input_shape"))
      .def_readonly("input_shape", &NetHandle::input_shape)
      .def_readonly("architecture", &NetHandle::architecture)
      .def(
          "state_dict",
          [](NetHandle& h, bool keep_vars) { return state_dict_of(live(h), keep_vars); },
          py::arg("keep_vars") = false,
          "Every parameter and buffer by module path (detached unless keep_vars).")
      .def(
          "load_state_dict",
          [](NetHandle& h, const py::dict& s) { load_state_dict_into(live(h), s); },
          py::arg("state_dict"), "Copies every tensor in; names and shapes must match.")
      .def("parameters", [](NetHandle& h) { return live(h).parameters(); })
      .def("named_parameters",
           [](NetHandle& h) {
             std::vector<std::pair<std::string, torch::Tensor>> out;
             for (const auto& item : live(h).named_parameters())
               out.emplace_back(item.key(), item.value());
             return out;
           })
      .def(
          "train", [](NetHandle& h, bool on) { live(h).train(on); }, py::arg("mode") = true)
      .def("eval", [](NetHandle& h) { live(h).eval(); })
      .def_property_readonly("training", [](NetHandle& h) { return live(h).is_training(); })
      .def(
          "to", [](NetHandle& h, const std::string& device) { live(h).to(torch::Device(device)); },
          py::arg("device"))
      .def(
          "tied_tensors",
          [](NetHandle& h, const std::string& g) { return live(h).tied_tensors(g); },
          py::arg("group"))
      .def(
          "widen",
          [](NetHandle& h, const std::string& group, int64_t count, const py::object& init) {
            live(h).widen(group, count, slice_init_from(init));
          },
          py::arg("group"), py::arg("count"), py::arg("init") = py::none(),
          "Appends `count` channels to `group`. init(tied, count) returns each tied tensor's new "
          "slice (count * tied.block entries along tied.dim) or None for the inert default "
          "(zero weights, identity BatchNorm). Rebuild optimizers afterwards.")
      .def(
          "duplicate",
          [](NetHandle& h, const std::string& group, const std::vector<int64_t>& sources) {
            return live(h).duplicate(group, sources);
          },
          py::arg("group"), py::arg("sources"),
          "Appends a function-preserving copy of each source channel; returns the new indices.")
      .def(
          "select",
          [](NetHandle& h, const std::string& group, const std::vector<int64_t>& keep) {
            live(h).select(group, keep);
          },
          py::arg("group"), py::arg("keep"), "Keeps only channels `keep` of `group`, in order.")
      .def("__repr__", [](NetHandle& h) {
        return "<gear.Net " + (h.architecture.empty() ? std::string("?") : h.architecture) + " " +
               std::to_string(live(h).params()) + " params, widths " +
               c10::str(torch::IntArrayRef(live(h).widths())) + ">";
      });

  m.def(
      "create_model",
      [](const std::string& architecture, const std::vector<int64_t>& input_shape,
         int64_t num_classes, double width, const std::vector<int64_t>& widths,
         std::optional<uint64_t> seed, const py::kwargs& options) {
        return build_model(architecture, input_shape, num_classes, width, widths, seed, options);
      },
      py::arg("architecture"), py::arg("input_shape"), py::arg("num_classes") = 10,
      py::arg("width") = 1.0, py::arg("widths") = std::vector<int64_t>{},
      py::arg("seed") = py::none(),
      "Builds an architecture plugin's net on the CPU. `input_shape` is one sample's [C, H, W]; "
      "`width` scales the standard widths, `widths` sets each group's; the architecture's own "
      "options are keyword arguments, validated as in a pipeline. With `seed`, the weights are "
      "those a `gearhost run` with run.seed = seed starts from (checkpoints/initial.pt).");
  m.def(
      "load_checkpoint",
      [](const std::string& path, const py::kwargs& options) {
        host::CheckpointMeta meta = host::read_checkpoint_meta(path);
        py::dict all = run_architecture_options(path, meta.architecture);
        for (const auto& [key, value] : options) all[key] = value;  // given ones win
        NetHandle handle = build_model(meta.architecture, meta.input_shape, meta.num_classes, 1.0,
                                       meta.widths, std::nullopt, all);
        host::load_checkpoint_tensors(*handle.net, path);
        return handle;
      },
      py::arg("path"),
      "Rebuilds the net a checkpoint (a run's checkpoints/*.pt) records, at its widths, with its "
      "weights. Architecture options come from the run's pipeline.resolved.toml beside "
      "checkpoints/ when there is one; keyword arguments override them.");
}

}  // namespace gear::python

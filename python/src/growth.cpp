// Growth strategies written in Python. gear.GrowthContext is the host's context as Python sees
// it; gear_python_make_strategy_v1 is what the python: growth bridge plugin calls to turn
// `strategy = "python:module.Class"` into a C++ GrowthStrategy that runs the Python class.
#include <torch/csrc/Generator.h>

#include <filesystem>

#include "bindings.h"
#include "gear/growth_strategy.h"
#include "gear/host/growth_stage.h"
#include "gear/host/host_schemas.h"
#include "gear/host/stage_kind.h"
#include "gear/host/text_match.h"
#include "gear/python_bridge.h"
#include "net_handle.h"
#include "python_component.h"
#include "shard_calls.h"

namespace gear::python {

namespace fs = std::filesystem;

namespace {

/// The host's context, lent to Python for one grow() call.
struct ContextHandle {
  GrowthContext* context = nullptr;
  GrowthContext& live() const {
    if (!context)
      throw std::runtime_error("this gear.GrowthContext was lent for one grow() call only");
    return *context;
  }
};

py::object budget_dict(const Budget& budget) {
  py::dict d;
  auto opt = [](const std::optional<int64_t>& v) { return v ? py::cast(*v) : py::none(); };
  d["params"] = opt(budget.params);
  d["bytes"] = opt(budget.bytes);
  d["train_memory"] = opt(budget.train_memory);
  return std::move(d);
}

// A per-group count from a list in group order or a dict by group name.
std::vector<int64_t> per_group(const py::handle& value, const std::vector<std::string>& names,
                               const char* field) {
  std::vector<int64_t> out(names.size(), 0);
  if (value.is_none()) return out;
  if (py::isinstance<py::dict>(value)) {
    for (const auto& [key, count] : value.cast<py::dict>()) {
      const std::string name = py::str(key);
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end())
        throw std::invalid_argument(std::string("GrowthResult.") + field + " names group '" + name +
                                    "', which the net does not have" +
                                    host::suggestion_text(name, names));
      out[static_cast<size_t>(it - names.begin())] = count.cast<int64_t>();
    }
    return out;
  }
  auto list = value.cast<std::vector<int64_t>>();
  if (!list.empty() && list.size() != names.size())
    throw std::invalid_argument(std::string("GrowthResult.") + field + " has " +
                                std::to_string(list.size()) + " counts for " +
                                std::to_string(names.size()) + " groups");
  if (!list.empty()) out = list;
  return out;
}

// The record of a grow() call from what Python returned; None counts every new channel as fresh.
GrowthResult result_from(const py::handle& result, const std::vector<std::string>& names,
                         const std::vector<int64_t>& before, const std::vector<int64_t>& after) {
  GrowthResult out;
  if (result.is_none()) {
    out.split.assign(names.size(), 0);
    for (size_t i = 0; i < names.size(); ++i) out.fresh.push_back(after[i] - before[i]);
    return out;
  }
  out.split = per_group(result_field(result, "split"), names, "split");
  out.fresh = per_group(result_field(result, "fresh"), names, "fresh");
  py::object bound_by = result_field(result, "bound_by");
  if (!bound_by.is_none()) out.bound_by = bound_by.cast<std::string>();
  py::object metrics = result_field(result, "metrics");
  if (!metrics.is_none()) out.metrics = metrics.cast<std::map<std::string, double>>();
  return out;
}

class PythonStrategy final : public GrowthStrategy {
 public:
  PythonStrategy(py::object instance, std::string target)
      : instance_(std::move(instance), std::move(target)) {}

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override {
    py::gil_scoped_acquire gil;
    const std::vector<std::string> names = net.group_names();
    const std::vector<int64_t> before = net.widths();
    py::object result = instance_.call("grow", net, context.sample_shape(), ContextHandle{&context},
                                       "Python growth strategy");
    return result_from(result, names, before, net.widths());
  }

 private:
  PythonInstance instance_;
};

std::shared_ptr<GrowthStrategy> make_strategy(const Config& options, const OptionSchema& bridge) {
  py::gil_scoped_acquire gil;
  std::string target;
  py::object instance = make_python_component(
      options, bridge, {"strategy", "GrowthStrategy", "growth strategy"}, &target);
  return std::make_shared<PythonStrategy>(std::move(instance), target);
}

}  // namespace

// gear.grow: a registered strategy run on a gear.Net and a batch of images, exactly as a grow
// stage runs it; returns the stage's stages.json record.
py::object grow(NetHandle& handle, const std::string& strategy, const torch::Tensor& images,
                const torch::Tensor& labels, int64_t batch_size, uint64_t seed,
                std::vector<double> mean, std::vector<double> std, const py::dict& budget,
                const py::kwargs& options) {
  if (!handle.net) throw std::runtime_error("the net is no longer valid");
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4)
    throw std::invalid_argument("gear.grow: images must be uint8 [N, C, H, W], got " +
                                std::string(c10::toString(images.scalar_type())) + " " +
                                c10::str(images.sizes()));
  if (labels.dim() != 1 || labels.size(0) != images.size(0))
    throw std::invalid_argument("gear.grow: labels must be [N] for the images' N = " +
                                std::to_string(images.size(0)));
  if (batch_size < 1) throw std::invalid_argument("gear.grow: batch_size must be at least 1");
  const int64_t channels = images.size(1);
  if (mean.empty()) mean.assign(static_cast<size_t>(channels), 0.0);
  if (std.empty()) std.assign(static_cast<size_t>(channels), 1.0);
  const host::Registry& r = registry();
  const SourcePosition where{"<python>", 0, 0};
  const host::ComponentEntry& entry = r.require<GrowthStrategy>(strategy, where, "strategy");
  host::StageSpec stage;
  stage.kind = "grow";
  stage.where = where;
  stage.component = {strategy, config_from_kwargs(entry.info.schema, options, "gear.grow")};
  host::DeviceData data{images, labels.to(torch::kLong)};
  host::GrowthInputs inputs;
  inputs.net = handle.net.get();
  inputs.train = &data;
  inputs.normalizer = host::Normalizer(mean, std, images.device());
  inputs.batch_size = batch_size;
  inputs.prefetch = false;
  inputs.seed = seed;
  for (const auto& [key, value] : budget) {
    const std::string name = py::str(key);
    const int64_t cap = value.cast<int64_t>();
    if (name == "params")
      inputs.budget.params = cap;
    else if (name == "bytes")
      inputs.budget.bytes = cap;
    else if (name == "train_memory")
      inputs.budget.train_memory = cap;
    else
      throw ConfigError(where, "budget." + name,
                        "unknown budget field '" + name + "'" +
                            host::suggestion_text(name, {"params", "bytes", "train_memory"}));
    inputs.budget_written[name] = cap;
  }
  inputs.sample_shape = images.sizes().slice(1).vec();
  nlohmann::json record;
  {
    py::gil_scoped_release release;  // a python: strategy takes the GIL itself
    record = host::run_growth(stage, r, inputs);
  }
  return to_python(record);
}

void bind_growth(py::module_& m) {
  m.def("grow", &grow, py::arg("net"), py::arg("strategy"), py::arg("images"), py::arg("labels"),
        py::arg("batch_size") = 128, py::arg("seed") = 0, py::arg("mean") = std::vector<double>{},
        py::arg("std") = std::vector<double>{}, py::arg("budget") = py::dict(),
        "Grows `net` in place with the registered strategy `strategy` (its options as keyword "
        "arguments, as in a grow stage), training and scoring on uint8 `images` [N, C, H, W] "
        "and `labels` [N] normalised with `mean` and `std` (default 0 and 1), in batches of "
        "`batch_size`, seeded by `seed`, within `budget` ({params, bytes, train_memory}). "
        "Returns what stages.json records for a grow stage: widths before and after, channels "
        "kept, params, the strategy's figures and records.");
  with_shard_calls(py::class_<ContextHandle>(
                       m, "GrowthContext",
                       "What the host offers a growth strategy during grow(): the training "
                       "batches, a seeded generator, the budget."))
      .def_property_readonly("device",
                             [](const ContextHandle& h) { return h.live().device().str(); })
      .def(
          "for_each_batch",
          [](const ContextHandle& h, const py::function& step) {
            GrowthContext& context = h.live();
            py::gil_scoped_release release;
            context.for_each_batch([&](const torch::Tensor& images, const torch::Tensor& labels) {
              py::gil_scoped_acquire gil;
              step(images, labels);
            });
          },
          py::arg("step"),
          "Calls step(images, labels) on every training batch of one epoch: normalised float "
          "images [N, C, H, W] and int64 labels, on the run's device.")
      .def_property_readonly(
          "generator",
          [](const ContextHandle& h) {
            return py::reinterpret_steal<py::object>(THPGenerator_Wrap(h.live().generator()));
          },
          "The stage's seeded torch.Generator (CPU): draw from it so runs repeat.")
      .def_property_readonly(
          "budget", [](const ContextHandle& h) { return budget_dict(h.live().budget()); },
          "{params, bytes, train_memory}: caps, None where unset")
      .def_property_readonly("sample_shape",
                             [](const ContextHandle& h) { return h.live().sample_shape(); })
      .def(
          "exceeds_budget",
          [](const ContextHandle& h, NetHandle& net) {
            if (!net.net) throw std::runtime_error("the net is no longer valid");
            return h.live().exceeds_budget(*net.net);
          },
          py::arg("net"),
          "Which budget field the net exceeds (\"params\", \"bytes\", \"train_memory\"), or "
          "\"\" if it fits.");
}

}  // namespace gear::python

// The python: growth bridge's way in, declared in gear/python_bridge.h.
extern "C" __attribute__((visibility("default"))) void gear_python_make_strategy_v1(
    const gear::Config* options, const gear::OptionSchema* bridge_schema,
    std::shared_ptr<gear::GrowthStrategy>* out) {
  *out = gear::python::make_strategy(*options, *bridge_schema);
}
static_assert(std::is_same_v<decltype(&gear_python_make_strategy_v1), GearPythonMakeStrategyV1>,
              "the bridge's entry point must have the signature gear/python_bridge.h declares");

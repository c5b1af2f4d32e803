// Pruners written in Python. gear.PruningContext is the host's context as Python sees it;
// gear_python_make_pruner_v1 is what the python: bridge plugin calls to turn
// `pruner = "python:module.Class"` into a C++ Pruner that runs the Python class.
#include <torch/csrc/Generator.h>

#include "bindings.h"
#include "gear/pruner.h"
#include "gear/python_bridge.h"
#include "python_component.h"
#include "shard_calls.h"

namespace gear::python {

namespace {

/// The host's context, lent to Python for one prune() call.
struct PruningContextHandle {
  PruningContext* context = nullptr;
  PruningContext& live() const {
    if (!context)
      throw std::runtime_error("this gear.PruningContext was lent for one prune() call only");
    return *context;
  }
};

// The record of a prune() call: the channels removed come from the widths (what the net lost),
// the rest from what Python returned (None: reached the target, no figures).
PruneResult result_from(const py::handle& result, const std::vector<int64_t>& before,
                        const std::vector<int64_t>& after) {
  PruneResult out;
  for (size_t g = 0; g < before.size(); ++g) {
    if (after[g] > before[g])
      throw std::invalid_argument("a pruner may only remove channels; group " + std::to_string(g) +
                                  " grew from " + std::to_string(before[g]) + " to " +
                                  std::to_string(after[g]));
    out.removed.push_back(before[g] - after[g]);
  }
  if (result.is_none()) return out;
  py::object bound_by = result_field(result, "bound_by");
  if (!bound_by.is_none()) out.bound_by = bound_by.cast<std::string>();
  if (out.bound_by != "target" && out.bound_by != "floor")
    throw std::invalid_argument("PruneResult.bound_by must be \"target\" or \"floor\", got \"" +
                                out.bound_by + "\"");
  py::object metrics = result_field(result, "metrics");
  if (!metrics.is_none()) out.metrics = metrics.cast<std::map<std::string, double>>();
  return out;
}

class PythonPruner final : public Pruner {
 public:
  PythonPruner(py::object instance, std::string target)
      : instance_(std::move(instance), std::move(target)) {}

  PruneResult prune(GrowableNet& net, PruningContext& context) override {
    py::gil_scoped_acquire gil;
    const std::vector<int64_t> before = net.widths();
    py::object result = instance_.call("prune", net, context.sample_shape(),
                                       PruningContextHandle{&context}, "Python pruner");
    return result_from(result, before, net.widths());
  }

 private:
  PythonInstance instance_;
};

std::shared_ptr<Pruner> make_pruner(const Config& options, const OptionSchema& bridge) {
  py::gil_scoped_acquire gil;
  std::string target;
  py::object instance =
      make_python_component(options, bridge, {"pruner", "Pruner", "pruner"}, &target);
  return std::make_shared<PythonPruner>(std::move(instance), target);
}

}  // namespace

void bind_pruning(py::module_& m) {
  with_shard_calls(
      py::class_<PruningContextHandle>(m, "PruningContext",
                                       "What the host offers a pruner during prune(): the target, "
                                       "the training batches, a seeded generator."))
      .def_property_readonly("device",
                             [](const PruningContextHandle& h) { return h.live().device().str(); })
      .def_property_readonly(
          "target",
          [](const PruningContextHandle& h) {
            const PruneTarget& t = h.live().target();
            py::dict d;
            d["measure"] = measure_name(t.measure);
            d["fraction"] = t.fraction;
            return d;
          },
          "{measure: \"params\" | \"macs\" | \"bytes\", fraction}: what to remove")
      .def_property_readonly("sample_shape",
                             [](const PruningContextHandle& h) { return h.live().sample_shape(); })
      .def(
          "for_each_batch",
          [](const PruningContextHandle& h, const py::function& step, int64_t max_batches) {
            PruningContext& context = h.live();
            py::gil_scoped_release release;
            context.for_each_batch(
                [&](const torch::Tensor& images, const torch::Tensor& labels) {
                  py::gil_scoped_acquire gil;
                  step(images, labels);
                },
                max_batches);
          },
          py::arg("step"), py::arg("max_batches") = 0,
          "Calls step(images, labels) on up to max_batches (0: all) shuffled training batches: "
          "normalised float images [N, C, H, W] and int64 labels, on the run's device.")
      .def_property_readonly(
          "generator",
          [](const PruningContextHandle& h) {
            return py::reinterpret_steal<py::object>(THPGenerator_Wrap(h.live().generator()));
          },
          "The stage's seeded torch.Generator (CPU): draw from it so runs repeat.");
}

}  // namespace gear::python

// The python: pruner bridge's way in, declared in gear/python_bridge.h.
extern "C" __attribute__((visibility("default"))) void gear_python_make_pruner_v1(
    const gear::Config* options, const gear::OptionSchema* bridge_schema,
    std::shared_ptr<gear::Pruner>* out) {
  *out = gear::python::make_pruner(*options, *bridge_schema);
}
static_assert(std::is_same_v<decltype(&gear_python_make_pruner_v1), GearPythonMakePrunerV1>,
              "the bridge's entry point must have the signature gear/python_bridge.h declares");

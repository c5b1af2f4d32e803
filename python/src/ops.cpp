// gear.ops.<name> (through apply_augmix_op), gear.augment and gear.corrupt: the kernels the
// augmentation and robustness plugins run, linked from the same static libraries.
#include "augmix_ops.h"
#include "bindings.h"
#include "corruptions.h"
#include "gear/augmentation.h"
#include "gear/host/device.h"

namespace gear::python {

namespace {

void check_uint8_batch(const torch::Tensor& images, const char* what) {
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4)
    throw std::invalid_argument(std::string(what) + ": expected uint8 images [N, C, H, W], got " +
                                c10::toString(images.scalar_type()) + " " +
                                c10::str(images.sizes()));
}

}  // namespace

void bind_ops(py::module_& m) {
  m.def("augmix_op_names", &ops::augmix_op_names, "The 13 AugMix op names, in AugMix's order.");
  m.def(
      "apply_augmix_op",
      [](const std::string& name, const torch::Tensor& images, const torch::Tensor& magnitudes) {
        check_uint8_batch(images, name.c_str());
        if (magnitudes.numel() != 1 && magnitudes.numel() != images.size(0))
          throw std::invalid_argument(name + ": " + std::to_string(magnitudes.numel()) +
                                      " magnitudes for " + std::to_string(images.size(0)) +
                                      " images (give one, or one per image)");
        py::gil_scoped_release release;
        return ops::apply_augmix_op(name, images.contiguous(), magnitudes);
      },
      py::arg("name"), py::arg("images"), py::arg("magnitudes"));
  m.def("corruption_names", &corruptions::names,
        "The 15 corruptions of CIFAR-10-C / Tiny-ImageNet-C, in the reference's order.");
  m.def(
      "corrupt",
      [](const std::string& name, const torch::Tensor& images, int severity, uint64_t seed) {
        check_uint8_batch(images, name.c_str());
        py::gil_scoped_release release;
        torch::Generator generator = host::make_generator(images.device(), seed);
        return corruptions::corrupt(name, images.contiguous(), severity, generator);
      },
      py::arg("name"), py::arg("images"), py::arg("severity"), py::arg("seed") = 0,
      "Corrupts uint8 images [N, C, H, W] (C = 1 or 3) at severity 1..5, as the corruptions "
      "evaluator does; the same seed gives the same result.");
  m.def(
      "augment",
      [](const std::string& name, const torch::Tensor& images, uint64_t seed,
         const py::kwargs& options) -> py::object {
        check_uint8_batch(images, name.c_str());
        const host::Registry& r = registry();
        const host::ComponentEntry& entry =
            r.require<Augmentation>(name, {"<python>", 0, 0}, "augmentation");
        auto policy =
            r.create<Augmentation>(name, config_from_kwargs(entry.info.schema, options, name));
        AugmentedBatch batch;
        {
          py::gil_scoped_release release;
          torch::Generator generator = host::make_generator(images.device(), seed);
          host::call_plugin(name, entry.library, "gear.augment",
                            [&] { batch = policy->augment(images.contiguous(), generator); });
        }
        if (batch.views.size() == 1) return py::cast(batch.views[0]);
        return py::cast(batch.views);
      },
      py::arg("name"), py::arg("images"), py::arg("seed") = 0,
      "Runs an augmentation plugin (augmix, era, standard, ...) on uint8 images [N, C, H, W] "
      "with its options as keyword arguments. Returns the augmented batch, or the list of views "
      "for policies that make several (AugMix with its consistency loss: clean view first).");
}

}  // namespace gear::python

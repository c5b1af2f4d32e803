// gear.ops.<name> (through apply_augmix_op), gear.augment and gear.corrupt: the plugins' own
// kernels, reached through the registry (the augmix_ops and corruption_ops image transforms, and
// the augmentation plugins), never compiled into the module.
#include "bindings.h"
#include "gear/augmentation.h"
#include "gear/host/device.h"
#include "gear/image_transforms.h"

namespace gear::python {

namespace {

void check_uint8_batch(const torch::Tensor& images, const char* what) {
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4)
    throw std::invalid_argument(std::string(what) + ": expected uint8 images [N, C, H, W], got " +
                                c10::toString(images.scalar_type()) + " " +
                                c10::str(images.sizes()));
}

// The image-transform family `family` of the loaded plugins, created once per call.
std::shared_ptr<ImageTransforms> transforms(const std::string& family) {
  const host::Registry& r = registry();
  const host::ComponentEntry& entry =
      r.require<ImageTransforms>(family, {"<python>", 0, 0}, family);
  Config options(family, {"<python>", 0, 0});
  return r.create<ImageTransforms>(entry.info.name, options);
}

torch::Tensor apply_transform(const std::string& family, const std::string& name,
                              const torch::Tensor& images, const torch::Tensor& levels,
                              uint64_t seed) {
  auto family_ops = transforms(family);
  py::gil_scoped_release release;
  torch::Generator generator = host::make_generator(images.device(), seed);
  // Called directly, not attributed: a bad name or level here is the caller's argument, and its
  // std::invalid_argument reaches Python as the ValueError it is (plugins are never unloaded, so
  // the exception's text outlives nothing).
  return family_ops->apply(name, images.contiguous(), levels, generator);
}

}  // namespace

void bind_ops(py::module_& m) {
  m.def(
      "augmix_op_names", [] { return transforms("augmix_ops")->names(); },
      "The 13 AugMix op names, in AugMix's order.");
  m.def(
      "apply_augmix_op",
      [](const std::string& name, const torch::Tensor& images, const torch::Tensor& magnitudes) {
        check_uint8_batch(images, name.c_str());
        return apply_transform("augmix_ops", name, images, magnitudes, 0);
      },
      py::arg("name"), py::arg("images"), py::arg("magnitudes"));
  m.def(
      "corruption_names", [] { return transforms("corruption_ops")->names(); },
      "The 15 corruptions of CIFAR-10-C / Tiny-ImageNet-C, in the reference's order.");
  m.def(
      "corrupt",
      [](const std::string& name, const torch::Tensor& images, int severity, uint64_t seed) {
        check_uint8_batch(images, name.c_str());
        return apply_transform("corruption_ops", name, images,
                               torch::tensor({static_cast<double>(severity)}), seed);
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

#include "augmix_augmentation.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "augmix_ops.h"
#include "augmix_ops_cpu.h"
#include "image_checks.h"
#include "random_crop.h"

namespace gear::plugins::augmentations {

const OptionBinder<AugMixOptions>& AugMixAugmentation::binder() {
  static const OptionBinder<AugMixOptions> binder = [] {
    using O = AugMixOptions;
    OptionBinder<O> b;
    b.bind("width", &O::width, "mixture width W: augmentation chains mixed per view").range(1, 16);
    b.bind("depth", &O::depth,
           "mixture depth D: ops per chain; -1 draws 1, 2 or 3 per chain (AugMix's default)")
        .range(-1, 16)
        .check([](int64_t depth) {
          return depth == 0 ? "must be -1 (1, 2 or 3 ops per chain) or at least 1" : "";
        });
    b.bind("severity", &O::severity,
           "op levels are drawn from U(0.1, severity); ERA reads the paper's J = 4 as this")
        .range(0.1, 10.0);
    b.bind("alpha", &O::alpha, "Dirichlet chain weights and Beta skip-share coefficient")
        .range(1e-3, 1e3);
    b.bind("all_ops", &O::all_ops,
           "add the enhance ops (color, contrast, brightness, sharpness), which overlap the test "
           "corruptions");
    // Written as op names, held as AugOp ids.
    b.bind_as<std::vector<std::string>>(
         "ops", &O::ops,
         "explicit op set (names as in gear.ops); empty: the 9 default ops, or all 13 with "
         "all_ops",
         [](const std::vector<std::string>& names) {
           std::vector<int64_t> ids;
           for (const auto& name : names) ids.push_back(static_cast<int64_t>(ops::augmix_op(name)));
           return ids;
         },
         [](const std::vector<int64_t>& ids) {
           std::vector<std::string> names;
           for (int64_t id : ids)
             names.push_back(ops::augmix_op_names().at(static_cast<size_t>(id)));
           return names;
         })
        .one_of(ops::augmix_op_names());
    b.bind("jsd", &O::jsd,
           "Jensen-Shannon consistency: the clean view and `views` augmented views go through one "
           "forward pass; off: train on one augmented view");
    b.bind("jsd_lambda", &O::jsd_lambda, "weight of the Jensen-Shannon term").at_least(0.0);
    b.bind("views", &O::views, "augmented views per sample when jsd is on").range(1, 8);
    b.bind("padding", &O::padding,
           "zero padding of the random crop that precedes mixing; -1 = an eighth of the image "
           "side (4 px at 28 and 32 px, 8 px at 64 px)")
        .at_least(kAutoPadding);
    b.bind("crop", &O::crop, "random crop, shared by the clean and augmented views");
    b.bind("flip", &O::flip, "random horizontal flip, shared by all views");
    return b;
  }();
  return binder;
}

OptionSchema AugMixAugmentation::schema(const AugMixOptions& defaults) {
  return binder().schema(defaults);
}

AugMixAugmentation::AugMixAugmentation(AugMixOptions options) : options_(std::move(options)) {
  if (options_.depth == 0 || options_.depth < -1)
    throw std::invalid_argument("augmix: depth must be -1 or at least 1");
  if (options_.width < 1) throw std::invalid_argument("augmix: width must be at least 1");
  if (options_.ops.empty()) {
    const int64_t count = options_.all_ops ? static_cast<int64_t>(ops::augmix_op_names().size())
                                           : ops::kDefaultOpCount;
    for (int64_t i = 0; i < count; ++i) options_.ops.push_back(i);
  }
}

AugMixAugmentation::AugMixAugmentation(const Config& options)
    : AugMixAugmentation(binder().read(options)) {}

torch::Tensor run_chains_by_step(torch::Tensor chains, const ChainDraws& draws) {
  const int64_t image_size = chains.size(3);
  for (int64_t step = 0; step < draws.ops.size(0); ++step) {
    // Chains shorter than this step get op -1: left as they are.
    torch::Tensor op =
        torch::where(draws.depth > step, draws.ops[step], torch::full_like(draws.ops[step], -1));
    torch::Tensor magnitude =
        ops::augmix_magnitudes(op, draws.levels[step], draws.negate[step], image_size);
    chains = ops::apply_augmix_ops(chains, op, magnitude);
  }
  return chains;
}

namespace {

// (1 - m) x + m sum_k w_k chain_k(x) for every view and sample, in one pass over the uint8 data
// (the tensor version makes three float passes). `chain(j, image, scratch)` gives chain j's image
// for sample i (`image`; j = (view * width + k) * n + i), using the thread's `scratch` as it needs.
template <typename ChainImage>
torch::Tensor mix_cpu(const torch::Tensor& clean, const MixDraws& draws, int64_t scratch_bytes,
                      const ChainImage& chain) {
  const int64_t views = draws.weights.size(0), width = draws.weights.size(1);
  const int64_t n = clean.size(0), size = clean[0].numel();
  torch::Tensor base = clean.contiguous();
  torch::Tensor weights = draws.weights.to(torch::kFloat32).contiguous();
  torch::Tensor skip = draws.skip.to(torch::kFloat32).contiguous();
  torch::Tensor out = torch::empty({views, n, clean.size(1), clean.size(2), clean.size(3)},
                                   torch::TensorOptions().dtype(torch::kFloat32));
  const uint8_t* x = base.data_ptr<uint8_t>();
  const float* wt = weights.data_ptr<float>();
  const float* m = skip.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, views * n, 8, [&](int64_t begin, int64_t end) {
    std::vector<float> scale(static_cast<size_t>(width));
    std::vector<uint8_t> scratch(static_cast<size_t>(scratch_bytes));
    for (int64_t vn = begin; vn < end; ++vn) {
      const int64_t v = vn / n, i = vn % n;
      const float share = m[vn];
      const float keep = (1.0F - share) / 255.0F;
      for (int64_t k = 0; k < width; ++k) scale[k] = share * wt[(v * width + k) * n + i] / 255.0F;
      float* dst = o + vn * size;
      const uint8_t* src = x + i * size;
      for (int64_t p = 0; p < size; ++p) dst[p] = keep * static_cast<float>(src[p]);
      for (int64_t k = 0; k < width; ++k) {
        const uint8_t* ck = chain((v * width + k) * n + i, src, scratch.data());
        const float sk = scale[k];
        for (int64_t p = 0; p < size; ++p) dst[p] += sk * static_cast<float>(ck[p]);
      }
    }
  });
  return out;
}

torch::Tensor mix_chains_cpu(const torch::Tensor& clean, const torch::Tensor& chains,
                             const MixDraws& draws) {
  torch::Tensor stacked = chains.contiguous();
  const uint8_t* data = stacked.data_ptr<uint8_t>();
  const int64_t size = clean[0].numel();
  return mix_cpu(clean, draws, 0,
                 [&](int64_t j, const uint8_t*, uint8_t*) { return data + j * size; });
}

// Runs each chain on its sample inside the mixing pass: no stacked copy of the batch, no chain
// tensor, and every image stays in the core's cache from its first op to its mix.
torch::Tensor augment_and_mix_cpu(const torch::Tensor& clean, const ChainDraws& chain_draws,
                                  const MixDraws& mix_draws) {
  const int64_t c = clean.size(1), h = clean.size(2), w = clean.size(3);
  const ops::ChainKernel kernel(chain_draws.depth, chain_draws.ops, chain_draws.levels,
                                chain_draws.negate, w);
  return mix_cpu(clean, mix_draws, 2 * c * h * w,
                 [&](int64_t j, const uint8_t* image, uint8_t* scratch) {
                   return kernel.run(j, image, nullptr, scratch, c, h, w);
                 });
}

bool fused_chains_apply(const torch::Tensor& images, const ChainDraws& draws) {
  return images.device().is_cpu() &&
         !(draws.ops.numel() > 0 &&
           draws.ops.max().item<int64_t>() >= static_cast<int64_t>(ops::AugOp::kColor));
}

}  // namespace

torch::Tensor run_chains(torch::Tensor chains, const ChainDraws& draws) {
  // On the CPU each chain runs all its ops in one fused pass, in parallel over chains; the
  // enhance ops (all_ops) keep the step-by-step path.
  if (fused_chains_apply(chains, draws))
    return ops::run_augmix_chains_cpu(chains, draws.depth, draws.ops, draws.levels, draws.negate,
                                      chains.size(3));
  return run_chains_by_step(std::move(chains), draws);
}

torch::Tensor mix_chains(const torch::Tensor& clean, const torch::Tensor& chains,
                         const MixDraws& draws) {
  if (clean.device().is_cpu()) return mix_chains_cpu(clean, chains, draws);
  const int64_t views = draws.weights.size(0), width = draws.weights.size(1);
  const int64_t n = clean.size(0), c = clean.size(1), h = clean.size(2), w = clean.size(3);
  // AugMix mixes normalised tensors; normalisation is affine and the weights sum to one, so
  // mixing in [0, 1] first gives the same images.
  torch::Tensor chain_images =
      chains.to(torch::kFloat32).div_(255.0).view({views, width, n, c, h, w});
  torch::Tensor mix = (chain_images * draws.weights.view({views, width, n, 1, 1, 1})).sum(1);
  torch::Tensor skip = draws.skip.view({views, n, 1, 1, 1});
  torch::Tensor base = clean.to(torch::kFloat32).div_(255.0).unsqueeze(0);
  return (1.0 - skip) * base + skip * mix;
}

AugmentedBatch AugMixAugmentation::augment(const torch::Tensor& images,
                                           torch::Generator& generator) {
  ops::check_uint8_images(images, "augmix");
  const int64_t n = images.size(0);
  const torch::Device device = images.device();
  // Crop and flip come first and are shared by every view, as in the reference's data pipeline.
  torch::Tensor base = images;
  const int64_t padding = crop_padding(options_.padding, base);
  if (options_.crop && padding > 0) base = random_crop(base, padding, generator);
  if (options_.flip) {
    const auto longs = torch::TensorOptions().dtype(torch::kLong).device(device);
    torch::Tensor flipped = torch::randint(0, 2, {n}, generator, longs).to(torch::kBool);
    base = torch::where(flipped.view({-1, 1, 1, 1}), base.flip({3}), base);
  }
  const int64_t views = options_.jsd ? options_.views : 1;
  const int64_t chains = views * options_.width;
  ChainDraws chain_draws = draw_chains(options_, chains * n, device, generator);
  MixDraws mix_draws = draw_mixing(options_, views, n, device, generator);
  torch::Tensor mixed =
      fused_chains_apply(base, chain_draws)
          ? augment_and_mix_cpu(base, chain_draws, mix_draws)
          : mix_chains(base, run_chains(base.repeat({chains, 1, 1, 1}), chain_draws), mix_draws);

  AugmentedBatch batch;
  if (!options_.jsd) {
    batch.views = {mixed[0]};
    return batch;
  }
  batch.views.push_back(base);
  for (int64_t v = 0; v < views; ++v) batch.views.push_back(mixed[v]);
  batch.consistency_weight = options_.jsd_lambda;
  return batch;
}

}  // namespace gear::plugins::augmentations

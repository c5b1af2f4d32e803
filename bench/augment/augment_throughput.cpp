// Times GEAR's AugMix/ERA on one batch configuration and prints one JSON line: the C++ side of
// bench/augmentation_throughput.py. Usage:
//   gear_bench_augment POLICY BATCH THREADS IMAGES SIZE CHANNELS REPEATS
// POLICY is augmix or era. The images are random uint8 (the ops' cost does not depend on content
// beyond the histograms). The first pass warms up and is not timed.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "augmix_augmentation.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s POLICY BATCH THREADS IMAGES SIZE CHANNELS REPEATS\n", argv[0]);
    return 2;
  }
  const std::string policy = argv[1];
  const int64_t batch = std::atoll(argv[2]), threads = std::atoll(argv[3]),
                images = std::atoll(argv[4]), size = std::atoll(argv[5]),
                channels = std::atoll(argv[6]), repeats = std::atoll(argv[7]);
  if (policy != "augmix" && policy != "era") {
    std::fprintf(stderr, "policy must be augmix or era\n");
    return 2;
  }
  torch::set_num_threads(static_cast<int>(threads));
  namespace aug = gear::plugins::augmentations;
  // Both policies make JSD triples (clean + 2 views), ERA included, and neither crops or flips:
  // the work of the reference's AugMix per sample, which bench/augmentation_throughput.py times.
  aug::AugMixOptions options = policy == "era" ? aug::era_options() : aug::AugMixOptions{};
  options.jsd = true;
  options.views = 2;
  options.crop = false;
  options.flip = false;
  aug::AugMixAugmentation augmentation(options);
  torch::manual_seed(0);
  torch::Tensor data = torch::randint(0, 256, {images, channels, size, size}, torch::kUInt8);
  torch::Generator generator = at::detail::createCPUGenerator(1);
  auto pass = [&] {
    double checksum = 0.0;
    for (int64_t begin = 0; begin < images; begin += batch) {
      auto views =
          augmentation.augment(data.slice(0, begin, std::min(begin + batch, images)), generator)
              .views;
      checksum += views.back().sum().item<double>();
    }
    return checksum;
  };
  pass();
  double best = 0.0, total = 0.0;
  for (int64_t r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    pass();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(images) / seconds;
    best = std::max(best, rate);
    total += rate;
  }
  std::printf(
      "{\"policy\": \"%s\", \"batch\": %lld, \"threads\": %lld, \"images_per_second\": "
      "%.1f, \"best_images_per_second\": %.1f}\n",
      policy.c_str(), static_cast<long long>(batch), static_cast<long long>(threads),
      total / static_cast<double>(repeats), best);
  return 0;
}

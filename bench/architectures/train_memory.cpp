// Peak training memory, parameters and MACs of one architecture at one width and input: the C++
// side of bench/architectures.py. Prints one JSON line. Usage:
//   gear_bench_train_memory PLUGIN_DIR ARCHITECTURE WIDTH C H W BATCH CLASSES
// The memory is what the `train_memory` budget measures (host::measure_train_memory): the peak
// bytes allocated during one SGD step (forward, cross-entropy, backward) on the CPU, including
// the parameters, their gradients and one momentum buffer per parameter.
#include "gear/host/train_memory.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "plugin_net.h"

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: %s PLUGIN_DIR ARCHITECTURE WIDTH C H W BATCH CLASSES\n", argv[0]);
    return 2;
  }
  const std::string plugin_dir = argv[1], name = argv[2];
  const double width = std::atof(argv[3]);
  const int64_t c = std::atoll(argv[4]), h = std::atoll(argv[5]), w = std::atoll(argv[6]),
                batch = std::atoll(argv[7]), classes = std::atoll(argv[8]);
  torch::set_num_threads(2);
  gear::ModelSpec spec;
  spec.input_shape = {c, h, w};
  spec.num_classes = classes;
  spec.width = width;
  auto built = gear::bench::build_plugin_net(plugin_dir, name, spec);
  if (!built) return 2;
  gear::GrowableNet* net = built->net.get();
  const auto start = std::chrono::steady_clock::now();
  const int64_t bytes =
      gear::host::measure_train_memory(*net, spec.input_shape, batch, torch::kCPU);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"architecture\": \"%s\", \"width\": %g, \"input\": [%ld, %ld, %ld], \"batch\": %ld, "
      "\"params\": %ld, \"macs\": %ld, \"train_memory_bytes\": %ld, \"step_seconds\": %.3f}\n",
      name.c_str(), width, static_cast<long>(c), static_cast<long>(h), static_cast<long>(w),
      static_cast<long>(batch), static_cast<long>(net->params()),
      static_cast<long>(net->macs(spec.input_shape)), static_cast<long>(bytes), seconds);
  return 0;
}

#pragma once

// A net built by an architecture plugin with its default options, for the C++ benchmarks that
// measure one architecture outside a pipeline.

#include <torch/utils.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "gear/architecture.h"
#include "gear/host/cpu_allocator.h"
#include "gear/host/plugin_loader.h"
#include "gear/host/registry.h"

namespace gear::bench {

/// The registry that keeps the plugin libraries loaded, and the net built from one of them; the
/// net must not outlive the registry, so both live here.
struct PluginNet {
  gear::host::Registry registry;
  std::shared_ptr<GrowableNet> net;
};

/// Loads the plugins in `plugin_dir` and builds `architecture` (default options) for `spec`.
/// Null, after a message on stderr, when no such architecture is there.
inline std::unique_ptr<PluginNet> build_plugin_net(const std::string& plugin_dir,
                                                   const std::string& architecture,
                                                   const ModelSpec& spec) {
  auto built = std::make_unique<PluginNet>();
  gear::host::load_plugins({plugin_dir}, built->registry);
  const gear::host::ComponentEntry* entry = built->registry.find(architecture);
  if (!entry || entry->info.kind != ComponentKindOf<Architecture>::kName) {
    std::fprintf(stderr, "no architecture %s in %s\n", architecture.c_str(), plugin_dir.c_str());
    return nullptr;
  }
  Config options("model", {});
  for (const auto& option : entry->info.schema.options())
    options.set(option.name, *option.default_value, {}, false);
  built->net = built->registry.create<Architecture>(architecture, options)->build(spec);
  return built;
}

/// The arguments the whole-net benchmarks start with: PLUGIN_DIR ARCHITECTURE WIDTH BATCH THREADS
/// [ROUNDS] (7 rounds unless given).
struct NetBenchArgs {
  std::string plugin_dir, architecture;
  double width;
  int64_t batch;
  int threads, rounds;
};

/// Reads NetBenchArgs from `argv` (borrowed for the call). Fewer than five arguments: prints the
/// usage line, with `more_usage` (the benchmark's own further arguments) appended, on stderr and
/// returns nothing.
inline std::optional<NetBenchArgs> parse_net_bench_args(int argc, char** argv,
                                                        const char* more_usage = "") {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s PLUGIN_DIR ARCHITECTURE WIDTH BATCH THREADS [ROUNDS]%s\n",
                 argv[0], more_usage);
    return std::nullopt;
  }
  return NetBenchArgs{argv[1],
                      argv[2],
                      std::atof(argv[3]),
                      std::atoll(argv[4]),
                      std::atoi(argv[5]),
                      argc > 6 ? std::atoi(argv[6]) : 7};
}

/// The set-up both whole-net benchmarks share: gearhost's allocator settings, `threads` intra-op
/// threads, seed 0, and `architecture` at `width` built from `plugin_dir` for Fashion-MNIST
/// (1x28x28, 10 classes). Null, after a message on stderr, when no such architecture is there.
inline std::unique_ptr<PluginNet> fashion_mnist_net(const std::string& plugin_dir,
                                                    const std::string& architecture, double width,
                                                    int threads) {
  gear::host::configure_cpu_allocator("retain");
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  ModelSpec spec;
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.width = width;
  return build_plugin_net(plugin_dir, architecture, spec);
}

}  // namespace gear::bench

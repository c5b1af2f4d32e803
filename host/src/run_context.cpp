#include "gear/host/run_context.h"

#include <cmath>

#include "gear/host/distributed/world.h"
#include "gear/host/memory_format.h"
#include "gear/host/plugin_error.h"
#include "gear/report/tensorboard_events.h"

namespace gear::host {

void RunContext::weights_changed() {
  last_test.reset();
  last_suites = nlohmann::json::object();
}

std::string RunContext::net_reshaped(int64_t stage, const std::string& file) {
  apply_memory_format(*net, channels_last);  // surgery made new tensors
  net->to(device);
  weights_changed();
  save_checkpoint(*net, checkpoint_meta(stage, 0, -1.0), folder->checkpoints() / file);
  return "checkpoints/" + file;
}

CheckpointMeta RunContext::checkpoint_meta(int64_t stage, int64_t epoch,
                                           double val_accuracy) const {
  return {pipeline.architecture.name,
          info.image_shape,
          info.num_classes,
          net->group_names(),
          net->widths(),
          stage,
          epoch,
          val_accuracy};
}

std::string RunContext::architecture_library() const {
  return registry.library_of(pipeline.architecture.name);
}

std::shared_ptr<GrowableNet> RunContext::rebuild_net(const std::vector<int64_t>& widths,
                                                     const std::filesystem::path& weights,
                                                     const std::string& where) const {
  ModelSpec spec;
  spec.input_shape = info.image_shape;
  spec.num_classes = info.num_classes;
  spec.widths = widths;
  std::shared_ptr<GrowableNet> rebuilt;
  call_plugin(pipeline.architecture.name, architecture_library(), where,
              [&] { rebuilt = architecture->build(spec); });
  load_checkpoint_tensors(*rebuilt, weights);
  apply_memory_format(*rebuilt, channels_last);
  rebuilt->to(device);
  return rebuilt;
}

PassStats RunContext::evaluate_net(const DeviceData& data, const std::string& where) {
  if (test_sealed && &data == &test)
    throw std::logic_error(where +
                           ": read the test split while it is sealed (a search decides "
                           "on the validation split only)");
  PassStats stats;
  // Data parallelism: each rank evaluates its contiguous share, and the ranks add their sums.
  World* world = current_world();
  const int64_t n = data.size();
  DeviceData share = data;
  if (world && n >= world->size()) {
    const int64_t r = world->rank(), ranks = world->size();
    share = {data.images.slice(0, n * r / ranks, n * (r + 1) / ranks),
             data.labels.slice(0, n * r / ranks, n * (r + 1) / ranks)};
  }
  call_plugin(pipeline.architecture.name, architecture_library(), where, [&] {
    stats = evaluate(*net, share, pipeline.data_settings.eval_batch_size, normalizer);
  });
  if (share.size() != n) {
    const auto local = static_cast<double>(stats.samples);
    const torch::Tensor sums =
        world->sum(torch::tensor({stats.loss * local, std::round(stats.accuracy * local), local},
                                 torch::kDouble),
                   "the sums of " + where);
    stats.samples = n;
    stats.loss = sums[0].item<double>() / sums[2].item<double>();
    stats.accuracy = sums[1].item<double>() / sums[2].item<double>();
  }
  return stats;
}

void RunContext::scalar(const std::string& tag, int64_t step, double value) {
  if (events) events->scalar(tag, step, value);
}

}  // namespace gear::host

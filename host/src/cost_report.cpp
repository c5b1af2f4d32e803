#include "gear/host/cost_report.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>

#include "gear/host/growth_stage.h"
#include "gear/host/train_memory.h"

namespace gear::host {
namespace {

using nlohmann::json;

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// Median seconds per image of an inference pass at `batch`.
double latency_per_image(GrowableNet& net, const CostSetup& setup, int64_t batch) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), setup.sample_shape.begin(), setup.sample_shape.end());
  torch::Tensor x = torch::randn(shape, torch::TensorOptions().device(setup.device));
  if (setup.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  torch::NoGradGuard no_grad;
  net.forward(x);  // warm-up: allocations and kernel choices are not the net's cost
  synchronize(setup.device);
  std::vector<double> seconds;
  for (int64_t r = 0; r < std::max<int64_t>(1, setup.repeats); ++r) {
    const auto start = std::chrono::steady_clock::now();
    net.forward(x);
    synchronize(setup.device);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  return seconds[seconds.size() / 2] / static_cast<double>(batch);
}

double ratio(const json& before, const json& after, const char* key) {
  const double b = before.at(key).get<double>(), a = after.at(key).get<double>();
  return a > 0 ? b / a : 0.0;
}

}  // namespace

json measure_latency(GrowableNet& net, const CostSetup& setup) {
  const bool was_training = net.is_training();
  net.eval();
  const double batch1 = latency_per_image(net, setup, 1);
  const double batched = latency_per_image(net, setup, setup.train_batch);
  net.train(was_training);
  return {{"latency_batch1_seconds", batch1},
          {"latency_batch_seconds", batched},
          {"latency_batch", setup.train_batch}};
}

json measure_cost(GrowableNet& net, const CostSetup& setup) {
  const int64_t macs = net.macs(setup.sample_shape);
  json cost = {{"params", net.params()},
               {"bytes", model_bytes(net)},
               {"inference_macs", macs},
               {"train_images", setup.train_images},
               {"training_macs_per_epoch", 3 * macs * setup.train_images},
               {"peak_training_bytes",
                measure_train_memory(net, setup.sample_shape, setup.train_batch, setup.device)}};
  cost.update(measure_latency(net, setup));
  return cost;
}

json cost_ratios(const json& before, const json& after) {
  const double macs = ratio(before, after, "inference_macs");
  const double batch1 = ratio(before, after, "latency_batch1_seconds");
  const double batched = ratio(before, after, "latency_batch_seconds");
  return {{"macs_ratio", macs},
          {"params_ratio", ratio(before, after, "params")},
          {"speedup_batch1", batch1},
          {"speedup_batch", batched},
          {"speedup_batch1_over_macs_ratio", macs > 0 ? batch1 / macs : 0.0},
          {"speedup_batch_over_macs_ratio", macs > 0 ? batched / macs : 0.0}};
}

}  // namespace gear::host

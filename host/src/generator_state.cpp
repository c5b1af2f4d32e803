#include "gear/host/generator_state.h"

#include <ATen/Context.h>

#include <mutex>
#include <stdexcept>

namespace gear::host {

namespace {

at::Generator default_generator(const std::string& name) {
  if (name == "cpu") return at::globalContext().defaultGenerator(c10::Device(c10::kCPU));
  const c10::Device device(name);
  if (!device.is_cuda() || !torch::cuda::is_available() ||
      device.index() >= static_cast<int64_t>(torch::cuda::device_count()))
    throw std::runtime_error("the resume point holds the state of generator " + name +
                             ", which this machine does not have");
  return at::globalContext().defaultGenerator(device);
}

}  // namespace

std::map<std::string, torch::Tensor> default_generator_states() {
  std::map<std::string, torch::Tensor> states;
  std::vector<std::string> names = {"cpu"};
  if (torch::cuda::is_available())
    for (size_t i = 0; i < torch::cuda::device_count(); ++i)
      names.push_back("cuda:" + std::to_string(i));
  for (const auto& name : names) {
    at::Generator generator = default_generator(name);
    std::lock_guard<std::mutex> lock(generator.mutex());
    states[name] = generator.get_state();
  }
  return states;
}

void restore_default_generator_states(const std::map<std::string, torch::Tensor>& states) {
  for (const auto& [name, state] : states) {
    at::Generator generator = default_generator(name);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
  }
}

}  // namespace gear::host

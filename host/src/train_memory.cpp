#include "gear/host/train_memory.h"

#include <ATen/Context.h>
#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>
#include <torch/nn/functional/loss.h>
#include <torch/version.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

#if GEAR_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace gear::host {
namespace {

// LibTorch 2 reports the allocator totals as size_t; 1.x as int64_t. The override must match.
#if TORCH_VERSION_MAJOR >= 2
using ReportedTotal = size_t;
#else
using ReportedTotal = int64_t;
#endif

// Receives every CPU allocation and free while installed as the thread's PROFILER_STATE, the
// hook the CPU allocator reports to when memory profiling is on.
class CpuPeakCounter final : public c10::MemoryReportingInfoBase {
 public:
  void reportMemoryUsage(void* /*ptr*/, int64_t alloc_size, ReportedTotal /*total_allocated*/,
                         ReportedTotal /*total_reserved*/, c10::Device device) override {
    if (device.type() != c10::DeviceType::CPU) return;
    std::lock_guard<std::mutex> lock(mutex_);
    current_ += alloc_size;  // negative on free
    peak_ = std::max(peak_, current_);
  }
  bool memoryProfilingEnabled() const override { return true; }
  int64_t peak() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  mutable std::mutex mutex_;
  int64_t current_ = 0, peak_ = 0;
};

int64_t bytes_of(const std::vector<torch::Tensor>& tensors) {
  int64_t bytes = 0;
  for (const auto& t : tensors) bytes += t.numel() * static_cast<int64_t>(t.element_size());
  return bytes;
}

// What a training step changes in a net, saved so it can be put back.
class NetState {
 public:
  NetState(GrowableNet& net, torch::Device device)
      : net_(net),
        training_(net.is_training()),
        generator_(at::globalContext().defaultGenerator(device)) {
    torch::NoGradGuard no_grad;
    for (const auto& b : net.buffers()) buffers_.push_back(b.clone());
    // Gradients move aside so the step allocates its own, as a step after zero_grad does.
    for (auto& p : net.parameters()) {
      grads_.push_back(p.grad());
      p.mutable_grad() = torch::Tensor();
    }
    std::lock_guard<std::mutex> lock(generator_.mutex());
    rng_ = generator_.get_state();
  }

  void restore() {
    torch::NoGradGuard no_grad;
    auto buffers = net_.buffers();
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(buffers_[i]);
    auto params = net_.parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = grads_[i];
    net_.train(training_);
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(rng_);
  }

 private:
  GrowableNet& net_;
  bool training_;
  at::Generator generator_;
  std::vector<torch::Tensor> buffers_, grads_;
  torch::Tensor rng_;
};

// One forward, cross-entropy and backward pass on zeros with label 0; the inputs, activations
// and gradients are freed before it returns.
void training_step(GrowableNet& net, const std::vector<int64_t>& sample_shape, int64_t batch_size,
                   torch::Device device, NetState& state) {
  torch::AutoGradMode enable_grad(true);
  std::vector<int64_t> shape = {batch_size};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  auto params = net.parameters();
  auto dtype = params.empty() ? torch::kFloat : params.front().scalar_type();
  torch::Tensor images = torch::zeros(shape, torch::TensorOptions().dtype(dtype).device(device));
  torch::Tensor labels =
      torch::zeros({batch_size}, torch::TensorOptions(torch::kLong).device(device));
  try {
    net.train();
    torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(images), labels);
    loss.backward();
  } catch (...) {
    state.restore();  // an out-of-memory step must not leave the net in training mode or stats
    throw;
  }
  // Restoring here frees the step's gradients while the measurement still sees the frees.
  state.restore();
}

}  // namespace

int64_t measure_train_memory(GrowableNet& net, const std::vector<int64_t>& sample_shape,
                             int64_t batch_size, torch::Device device) {
  if (batch_size < 1) throw std::invalid_argument("measure_train_memory: batch_size must be >= 1");
  std::vector<torch::Tensor> trainable;
  for (const auto& p : net.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  // The weights and buffers live through the step, and SGD keeps one momentum buffer per
  // trainable parameter: both count, though neither is allocated during the step.
  const int64_t resident = bytes_of(net.parameters()) + bytes_of(net.buffers());
  const int64_t optimizer_state = bytes_of(trainable);
  NetState state(net, device);
  int64_t step_peak = 0;
  if (device.is_cuda()) {
#if GEAR_WITH_CUDA
    namespace allocator = c10::cuda::CUDACachingAllocator;
    const auto index = device.has_index() ? device.index() : c10::cuda::current_device();
    // Index 0 of the stat arrays is the aggregate over small and large pools in every version.
    const int64_t before = allocator::getDeviceStats(index).allocated_bytes[0].current;
    allocator::resetPeakStats(index);
    training_step(net, sample_shape, batch_size, device, state);
    step_peak = allocator::getDeviceStats(index).allocated_bytes[0].peak - before;
#else
    throw std::logic_error("measure_train_memory: CUDA device in a build without CUDA");
#endif
  } else {
    auto counter = std::make_shared<CpuPeakCounter>();
    {
      c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, counter);
      training_step(net, sample_shape, batch_size, device, state);
    }
    step_peak = counter->peak();
  }
  return resident + optimizer_state + std::max<int64_t>(0, step_peak);
}

}  // namespace gear::host

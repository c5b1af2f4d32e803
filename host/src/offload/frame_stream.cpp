// Scene streams: per-frame camera shake, exposure drift and noise on one image per scene, drawn
// in batches with torch so a 10k-frame stream takes well under a second.
#include "gear/host/offload/frame_stream.h"

#include <torch/nn/functional/vision.h>
#include <torch/torch.h>

#include <algorithm>
#include <random>

#include "gear/host/device.h"

namespace gear::host {
namespace {

constexpr int64_t kChunk = 1024;

// Normal draws from a std::mt19937_64: the stream's structure (scene lengths, walks) must not
// depend on torch's generator state or thread count.
struct Walks {
  std::vector<int64_t> source, scene;
  std::vector<float> dx, dy, log_gain;
};

Walks draw_walks(const SceneStreamOptions& o, int64_t images, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> length(o.min_scene_frames, o.max_scene_frames);
  std::uniform_int_distribution<int64_t> pick(0, images - 1);
  std::uniform_real_distribution<double> start(-o.max_shift / 2, o.max_shift / 2);
  std::normal_distribution<double> normal(0.0, 1.0);
  Walks w;
  int64_t scene = 0;
  while (static_cast<int64_t>(w.source.size()) < o.frames) {
    const int64_t n = length(rng), image = pick(rng);
    double x = start(rng), y = start(rng), g = 0.0;
    for (int64_t f = 0; f < n && static_cast<int64_t>(w.source.size()) < o.frames; ++f) {
      if (f > 0) {
        x = std::clamp(x + o.shift * normal(rng), -o.max_shift, o.max_shift);
        y = std::clamp(y + o.shift * normal(rng), -o.max_shift, o.max_shift);
        g = std::clamp(g + o.exposure * normal(rng), -0.5, 0.5);
      }
      w.source.push_back(image);
      w.scene.push_back(scene);
      w.dx.push_back(static_cast<float>(x));
      w.dy.push_back(static_cast<float>(y));
      w.log_gain.push_back(static_cast<float>(g));
    }
    ++scene;
  }
  return w;
}

torch::Tensor float_tensor(const std::vector<float>& v, int64_t begin, int64_t end) {
  return torch::from_blob(const_cast<float*>(v.data()) + begin, {end - begin}, torch::kFloat32)
      .clone();
}

}  // namespace

FrameStream make_scene_stream(const DeviceData& split, const SceneStreamOptions& options,
                              uint64_t seed, const DeviceBank* bank) {
  const torch::Tensor images = split.images.cpu();
  const torch::Tensor labels = split.labels.cpu();
  std::mt19937_64 rng(seed);
  const Walks w = draw_walks(options, images.size(0), rng);
  torch::Generator generator = make_generator(torch::kCPU, seed ^ 0x5bd1e995ULL);
  const int64_t frames = options.frames;
  const auto source = torch::tensor(w.source, torch::kInt64);
  FrameStream stream;
  stream.labels = labels.index_select(0, source);
  stream.scenes = torch::tensor(w.scene, torch::kInt64);
  stream.frames_per_second = options.frames_per_second;
  std::vector<torch::Tensor> chunks;
  const int64_t h = images.size(2), wd = images.size(3);
  for (int64_t begin = 0; begin < frames; begin += kChunk) {
    const int64_t end = std::min(frames, begin + kChunk), n = end - begin;
    torch::Tensor x = images.index_select(0, source.slice(0, begin, end)).to(torch::kFloat32) / 255;
    // A translation by (dx, dy) pixels in grid_sample's [-1, 1] coordinates, zeros outside.
    torch::Tensor theta = torch::zeros({n, 2, 3});
    theta.select(1, 0).select(1, 0).fill_(1.0);
    theta.select(1, 1).select(1, 1).fill_(1.0);
    theta.select(1, 0).select(1, 2).copy_(-2.0 * float_tensor(w.dx, begin, end) / wd);
    theta.select(1, 1).select(1, 2).copy_(-2.0 * float_tensor(w.dy, begin, end) / h);
    namespace F = torch::nn::functional;
    const torch::Tensor grid = F::affine_grid(theta, x.sizes().vec(), /*align_corners=*/false);
    x = F::grid_sample(x, grid,
                       F::GridSampleFuncOptions().mode(torch::kBilinear).align_corners(false));
    x = x * float_tensor(w.log_gain, begin, end).exp().view({n, 1, 1, 1});
    if (options.noise > 0) x = x + options.noise * torch::randn(x.sizes(), generator);
    torch::Tensor out = (x.clamp(0, 1) * 255).round().to(torch::kUInt8);
    if (options.profile >= 0) out = bank->apply(options.profile, out, generator).cpu();
    chunks.push_back(out);
  }
  stream.frames = torch::cat(chunks);
  return stream;
}

FrameStream sequence_stream(const DeviceData& split, int64_t frames, double frames_per_second) {
  const int64_t n = frames <= 0 ? split.size() : std::min(frames, split.size());
  FrameStream stream;
  stream.frames = split.images.slice(0, 0, n).cpu().contiguous();
  stream.labels = split.labels.slice(0, 0, n).cpu().contiguous();
  std::vector<int64_t> scenes(n);
  const auto* label = stream.labels.data_ptr<int64_t>();
  for (int64_t i = 1; i < n; ++i) scenes[i] = scenes[i - 1] + (label[i] != label[i - 1] ? 1 : 0);
  stream.scenes = torch::tensor(scenes, torch::kInt64);
  stream.frames_per_second = frames_per_second;
  return stream;
}

}  // namespace gear::host

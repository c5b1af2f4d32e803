// Weather corruptions: snow (a zoomed, thresholded, motion-blurred noise layer), frost (a crop
// of a frost texture added on top) and fog (a diamond-square plasma fractal).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <random>

#include "corruption_ops.h"
#include "frost_textures.h"
#include "image_filters.h"

namespace gear::plugins::corruptions {
namespace {

// cv2.cvtColor(RGB2GRAY) on float images; a 1-channel image is its own grey.
torch::Tensor grey(const torch::Tensor& x) {
  if (x.size(1) == 1) return x;
  return x.select(1, 0).unsqueeze(1) * 0.299 + x.select(1, 1).unsqueeze(1) * 0.587 +
         x.select(1, 2).unsqueeze(1) * 0.114;
}

// The reference's plasma_fractal(mapsize, decay), with NumPy's np.roll wrap-around, from one
// engine: a map in [0, 1].
std::vector<double> plasma(int64_t size, double decay, std::mt19937_64& engine) {
  std::vector<double> map(static_cast<size_t>(size * size), 0.0);
  auto at = [&](int64_t r, int64_t c) -> double& { return map[r * size + c]; };
  int64_t step = size;
  double wibble = 100.0;
  while (step >= 2) {
    const int64_t k = size / step, half = step / 2;
    std::uniform_real_distribution<double> u(-wibble, wibble);
    auto wibbled = [&](double sum) { return sum / 4.0 + wibble * u(engine); };
    // Squares: centre = mean of the four corners (wrapping) + noise.
    std::vector<double> centre(static_cast<size_t>(k * k));
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const int64_t i1 = (i + 1) % k, j1 = (j + 1) % k;
        centre[i * k + j] = wibbled(at(i * step, j * step) + at(i1 * step, j * step) +
                                    at(i * step, j1 * step) + at(i1 * step, j1 * step));
      }
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) at(i * step + half, j * step + half) = centre[i * k + j];
    // Diamonds: left-top edges first, then top-left edges, as the reference orders its draws.
    std::vector<double> lt(static_cast<size_t>(k * k)), tt(static_cast<size_t>(k * k));
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const double dr = at(i * step + half, j * step + half);
        const double dr_up = at(((i - 1 + k) % k) * step + half, j * step + half);
        const double ul = at(i * step, j * step), ul_right = at(i * step, ((j + 1) % k) * step);
        lt[i * k + j] = wibbled(dr + dr_up + ul + ul_right);
      }
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const double dr = at(i * step + half, j * step + half);
        const double dr_left = at(i * step + half, ((j - 1 + k) % k) * step + half);
        const double ul = at(i * step, j * step), ul_down = at(((i + 1) % k) * step, j * step);
        tt[i * k + j] = wibbled(dr + dr_left + ul + ul_down);
      }
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        at(i * step, j * step + half) = lt[i * k + j];
        at(i * step + half, j * step) = tt[i * k + j];
      }
    step /= 2;
    wibble /= decay;
  }
  double lo = map[0], hi = map[0];
  for (double v : map) lo = std::min(lo, v), hi = std::max(hi, v);
  for (double& v : map) v = (v - lo) / (hi - lo);
  return map;
}

}  // namespace

torch::Tensor snow(const torch::Tensor& x, int severity, torch::Generator& g) {
  static const double k32[5][7] = {{0.1, 0.2, 1, 0.6, 8, 3, 0.95},
                                   {0.1, 0.2, 1, 0.5, 10, 4, 0.9},
                                   {0.15, 0.3, 1.75, 0.55, 10, 4, 0.9},
                                   {0.25, 0.3, 2.25, 0.6, 12, 6, 0.85},
                                   {0.3, 0.3, 1.25, 0.65, 14, 12, 0.8}};
  static const double k64[5][7] = {{0.1, 0.2, 1, 0.6, 8, 3, 0.8},
                                   {0.1, 0.2, 1, 0.5, 10, 4, 0.8},
                                   {0.15, 0.3, 1.75, 0.55, 10, 4, 0.7},
                                   {0.25, 0.3, 2.25, 0.6, 12, 6, 0.65},
                                   {0.3, 0.3, 1.25, 0.65, 14, 12, 0.6}};
  const double* c = large(x) ? k64[severity - 1] : k32[severity - 1];
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor layer = torch::randn({n, 1, h, w}, g, x.options()) * c[1] + c[0];
  layer = clipped_zoom(layer, c[2]);
  layer = torch::where(layer < c[3], torch::zeros_like(layer), layer);
  // The reference stores the layer as an 8-bit PNG (truncating), blurs it with ImageMagick and
  // reads it back: integers in [0, 255].
  torch::Tensor pixels = (layer.clamp(0, 1) * 255).floor();
  torch::Tensor angles = torch::rand({n}, g, torch::kFloat64) * 90.0 - 135.0;
  layer = motion_blur_kernel(pixels, c[4] * spatial_scale(x), c[5], angles).round() / 255;
  torch::Tensor base = c[6] * x + (1 - c[6]) * torch::max(x, grey(x) * 1.5 + 0.5);
  return (base + layer + layer.flip({2, 3})).clamp(0, 1) * 255;
}

torch::Tensor frost(const torch::Tensor& x, int severity, torch::Generator& g) {
  static const double k32[5][2] = {{1, 0.2}, {1, 0.3}, {0.9, 0.4}, {0.85, 0.4}, {0.75, 0.45}};
  static const double k64[5][2] = {{1, 0.3}, {0.9, 0.4}, {0.8, 0.45}, {0.75, 0.5}, {0.7, 0.55}};
  const double* c = large(x) ? k64[severity - 1] : k32[severity - 1];
  const std::vector<torch::Tensor>& textures = frost_textures(large(x) ? 30 : 20);
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor which =
      torch::randint(0, static_cast<int64_t>(textures.size()), {n}, g, torch::kLong);
  torch::Tensor u = torch::rand({n, 2}, g, torch::kFloat64);
  std::vector<torch::Tensor> crops;
  for (int64_t i = 0; i < n; ++i) {
    const torch::Tensor& t = textures[which[i].item<int64_t>()];
    if (t.size(1) <= h || t.size(2) <= w)
      throw std::invalid_argument("frost: images of " + std::to_string(h) + "x" +
                                  std::to_string(w) + " are larger than the frost textures");
    // np.random.randint(0, size - crop): the upper bound is exclusive.
    const auto top =
        static_cast<int64_t>(u[i][0].item<double>() * static_cast<double>(t.size(1) - h));
    const auto left =
        static_cast<int64_t>(u[i][1].item<double>() * static_cast<double>(t.size(2) - w));
    crops.push_back(t.slice(1, top, top + h).slice(2, left, left + w));
  }
  torch::Tensor overlay = torch::stack(crops).to(x.scalar_type());
  if (x.size(1) == 1) overlay = grey(overlay);
  return (c[0] * x * 255 + c[1] * overlay).clamp(0, 255);
}

torch::Tensor fog(const torch::Tensor& x, int severity, torch::Generator& g) {
  static const double k32[5][2] = {{0.2, 3}, {0.5, 3}, {0.75, 2.5}, {1, 2}, {1.5, 1.75}};
  static const double k64[5][2] = {{0.4, 3}, {0.7, 3}, {1, 2.5}, {1.5, 2}, {2, 1.75}};
  const double* c = large(x) ? k64[severity - 1] : k32[severity - 1];
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  int64_t size = 1;
  while (size < std::max(h, w)) size *= 2;
  const std::vector<uint64_t> seeds = image_seeds(n, g);
  torch::Tensor maps = torch::empty({n, 1, h, w}, torch::kFloat64);
  double* out = maps.data_ptr<double>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::mt19937_64 engine(seeds[i]);
      const std::vector<double> map = plasma(size, c[1], engine);
      for (int64_t r = 0; r < h; ++r)
        for (int64_t col = 0; col < w; ++col) out[(i * h + r) * w + col] = map[r * size + col];
    }
  });
  torch::Tensor max_val = x.amax({1, 2, 3}, true);
  torch::Tensor fogged = x + c[0] * maps.to(x.scalar_type());
  return (fogged * max_val / (max_val + c[0])).clamp(0, 1) * 255;
}

}  // namespace gear::plugins::corruptions

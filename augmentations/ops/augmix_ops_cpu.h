#pragma once

/// @file
/// The CPU kernel behind apply_augmix_ops: one pass per image, parallel over images, for the
/// affine and lookup-table families (the enhance ops stay on the tensor path).

#include <torch/types.h>

#include <cstdint>

namespace gear::plugins::augmentations::ops {

/// Applies op `ops[i]` (int64 AugOp id; negative: leave the image as it is) with magnitude
/// `magnitudes[i]` (float64) to each image of contiguous CPU uint8 `images` [N, C, H, W]. Ops of
/// the enhance family are left untouched too; the caller applies them. Returns a new tensor.
torch::Tensor apply_geometric_and_lut_ops_cpu(const torch::Tensor& images, const torch::Tensor& ops,
                                              const torch::Tensor& magnitudes);

/// The drawn ops of M AugMix chains (see run_augmix_chains_cpu for the layout), held as contiguous
/// CPU tensors so that one chain can be run on one image from any thread. Only the affine and
/// lookup-table ops: the constructor throws std::invalid_argument on an enhance op.
class ChainKernel {
 public:
  /// Copies (or aliases, when already contiguous CPU tensors of the right type) the draws;
  /// `image_size` is the reference's IMAGE_SIZE.
  ChainKernel(const torch::Tensor& depth, const torch::Tensor& ops, const torch::Tensor& levels,
              const torch::Tensor& negate, int64_t image_size);
  /// Number of chains.
  int64_t chains() const { return chains_; }
  /// Runs chain `m` on the image `in` [C, H, W]. With `out`, the result is written there (also
  /// for a chain of no ops) and `out` is returned; without (nullptr), the result stays in
  /// `scratch` or, for a chain of no ops, is `in` itself, and the returned pointer says which.
  /// `scratch` holds 2 * C * H * W bytes and must alias neither image. Thread-safe.
  const uint8_t* run(int64_t m, const uint8_t* in, uint8_t* out, uint8_t* scratch, int64_t channels,
                     int64_t h, int64_t w) const;

 private:
  torch::Tensor depth_, ops_, levels_, negate_;
  int64_t chains_ = 0, steps_ = 0, image_size_ = 0;
};

/// Runs whole AugMix chains on contiguous CPU uint8 `chains` [M, C, H, W]: chain m applies
/// `depth[m]` ops, op s being `ops[s][m]` at level `levels[s][m]` with sign flip `negate[s][m]`
/// (see augmix_magnitudes; `image_size` is the reference's IMAGE_SIZE). One fused pass per chain,
/// parallel over chains, no intermediate tensors. Only the affine and lookup-table ops: throws
/// std::invalid_argument on an enhance op. Returns a new tensor.
torch::Tensor run_augmix_chains_cpu(const torch::Tensor& chains, const torch::Tensor& depth,
                                    const torch::Tensor& ops, const torch::Tensor& levels,
                                    const torch::Tensor& negate, int64_t image_size);

}  // namespace gear::plugins::augmentations::ops

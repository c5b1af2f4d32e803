#pragma once

/// @file
/// Datasets stored as one image file per sample (Tiny ImageNet, image folders): parallel
/// decoding of JPEGs and PNGs into one uint8 tensor, channel conversion, resizing, and the
/// per-channel statistics of the result.

#include <gear/dataset.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace gear::plugins::datasets {

/// The files of one split and their labels (parallel).
struct LabelledFiles {
  std::vector<std::filesystem::path> files;
  std::vector<int64_t> labels;
};

/// How an image of another size than the target is treated.
enum class Fit {
  /// Not at all: it is a DataError naming the file.
  kExact,
  /// Resized so that it covers the target (the binding side gets exactly its target, the other
  /// int(side * scale), as torchvision's Resize), then the centre cropped out (CenterCrop's
  /// rounding).
  kCrop,
  /// Resized to the target, aspect ratio ignored.
  kStretch,
};

/// The shape every decoded image is brought to.
struct DecodeTarget {
  /// 1 (colour images become Pillow's luma) or 3 (greyscale images are replicated).
  int64_t channels = 3;
  int64_t height = 0, width = 0;
  Fit fit = Fit::kExact;
  /// kExact: the file whose size the others must share, named in the message; may be empty.
  std::string reference;
  /// kExact: appended to the message for an image of another size (how to fix it).
  std::string advice;
};

struct DecodedFiles {
  /// uint8 [N, channels, height, width] and int64 [N] labels.
  DataSplit split;
  /// Whether any source image was colour (the choice for `channels = 0`).
  bool any_colour = false;
};

/// Decodes every file of `list` (JPEG or PNG, recognised by content) in parallel with
/// at::parallel_for, and brings each to `target`. Throws DataError naming the file for an
/// unreadable, undecodable or (kExact) wrongly sized image; when several fail, the first in list
/// order is reported, whatever the thread timing.
DecodedFiles decode_files(const LabelledFiles& list, const DecodeTarget& target);

/// uint8 [C, H, W] with `channels` channels: grey replicated to RGB, or RGB to ITU-R 601-2 luma
/// exactly as Pillow's convert("L") rounds it: (19595 R + 38470 G + 7471 B + 2^15) >> 16.
torch::Tensor convert_channels(const torch::Tensor& image, int64_t channels);

/// `image` (uint8 [C, H, W]) brought to height x width as `fit` says (kExact: unchanged), with
/// torch's bilinear interpolation with antialiasing on float values, rounded and clamped back to
/// uint8 (torchvision's resize of a uint8 tensor).
torch::Tensor fit_image(const torch::Tensor& image, int64_t height, int64_t width, Fit fit);

/// Per-channel mean and (population) standard deviation of uint8 [N, C, H, W] images, in [0, 1]
/// pixel units; exact sums over per-channel histograms, accumulated in parallel.
std::pair<std::vector<double>, std::vector<double>> channel_statistics(const torch::Tensor& images);

/// "64x48": a decoded image's width x height, for messages.
std::string size_text(const torch::Tensor& image);

/// Lower-case copy of `text` (file extensions).
std::string lower_case(std::string text);

}  // namespace gear::plugins::datasets

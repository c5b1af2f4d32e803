#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gear/growable_net.h"

namespace gear::host {

/// What a checkpoint records beside the tensors, so a grown net can be rebuilt.
struct CheckpointMeta {
  std::string architecture;
  std::vector<int64_t> input_shape;
  int64_t num_classes = 0;
  std::vector<std::string> groups;
  std::vector<int64_t> widths;
  int64_t stage = 0;
  int64_t epoch = 0;
  double val_accuracy = -1.0;
};

/// Saves every parameter and buffer of `net` with `meta`, atomically (temp file + rename).
void save_checkpoint(GrowableNet& net, const CheckpointMeta& meta,
                     const std::filesystem::path& path);

/// Reads only the metadata (to rebuild the net at the recorded widths).
CheckpointMeta read_checkpoint_meta(const std::filesystem::path& path);

/// Loads the tensors into `net`, which must have the recorded widths. Throws std::runtime_error
/// naming the first missing or mis-shaped tensor.
void load_checkpoint_tensors(GrowableNet& net, const std::filesystem::path& path);

}  // namespace gear::host

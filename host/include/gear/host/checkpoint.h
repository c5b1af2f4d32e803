#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gear/growable_net.h"

namespace gear::host {

/// The checkpoint format this host writes (`gear.format`); files without the key are format 1.
/// A file of a higher format is refused with a message saying it is newer.
constexpr int64_t kCheckpointFormat = 2;

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

/// Saves every parameter and buffer of `net` with `meta`, atomically and durably
/// (write_file_atomic). Throws std::runtime_error naming `path` when it cannot be written; the
/// file there before is then left as it was.
void save_checkpoint(GrowableNet& net, const CheckpointMeta& meta,
                     const std::filesystem::path& path);

/// A checkpoint and what a run needs beyond the weights to continue bit for bit: the runner's
/// and the train loop's state as JSON, and tensors (generator states, the optimizer's state,
/// running sums) by name.
struct ResumePoint {
  CheckpointMeta meta;
  nlohmann::json state;
  std::map<std::string, torch::Tensor> tensors;
};

/// Saves the net's tensors with `point` to `path` in one atomic, durable write: a run killed at
/// any moment leaves the previous point or this one. Everything is borrowed.
void save_resume_point(GrowableNet& net, const ResumePoint& point,
                       const std::filesystem::path& path);

/// Reads a resume point's metadata, state and tensors (load_checkpoint_tensors reads the net's).
/// Throws std::runtime_error naming the file when it is unreadable or not a resume point.
ResumePoint read_resume_point(const std::filesystem::path& path);

/// The name of the first parameter of `net` holding a NaN or an infinity; empty when none does.
/// What must not be checkpointed as a good state.
std::string first_non_finite_parameter(GrowableNet& net);

/// Reads only the metadata (to rebuild the net at the recorded widths).
CheckpointMeta read_checkpoint_meta(const std::filesystem::path& path);

/// Loads the tensors into `net`, which must have the recorded widths. Throws std::runtime_error
/// naming the first missing or mis-shaped tensor.
void load_checkpoint_tensors(GrowableNet& net, const std::filesystem::path& path);

}  // namespace gear::host

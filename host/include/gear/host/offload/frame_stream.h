#pragma once

/// @file
/// Streams of frames for offloading: scenes cut from a dataset split, each one image seen for a
/// random number of frames under small changes (camera shake, exposure drift, sensor noise, a
/// device profile), or a split's images in their stored order as a recorded sequence.

#include <torch/types.h>

#include <cstdint>

#include "gear/device_profile.h"
#include "gear/host/data_stream.h"

namespace gear::host {

/// How a scene stream is drawn.
struct SceneStreamOptions {
  int64_t frames = 10000;
  double frames_per_second = 30.0;
  /// A scene lasts a uniform number of frames in [min_scene_frames, max_scene_frames].
  int64_t min_scene_frames = 10;
  int64_t max_scene_frames = 60;
  /// Camera shake: the image's offset walks by a normal step of this many pixels per frame,
  /// kept within +-max_shift.
  double shift = 0.5;
  double max_shift = 2.0;
  /// Exposure drift: the log of the brightness gain walks by a normal step of this size.
  double exposure = 0.03;
  /// Sensor noise: normal, this standard deviation in [0, 1] pixel units, fresh every frame.
  double noise = 0.02;
  /// A device profile of `bank` applied to every frame (-1: none).
  int64_t profile = -1;
};

/// Frames in stream order, on the CPU.
struct FrameStream {
  torch::Tensor frames;  ///< uint8 [F, C, H, W]
  torch::Tensor labels;  ///< int64 [F]
  torch::Tensor scenes;  ///< int64 [F]: the scene each frame belongs to, from 0
  double frames_per_second = 30.0;
  int64_t size() const { return frames.defined() ? frames.size(0) : 0; }
};

/// Draws a scene stream from `split` (borrowed; any device) with `seed`. `bank` (borrowed, may be
/// null when options.profile is -1) runs the device profile. Scenes pick images of the split at
/// random, so a stream may show one image in several scenes.
FrameStream make_scene_stream(const DeviceData& split, const SceneStreamOptions& options,
                              uint64_t seed, const DeviceBank* bank);

/// The first `frames` images of `split` (all when <= 0 or more than it has) in their stored
/// order: a recorded sequence. Each frame is its own scene unless it repeats the label of the
/// frame before.
FrameStream sequence_stream(const DeviceData& split, int64_t frames, double frames_per_second);

}  // namespace gear::host

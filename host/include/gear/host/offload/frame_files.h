#pragma once

/// @file
/// A recorded sequence of frames on disk, for an offload stage's `stream = "folder"`: a folder of
/// JPEG or PNG frames and a labels.csv that lists them in the order they play.

#include <filesystem>
#include <string>
#include <vector>

#include "gear/host/offload/frame_stream.h"

namespace gear::host {

/// Reads `folder`/labels.csv: one "file,class" row per frame in play order (a header row, blank
/// lines and '#' comments are skipped); `class` is one of `class_names` or its index. Each file
/// (relative to the folder) is decoded (JPEG or PNG, by content), brought to `channels` (grey is
/// replicated, colour becomes ITU-R 601 luma) and, when its size differs, resized bilinearly
/// with antialiasing to `height` x `width`. A scene ends where the label changes. Throws
/// ConfigError at labels.csv:line for a malformed row, an unknown class (with did-you-mean) or
/// a frame file that is missing or does not decode, and for a folder without labels.csv.
FrameStream read_frame_folder(const std::filesystem::path& folder,
                              const std::vector<std::string>& class_names, int64_t channels,
                              int64_t height, int64_t width, double frames_per_second);

}  // namespace gear::host

#pragma once

/// @file
/// What a run does differently as one rank of several: where a rank other than 0 keeps its
/// working files, and keeping every rank's net equal to rank 0's.

#include <filesystem>
#include <string>

#include "gear/growable_net.h"

namespace gear::host {

class World;

/// A fresh private folder (under the system's temporary folder) for rank `rank`'s working files
/// (the checkpoints a stage writes and reads back), with checkpoints/ inside. Resuming, it gets
/// `run_root`'s checkpoints/resume.pt and pipeline.resolved.toml (rank 0's), which the rank
/// resumes from. Throws std::runtime_error naming the folder when it cannot be made.
std::filesystem::path rank_scratch_folder(const std::filesystem::path& run_root, int rank,
                                          bool resume);

/// Removes `folder` and everything in it when it is not empty (a no-op for ""); never throws.
void remove_scratch_folder(const std::filesystem::path& folder) noexcept;

/// Makes every parameter and buffer of `net` (borrowed) rank 0's, on every rank. Stages other
/// than training run whole on each rank, so the nets agree already unless a plugin draws from an
/// unseeded or nondeterministic source; this keeps them equal regardless. Throws
/// std::runtime_error naming `what` and the ranks' widths when the nets differ in shape (a grow
/// or prune stage decided differently on some rank).
/// The stop signal (run_signals.h) the ranks act on together: 0 when no rank received one, else
/// this rank's signal, or SIGTERM when only another rank received one. Without `world` (null),
/// stop_signal(). A collective: every rank calls it at the same point.
int agreed_stop_signal(World* world);

void sync_net_from_rank0(GrowableNet& net, World& world, const std::string& what);

}  // namespace gear::host

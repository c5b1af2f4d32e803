#pragma once

/// @file
/// The processes (ranks) of a data-parallel run, as the layers that mix samples see them. Each
/// rank trains on its own share of every global batch; a layer whose output depends on other
/// samples (batch normalisation) exchanges per-rank statistics through current_ranks(), so its
/// result is the global batch's. gear::batch_norm does this already; an architecture with another
/// such layer calls all_gather itself.

#include <torch/types.h>

#include "gear/export.h"

namespace gear {

/// The ranks of the run this process is one of. Implemented by the host (on torch's c10d);
/// plugins only read it.
class GEAR_EXPORT Ranks {
 public:
  virtual ~Ranks();
  /// This process's rank, 0 .. size() - 1.
  virtual int rank() const = 0;
  /// Number of ranks (>= 2 while installed).
  virtual int size() const = 0;
  /// Every rank's `part`, stacked in rank order: [size(), ...part's shape], on the CPU. A
  /// collective: every rank must make the same sequence of calls with parts of one shape and
  /// dtype. `part` is borrowed for the call. Throws std::runtime_error naming the rank that
  /// failed or did not answer within the run's timeout.
  virtual torch::Tensor all_gather(const torch::Tensor& part) = 0;
};

/// The ranks this process trains with, or nullptr: a single process, or any phase but the host's
/// training steps. Growth and pruning exchange through their contexts instead
/// (GrowthContext::sum_across_ranks), and score in eval mode, where batch norm exchanges nothing.
GEAR_EXPORT Ranks* current_ranks();

/// Installs `ranks` (borrowed; nullptr removes it) for the whole process. The host calls it
/// around its data-parallel training steps; plugins never do.
GEAR_EXPORT void set_current_ranks(Ranks* ranks);

}  // namespace gear

#pragma once

/// @file
/// The offload stage's results: one row per policy and bandwidth target, with edge-only,
/// cloud-only and the offline optimum beside them, written to the stage record, a CSV and an
/// accuracy-against-bytes chart.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gear/host/offload/link_model.h"
#include "gear/host/offload/offload_oracle.h"
#include "gear/host/offload/offload_simulation.h"

namespace gear::host {

/// "20%" for a fraction target, "12000B/s" for a byte rate.
std::string target_label(const OffloadBudget& budget);

/// Bytes the optimum may send under `budget` on `stream`: the fraction of the stream's bytes, or
/// the byte rate over its duration, never more than the link carries in that time.
double budget_bytes(const OffloadBudget& budget, const StreamOutcomes& stream,
                    const BandwidthTrace& trace);

/// One policy at one target.
struct OffloadRow {
  std::string policy, target;
  OffloadOutcome outcome;
  /// The optimum's accuracy with the bytes this row sent, and the row's shortfall from it in %
  /// of the optimum's gain over edge-only (0: as good as the optimum).
  double oracle_accuracy = 0.0, gap_percent = 0.0;
};

/// Collects rows over one stream. `stream` and `trace` are borrowed and must outlive it.
class OffloadReport {
 public:
  OffloadReport(const StreamOutcomes& stream, const BandwidthTrace& trace, double rtt_seconds);

  /// Adds a policy's outcome at `budget`; the first time a target is seen, adds the optimum's
  /// row for it.
  void add(const std::string& policy, const OffloadBudget& budget, OffloadOutcome outcome);

  const std::vector<OffloadRow>& rows() const { return rows_; }
  /// {"edge_accuracy", "cloud_accuracy", "rows": [...], "policies": {name: {mean_gap_percent,
  /// ...}}}.
  nlohmann::json to_json() const;
  /// One line per row.
  void write_csv(const std::string& path) const;
  /// Accuracy against bytes per second: a line per policy through its targets, the optimum's
  /// curve, edge-only and cloud-only.
  void write_svg(const std::string& path) const;
  /// Every frame: features, correctness and each row's decision.
  void write_frames(const std::string& path) const;

 private:
  OffloadRow row(const std::string& policy, const std::string& target, OffloadOutcome outcome);

  const StreamOutcomes& stream_;
  const BandwidthTrace& trace_;
  double rtt_;
  OffloadOracle oracle_;
  OffloadOutcome edge_only_, cloud_only_;
  std::vector<OffloadRow> rows_;
  std::vector<std::string> targets_;
};

}  // namespace gear::host

#pragma once

// Firefly's candidate network, expressed in parameter space through the SDK's channel groups.
//
// Every growable group gets two kinds of candidate: a split of each existing channel c (two
// children θ_c ± v_c, each feeding half of c's consumer columns) and K fresh channels (incoming
// weights vno, outgoing weights vni). All candidates are materialised as real channels of the net,
// so any architecture's own forward() evaluates the candidate network; the trainable tensors
// v, vno, vni and one gate per candidate live here, and the net's tensors are rendered from them
// by differentiable tensor ops. After a backward pass through the net, pull_gradients() carries
// the net's weight gradients back onto v, vno, vni and the gates (a vector-Jacobian product).
//
// A gate y scales its candidate's perturbation by (1 + y), so with y = 0 the candidate network is
// unchanged and ∂L/∂y is the first-order loss change of strengthening that candidate, which is
// Firefly's score.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gear/group_snapshot.h"
#include "gear/growable_net.h"
#include "selection.h"

namespace gear::plugins::growth {

/// Initial scales of the candidate parameters (Firefly's defaults).
struct CandidateInit {
  double split = 0.1;       ///< v ~ U(-split, split)
  double fresh_in = 0.1;    ///< vno ~ N(0, fresh_in²)
  double fresh_out = 0.01;  ///< vni ~ U(-fresh_out, fresh_out)
};

class CandidateNet {
 public:
  /// Prepares candidates for `groups` (names, each growable) of `net`, which must outlive this
  /// object and must not be resized by anyone else while it exists. Draws with `generator`.
  ///
  /// With `average_pairs`, render_candidates() lets the consumers of every group that the
  /// architecture reads through a consumer tap (GrowableNet::group_consumer_tapped) read each
  /// split pair's mean once, with the pair's shared column, instead of both children with half
  /// the column each, as Firefly's own forward averages a pair after its activation. The
  /// candidate network's outputs and every gradient are the same; those consumers read C + K
  /// channels instead of 2C + K, so their convolutions cost less. Their weights then have C + K
  /// columns while the net's other tensors have 2C + K, until materialize(), restore() or the
  /// destructor makes the net consistent again.
  CandidateNet(GrowableNet& net, const std::vector<std::string>& groups, int64_t fresh,
               const CandidateInit& init, torch::Generator& generator, bool average_pairs = false);
  ~CandidateNet();
  CandidateNet(const CandidateNet&) = delete;
  CandidateNet& operator=(const CandidateNet&) = delete;

  const std::vector<std::string>& groups() const { return names_; }
  /// Width of the i-th group before growth.
  int64_t width(size_t i) const { return widths_[i]; }
  /// Fresh candidates per group.
  int64_t fresh() const { return fresh_; }
  /// Whether render_candidates() averages the split pairs the consumers of the i-th group read.
  bool averages_pairs(size_t i) const { return average_[i]; }

  /// Writes every candidate into the net, each perturbation scaled by (1 + its gate).
  void render_candidates();
  /// After loss.backward() through the net in its rendered state: adds the loss gradient of
  /// v, vno, vni and the gates to their .grad, and clears the net's parameter gradients.
  void pull_gradients();

  /// The trainable candidate tensors (v, vno, vni), leaves on the net's device.
  std::vector<torch::Tensor> parameters() const;
  /// Whether `tensor` (a parameter of the net, borrowed for the call) has a trainable candidate
  /// part, so pull_gradients() needs its gradient; the net's other parameters (norms, biases)
  /// can be frozen while candidates train and are scored.
  bool trains(const torch::Tensor& tensor) const;
  /// Split directions, fresh incoming and fresh outgoing weights (for tests and penalties).
  std::vector<torch::Tensor> split_directions() const;
  std::vector<torch::Tensor> fresh_inputs() const;
  std::vector<torch::Tensor> fresh_outputs() const;
  /// Gate of the i-th group: [width + fresh], split candidates first. A leaf; its grad is the
  /// score accumulated by pull_gradients().
  torch::Tensor& gate(size_t i) { return gates_[i]; }

  /// Leaves the net with the original channels plus the chosen candidates (splits as θ ± v with
  /// halved consumer columns; fresh channels with their vno and vni), gates ignored. May be
  /// called repeatedly with different choices.
  void materialize(const std::vector<GroupChoice>& choice);
  /// Puts the net back exactly as it was before any candidate was written.
  void restore();

 private:
  struct Entry;
  struct Layout;
  torch::Tensor value(const Entry& entry, const std::vector<Layout>& layouts, bool average) const;
  std::vector<Layout> layouts(const std::vector<GroupChoice>* choice) const;
  void write(const std::vector<Layout>& layouts, bool keep_graph);
  /// Gives merged consumer weights their 2C + K columns back and detaches the pair averages.
  void unmerge();

  GrowableNet& net_;
  std::vector<std::string> names_;
  std::vector<int64_t> widths_;
  int64_t fresh_;
  GroupSnapshot snapshot_;
  std::vector<Entry> entries_;
  std::vector<torch::Tensor> gates_;
  std::vector<torch::Tensor> rendered_;  // last candidate render, with graph, one per entry
  std::vector<bool> average_;            // per group: consumers read the split pairs' means
  std::vector<GroupObservation> averaging_;  // the attached pair averages, while rendered so
};

}  // namespace gear::plugins::growth

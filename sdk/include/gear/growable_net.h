#pragma once

/// @file
/// GrowableNet: a torch module plus the channel groups that growth and pruning act on.

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gear/export.h"

namespace gear {

/// How a module is tied to a channel group.
enum class TieKind {
  /// Conv2d or Linear whose output channels (weight rows, bias) are the group's channels.
  kProducer,
  /// BatchNorm over the group's channels (weight, bias, running mean and variance).
  kNorm,
  /// Depthwise Conv2d that maps each group channel to itself: it follows the group.
  kPassThrough,
  /// Conv2d or Linear reading the group's channels (weight columns).
  kConsumer,
};

/// A module tied to a group. The group shares ownership of the module with the net.
struct GroupMember {
  TieKind kind = TieKind::kProducer;
  /// Module path in the net ("features.3"), for messages.
  std::string path;
  std::shared_ptr<torch::nn::Module> module;
  /// Consumers only: consecutive input columns per channel (H*W after a flatten), else 1.
  int64_t block = 1;
};

/// The role a single tensor plays in a group; selects its default initialisation on widening.
enum class TieRole {
  kProducerWeight,     ///< rows [C, ...]; default for new channels: 0
  kProducerBias,       ///< [C]; default 0
  kNormWeight,         ///< [C]; default 1
  kNormBias,           ///< [C]; default 0
  kNormMean,           ///< running mean [C]; default 0
  kNormVar,            ///< running variance [C]; default 1
  kPassThroughWeight,  ///< depthwise filters [C, 1, k, k]; default 0
  kPassThroughBias,    ///< [C]; default 0
  kConsumerWeight,     ///< columns [out, C * block, ...]; default 0
};

/// One tensor tied to a group's channels. `tensor` aliases the module's parameter or buffer, so
/// reading it sees the live values; writing into it under torch::NoGradGuard edits the net.
struct TiedTensor {
  torch::Tensor tensor;
  TieRole role = TieRole::kProducerWeight;
  /// Index of the owning member in ChannelGroup::members.
  size_t member = 0;
  /// Dimension that indexes the group's channels (0 for rows, 1 for consumer columns).
  int64_t dim = 0;
  /// Consecutive entries along `dim` per channel (consumers after a flatten), else 1.
  int64_t block = 1;
  /// "features.3.weight", for messages.
  std::string name;
};

/// A set of coupled dimensions that must change together.
struct ChannelGroup {
  std::string name;
  /// Budget set this group belongs to (growth keeps a separate ranking and budget per set).
  std::string set = "default";
  /// False for groups a strategy must not grow (e.g. the classifier's output).
  bool growable = true;
  /// Width of this group in the architecture's standard full-size model (for "size %").
  int64_t reference_width = 0;
  std::vector<GroupMember> members;
};

/// Computes a new slice for `tied` when `count` channels are appended. Return an undefined tensor
/// to use the role's default. The returned slice has `count * block` entries along `dim`.
using SliceInit = std::function<torch::Tensor(const TiedTensor& tied, int64_t count)>;

namespace detail {
struct GroupObservers;
}  // namespace detail

/// Called with a channel group's activation [N, C, ...] (C = the group's width, dim 1 indexes
/// its channels) each time a forward pass produces it. The tensor is borrowed for the call: it
/// is detached, and the net may change it in place afterwards, so copy what you keep.
using ActivationObserver = std::function<void(const torch::Tensor& activation)>;
/// Called during backward with a group's activation and the loss's gradient with respect to it
/// (same shape), both detached and borrowed for the call: what first-order channel scores
/// (Taylor: |sum a * dL/da| per channel) need. It is called whenever a backward pass reaches a
/// tap of the group that ran with gradient mode on, also where nothing before the tap requires a
/// gradient: the pass then starts at the tap, so a scoring pass with every weight frozen and an
/// input that needs no gradient gets the activation gradients and computes nothing else.
using GradientObserver =
    std::function<void(const torch::Tensor& activation, const torch::Tensor& gradient)>;

/// Replaces a channel group's activation in the forward pass: called with the activation at the
/// group's tap (not detached, so gradients flow through what it returns), it returns the tensor
/// the pass goes on with, of the same shape. What a split model's bottleneck (encode, quantize,
/// decode) or a received tensor installs at its cut. Since SDK 0.9.
using ActivationTransform = std::function<torch::Tensor(const torch::Tensor& activation)>;

/// A place in an architecture's forward() where a channel group's activation passes: the output
/// of the group's norm (or of its producer when it has none), before the nonlinearity. A group
/// that appears in several places (a residual stream after each block) has a tap in each.
/// Copyable and cheap: calling it while nobody observes the group returns `x` untouched.
class GEAR_EXPORT GroupTap {
 public:
  /// An inert tap (observes nothing).
  GroupTap() = default;
  /// Passes `x` (the group's activation) to the group's observers and returns the tensor the
  /// forward pass goes on with: `x` itself, or, while a gradient observer is attached, a copy,
  /// so in-place ops after the tap do not disturb the observed value.
  torch::Tensor operator()(const torch::Tensor& x) const;
  /// Whether anyone observes or transforms this tap's group now (what fused ops check before
  /// skipping the tap's place in the pass). Since SDK 0.12.
  bool observed() const;

 private:
  friend class GrowableNet;
  std::shared_ptr<detail::GroupObservers> observers_;
  std::string group_;
};

/// An attached observer; observing stops when it is destroyed or reset(). Movable, not
/// copyable; may outlive the net (it then does nothing).
class GEAR_EXPORT GroupObservation {
 public:
  GroupObservation() = default;
  GroupObservation(GroupObservation&& other) noexcept;
  GroupObservation& operator=(GroupObservation&& other) noexcept;
  GroupObservation(const GroupObservation&) = delete;
  GroupObservation& operator=(const GroupObservation&) = delete;
  ~GroupObservation();
  /// Detaches the observer now.
  void reset();

 private:
  friend class GrowableNet;
  std::weak_ptr<detail::GroupObservers> observers_;
  uint64_t id_ = 0;
};

/// Base class of every architecture's module. Subclasses build their layers, register them,
/// then declare channel groups with add_group(); growth strategies and pruners only use the
/// group API, so they work with every architecture.
class GEAR_EXPORT GrowableNet : public torch::nn::Module {
 public:
  /// Runs the network on a float batch [N, C, H, W]; returns logits [N, classes].
  virtual torch::Tensor forward(torch::Tensor input) = 0;

  /// The groups, in declaration order.
  const std::vector<ChannelGroup>& groups() const { return groups_; }
  /// The group named `name`; throws std::invalid_argument listing the names if absent.
  const ChannelGroup& group(const std::string& name) const;
  /// Current width (channel count) of a group.
  int64_t width(const std::string& name) const;
  /// Current widths of all groups, in declaration order.
  std::vector<int64_t> widths() const;
  /// Group names, in declaration order.
  std::vector<std::string> group_names() const;
  /// Every tensor tied to a group, with its role.
  std::vector<TiedTensor> tied_tensors(const std::string& name) const;

  /// Number of trainable parameters.
  int64_t params() const;
  /// Multiply-accumulates of one forward pass for one sample of shape [C, H, W].
  int64_t macs(const std::vector<int64_t>& sample_shape);

  /// Appends `count` channels to a group, extending every tied tensor. `init` gives the new
  /// slices; the defaults make the new channels inert (zero weights, identity BatchNorm).
  /// Parameters change identity-preserving shape in place: rebuild any optimizer afterwards.
  void widen(const std::string& name, int64_t count, const SliceInit& init = {});
  /// Appends a copy of each channel in `sources` (Net2Wider replication): rows and norms copied,
  /// each consumer column divided by the number of copies of its channel, so the function is
  /// unchanged. Returns the indices of the new channels.
  std::vector<int64_t> duplicate(const std::string& name, const std::vector<int64_t>& sources);
  /// Keeps only the channels `keep` (in that order) of a group, in every tied tensor.
  void select(const std::string& name, const std::vector<int64_t>& keep);

  /// Observes the activations of group `name` in every forward pass (and, with `on_backward`,
  /// their gradients in every backward pass) until the returned handle is destroyed. The net's
  /// mode is the caller's: in training mode BatchNorm normalises with batch statistics and
  /// updates its running statistics, so a scoring pass that must leave them alone runs in eval
  /// mode (or saves and restores the buffers). Observers run on the thread that runs the pass.
  /// Throws std::invalid_argument when the group does not exist or the architecture has no tap
  /// for it (group_tapped()).
  [[nodiscard]] GroupObservation observe(const std::string& name, ActivationObserver on_forward,
                                         GradientObserver on_backward = {});
  /// Replaces the activation of group `name` at its tap with `transform(activation)` in every
  /// forward pass until the returned handle is destroyed; observers of the group see the
  /// activation before the transform. Several transforms on one group apply in the order they
  /// were attached. A group with several taps (a residual stream) is transformed at each.
  /// Throws std::invalid_argument like observe(). Since SDK 0.9.
  [[nodiscard]] GroupObservation transform(const std::string& name, ActivationTransform transform);
  /// Whether the architecture taps group `name`, so observe() works on it.
  bool group_tapped(const std::string& name) const;
  /// Replaces what the consumers of group `name` read: `transform` is called with the tensor at
  /// the group's consumer tap (consumer_tap(), not detached) and returns the tensor every
  /// consumer reads instead, in every forward pass until the returned handle is destroyed. The
  /// result may have another channel count than the group's width; the caller then gives the
  /// consumers' weights matching columns while the transform is attached (Firefly's candidate
  /// network reads each split pair's mean, C + K channels instead of 2C + K). Throws
  /// std::invalid_argument when the group does not exist or has no consumer tap
  /// (group_consumer_tapped()). Since SDK 0.14.
  [[nodiscard]] GroupObservation transform_consumed(const std::string& name,
                                                    ActivationTransform transform);
  /// Whether the architecture reads group `name` through a consumer tap, so transform_consumed()
  /// works on it. Since SDK 0.14.
  bool group_consumer_tapped(const std::string& name) const;

 protected:
  /// Declares a group; returns it for adding members. References stay valid until the next
  /// add_group call. Throws if the name is taken.
  ChannelGroup& add_group(const std::string& name, int64_t reference_width,
                          const std::string& set = "default", bool growable = true);
  /// Adds a member to a group. `module` must be registered in this net; `path` names it.
  void tie(ChannelGroup& group, TieKind kind, std::string path,
           std::shared_ptr<torch::nn::Module> module, int64_t block = 1);
  /// Checks every group's tensors agree on the width; throws std::logic_error otherwise.
  void check_groups() const;
  /// The tap for group `name`, to call in forward() on the group's activation (blocks that are
  /// submodules keep a copy). May be called before the group is declared.
  GroupTap tap(const std::string& name);
  /// The consumer tap for group `name`, to call in forward() on the tensor the group's consumers
  /// read (after its nonlinearity and pooling). Place one only where every layer tied to the
  /// group as its consumer (a convolution or linear layer) reads exactly this tensor, and nothing
  /// after the tap reads the group's channels otherwise (no residual stream, no concatenation
  /// with other channels); layers tied along their rows (the group's norms, a depthwise
  /// pass-through) come before it. A transform_consumed() caller relies on this. May be called
  /// before the group is declared. Since SDK 0.14.
  GroupTap consumer_tap(const std::string& name);

 private:
  ChannelGroup& mutable_group(const std::string& name);
  GroupObservation attach(const std::string& name, const std::string& key,
                          ActivationObserver on_forward, GradientObserver on_backward,
                          ActivationTransform transform);
  GroupTap tap_at(const std::string& key);
  bool tapped(const std::string& key) const;
  void resize(ChannelGroup& group, int64_t new_width,
              const std::function<torch::Tensor(const TiedTensor&)>& reshape_one);

  std::vector<ChannelGroup> groups_;
  std::shared_ptr<detail::GroupObservers> observers_;
};

}  // namespace gear

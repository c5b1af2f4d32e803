// A well-formed plugin used by the loader and e2e tests: an identity augmentation, one that
// throws when called, a growth strategy that duplicates the first channel of every group (within
// the pipeline's budget) and one that grows nothing.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "gear/gear.h"

namespace {

class IdentityAugmentation final : public gear::Augmentation {
 public:
  explicit IdentityAugmentation(const gear::Config&) {}
  static gear::OptionSchema schema() {
    return gear::OptionSchema().add_int("strength", 1, "unused").range(0, 5);
  }
  gear::AugmentedBatch augment(const torch::Tensor& images, torch::Generator&) override {
    return {{images}, 0.0};
  }
};

class ThrowingAugmentation final : public gear::Augmentation {
 public:
  explicit ThrowingAugmentation(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::AugmentedBatch augment(const torch::Tensor&, torch::Generator&) override {
    throw std::runtime_error("fixture augmentation exploded");
  }
};

class DuplicateFirst final : public gear::GrowthStrategy {
 public:
  explicit DuplicateFirst(const gear::Config& options) : gamma_(options.get<double>("gamma")) {}
  static gear::OptionSchema schema() {
    return gear::OptionSchema()
        .add_float("gamma", 0.0,
                   "0: one copy of channel 0 per group; > 0: ceil(gamma * width) copies per "
                   "group, one at a time, stopping at the first that breaks the budget")
        .range(0.0, 10.0);
  }
  gear::GrowthResult grow(gear::GrowableNet& net, gear::GrowthContext& context) override {
    gear::GrowthResult result;
    int64_t checks = 0;
    bool stopped = false;
    for (const auto& group : net.groups()) {
      int64_t copies = 0;
      const int64_t width = net.width(group.name);
      const int64_t wanted =
          !group.growable || stopped
              ? 0
              : (gamma_ > 0.0 ? static_cast<int64_t>(std::ceil(gamma_ * static_cast<double>(width)))
                              : 1);
      for (; copies < wanted; ++copies) {
        net.duplicate(group.name, {0});
        if (gamma_ <= 0.0) continue;
        ++checks;
        std::string over = context.exceeds_budget(net);
        if (over.empty()) continue;
        undo_last_copy(net, group.name);
        result.bound_by = over;
        stopped = true;
        break;
      }
      result.split.push_back(copies);
      result.fresh.push_back(0);
    }
    result.metrics["budget_checks"] = static_cast<double>(checks);
    result.records["copies"] = result.split;
    result.records["note"] = std::string("channel 0 copied");
    gear::log_info("fixture-duplicate: " + std::to_string(checks) + " budget checks");
    gear::report_progress("fixture-duplicate groups", static_cast<int64_t>(result.split.size()),
                          static_cast<int64_t>(net.groups().size()));
    return result;
  }

 private:
  // Removes the newest copy of channel 0 and gives channel 0 back the consumer weight the copy
  // took (duplicate() halved it), so the function is as before the copy.
  static void undo_last_copy(gear::GrowableNet& net, const std::string& name) {
    std::vector<int64_t> keep(static_cast<size_t>(net.width(name) - 1));
    std::iota(keep.begin(), keep.end(), int64_t{0});
    net.select(name, keep);
    torch::NoGradGuard no_grad;
    for (const auto& t : net.tied_tensors(name))
      if (t.role == gear::TieRole::kConsumerWeight) t.tensor.narrow(t.dim, 0, t.block).mul_(2.0);
  }

  double gamma_;
};

class NoOpGrowth final : public gear::GrowthStrategy {
 public:
  explicit NoOpGrowth(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::GrowthResult grow(gear::GrowableNet& net, gear::GrowthContext&) override {
    gear::GrowthResult result;
    result.split.assign(net.groups().size(), 0);
    result.fresh.assign(net.groups().size(), 0);
    return result;
  }
};

}  // namespace

// Accuracy on horizontally flipped images, with the seeded generator's first draw as a second
// metric (so tests can check the stream is seeded and repeatable).
class FlipEvaluator final : public gear::Evaluator {
 public:
  explicit FlipEvaluator(const gear::Config& options) : limit_(options.get<int64_t>("limit")) {}
  static gear::OptionSchema schema() {
    return gear::OptionSchema().add_int("limit", 0, "first N images only (0: all)").range(0, 1e9);
  }
  gear::EvaluationResult evaluate(gear::EvaluationContext& context) override {
    const int64_t n = limit_ > 0 ? std::min(limit_, context.images().size(0))
                                 : context.images().size(0);
    torch::Tensor images = context.images().slice(0, 0, n).flip({3});
    torch::Tensor hits = context.predict(images).eq(context.labels().slice(0, 0, n));
    torch::Generator g = context.make_generator(7);
    gear::EvaluationResult result;
    result.metrics["flip_accuracy"] = hits.to(torch::kFloat64).mean().item<double>();
    result.metrics["fixture_draw"] = torch::rand({1}, g).item<double>();
    result.details["flipped"] = {{"images", static_cast<double>(n)}};
    context.log("flipped " + std::to_string(n) + " images");
    return result;
  }

 private:
  int64_t limit_;
};

class ThrowingEvaluator final : public gear::Evaluator {
 public:
  explicit ThrowingEvaluator(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::EvaluationResult evaluate(gear::EvaluationContext&) override {
    throw std::runtime_error("fixture evaluator exploded");
  }
};

GEAR_PLUGIN("gear-fixture-good", "1.2.3", "test fixture") {
  r.add_evaluator<FlipEvaluator>("fixture-flip", "accuracy on mirrored images");
  r.add_evaluator<ThrowingEvaluator>("fixture-throwing-evaluator", "throws when called");
  r.add_augmentation<IdentityAugmentation>("fixture-identity", "returns the batch unchanged");
  r.add_augmentation<ThrowingAugmentation>("fixture-throwing", "throws when called");
  r.add_growth<DuplicateFirst>("fixture-duplicate", "duplicates channel 0 of every group");
  r.add_growth<NoOpGrowth>("fixture-noop", "grows nothing; has no options (no gamma)");
}

// Example growth strategy: in every growable channel group, split the `fraction` of channels
// whose BatchNorm scale is largest (Net2Wider replication, so the function is unchanged).
// Written only against the SDK, so it grows every architecture.

#include <gear/gear.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace {

class StrongestSplit final : public gear::GrowthStrategy {
 public:
  explicit StrongestSplit(const gear::Config& options)
      : fraction_(options.get<double>("fraction")) {}

  static gear::OptionSchema schema() {
    return gear::OptionSchema()
        .add_float("fraction", 0.25, "share of each group's channels to split")
        .range(0.0, 4.0);
  }

  gear::GrowthResult grow(gear::GrowableNet& net, gear::GrowthContext&) override {
    gear::GrowthResult result;
    for (const auto& group : net.groups()) {
      const int64_t count =
          group.growable ? static_cast<int64_t>(std::floor(fraction_ * net.width(group.name))) : 0;
      std::vector<int64_t> sources = strongest(net, group.name, count);
      if (!sources.empty()) net.duplicate(group.name, sources);
      result.split.push_back(static_cast<int64_t>(sources.size()));
      result.fresh.push_back(0);
    }
    result.bound_by = "fraction";
    return result;
  }

 private:
  // The `count` channels with the largest |BatchNorm weight| (channel order if the group has no
  // norm), repeating from the top when count exceeds the width.
  static std::vector<int64_t> strongest(gear::GrowableNet& net, const std::string& group,
                                        int64_t count) {
    const int64_t width = net.width(group);
    std::vector<float> score(static_cast<size_t>(width), 0.f);
    for (const auto& t : net.tied_tensors(group)) {
      if (t.role != gear::TieRole::kNormWeight) continue;
      auto values = t.tensor.detach().abs().to(torch::kCPU).contiguous();
      std::copy(values.data_ptr<float>(), values.data_ptr<float>() + width, score.begin());
      break;
    }
    std::vector<int64_t> order(static_cast<size_t>(width));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return score[a] > score[b]; });
    std::vector<int64_t> sources;
    for (int64_t i = 0; i < count; ++i) sources.push_back(order[static_cast<size_t>(i % width)]);
    return sources;
  }

  double fraction_;
};

}  // namespace

GEAR_PLUGIN("gear-example-strongest-split", "0.1.0", "example out-of-tree growth plugin") {
  r.add_growth<StrongestSplit>("strongest-split",
                               "split the channels with the largest BatchNorm scale");
}

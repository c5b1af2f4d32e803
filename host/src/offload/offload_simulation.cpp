// A policy over a stream: features, decisions, the link's queue and the bill.
#include "gear/host/offload/offload_simulation.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace gear::host {
namespace {

// Mean absolute pixel difference of two frames, in [0, 1].
double frame_change(const uint8_t* a, const uint8_t* b, int64_t pixels) {
  int64_t sum = 0;
  for (int64_t i = 0; i < pixels; ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return static_cast<double>(sum) / (255.0 * static_cast<double>(pixels));
}

// Adds up what each frame's decision costs and buys, in frame order.
class Ledger {
 public:
  Ledger(const StreamOutcomes& stream, const BandwidthTrace& trace, double rtt_seconds)
      : stream_(stream), queue_(trace), rtt_(rtt_seconds) {
    outcome_.offloaded.reserve(static_cast<size_t>(stream.size()));
    latencies_.reserve(static_cast<size_t>(stream.size()));
  }
  const LinkQueue& queue() const { return queue_; }
  double time_of(int64_t i) const { return static_cast<double>(i) / stream_.frames_per_second; }

  void add(int64_t i, bool offload) {
    const auto k = static_cast<size_t>(i);
    double latency = stream_.edge_seconds;
    if (offload) {
      const double captured = time_of(i) + stream_.edge_seconds;
      latency += queue_.send(captured, stream_.bytes[k]) - captured + rtt_ + stream_.cloud_seconds;
      outcome_.bytes += stream_.bytes[k];
      ++outcome_.offloaded_frames;
    }
    if (offload ? stream_.cloud_correct[k] : stream_.edge_correct[k]) ++outcome_.correct;
    outcome_.offloaded.push_back(offload);
    latencies_.push_back(latency);
  }

  OffloadOutcome finish() {
    outcome_.frames = static_cast<int64_t>(latencies_.size());
    outcome_.seconds = static_cast<double>(outcome_.frames) / stream_.frames_per_second;
    if (outcome_.frames > 0) {
      outcome_.accuracy =
          static_cast<double>(outcome_.correct) / static_cast<double>(outcome_.frames);
      double sum = 0.0;
      for (double l : latencies_) sum += l;
      outcome_.mean_latency_seconds = sum / static_cast<double>(outcome_.frames);
      const auto p95 =
          static_cast<size_t>(std::ceil(0.95 * static_cast<double>(outcome_.frames))) - 1;
      std::nth_element(latencies_.begin(), latencies_.begin() + p95, latencies_.end());
      outcome_.p95_latency_seconds = latencies_[p95];
    }
    return std::move(outcome_);
  }

 private:
  const StreamOutcomes& stream_;
  LinkQueue queue_;
  double rtt_;
  OffloadOutcome outcome_;
  std::vector<double> latencies_;
};

OffloadFrame frame_features(const StreamOutcomes& stream, int64_t i, const BandwidthTrace& trace) {
  const auto k = static_cast<size_t>(i);
  OffloadFrame f;
  f.index = i;
  f.time_seconds = static_cast<double>(i) / stream.frames_per_second;
  f.probabilities = stream.probabilities[i];
  f.max_probability = stream.max_probability[k];
  f.margin = stream.margin[k];
  f.entropy = stream.entropy[k];
  f.bytes = stream.bytes[k];
  f.link_bits_per_second = trace.at(f.time_seconds);
  return f;
}

}  // namespace

void set_predictions(StreamOutcomes& outcomes, const torch::Tensor& edge_logits,
                     const torch::Tensor& cloud_logits, const torch::Tensor& labels) {
  const torch::Tensor p = torch::softmax(edge_logits.to(torch::kCPU, torch::kFloat32), 1);
  const int64_t n = p.size(0), classes = p.size(1);
  if (cloud_logits.size(0) != n || labels.size(0) != n)
    throw std::invalid_argument("set_predictions: logits and labels of different lengths");
  const auto top = p.topk(std::min<int64_t>(2, classes), 1);
  const torch::Tensor top_p = std::get<0>(top).contiguous();
  const torch::Tensor entropy = (-(p * p.clamp_min(1e-12).log()).sum(1) /
                                 std::log(static_cast<double>(std::max<int64_t>(classes, 2))))
                                    .contiguous();
  const torch::Tensor y = labels.cpu();
  const torch::Tensor edge_ok = p.argmax(1).eq(y).contiguous();  // ties: the lowest class
  const torch::Tensor cloud_ok = cloud_logits.cpu().argmax(1).eq(y).contiguous();
  outcomes.probabilities = p.contiguous();
  outcomes.max_probability.resize(static_cast<size_t>(n));
  outcomes.margin.resize(static_cast<size_t>(n));
  outcomes.entropy.resize(static_cast<size_t>(n));
  outcomes.edge_correct.resize(static_cast<size_t>(n));
  outcomes.cloud_correct.resize(static_cast<size_t>(n));
  const float* tp = top_p.data_ptr<float>();
  const int64_t stride = top_p.size(1);
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    outcomes.max_probability[k] = tp[i * stride];
    outcomes.margin[k] = stride > 1 ? tp[i * stride] - tp[i * stride + 1] : 1.0;
    outcomes.entropy[k] = entropy.data_ptr<float>()[i];
    outcomes.edge_correct[k] = edge_ok.data_ptr<bool>()[i];
    outcomes.cloud_correct[k] = cloud_ok.data_ptr<bool>()[i];
  }
}

namespace {

// Walks the stream in order: builds each frame's features (change and frames since the last
// offloaded frame, the link's queue), asks `decide`, and bills the decision.
template <typename Decide>
OffloadOutcome walk(const StreamOutcomes& stream, const BandwidthTrace& trace, double rtt_seconds,
                    Decide&& decide) {
  const torch::Tensor frames = stream.frames.contiguous();
  const int64_t pixels = frames.numel() / std::max<int64_t>(1, frames.size(0));
  const uint8_t* data = frames.data_ptr<uint8_t>();
  Ledger ledger(stream, trace, rtt_seconds);
  int64_t last = -1;
  for (int64_t i = 0; i < stream.size(); ++i) {
    OffloadFrame f = frame_features(stream, i, trace);
    f.change = last < 0 ? 1.0 : frame_change(data + i * pixels, data + last * pixels, pixels);
    f.frames_since_offload = i - last;
    f.queued_bytes = ledger.queue().queued_bytes(ledger.time_of(i));
    const bool offload = decide(f);
    if (offload) last = i;
    ledger.add(i, offload);
  }
  return ledger.finish();
}

}  // namespace

OffloadOutcome simulate_offloading(OffloadPolicy& policy, const OffloadBudget& budget,
                                   const StreamOutcomes& stream, const BandwidthTrace& trace,
                                   double rtt_seconds) {
  policy.start(budget);
  double decide_seconds = 0.0;
  OffloadOutcome outcome = walk(stream, trace, rtt_seconds, [&](const OffloadFrame& f) {
    const auto t0 = std::chrono::steady_clock::now();
    const bool offload = policy.decide(f);
    decide_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return offload;
  });
  outcome.decide_seconds = decide_seconds;
  return outcome;
}

std::vector<OffloadExample> training_examples(const StreamOutcomes& stream,
                                              const BandwidthTrace& trace, double rtt_seconds) {
  // The reference schedule: the least confident fifth of the frames.
  std::vector<double> confidence = stream.max_probability;
  const size_t fifth = confidence.size() / 5;
  std::nth_element(confidence.begin(), confidence.begin() + static_cast<std::ptrdiff_t>(fifth),
                   confidence.end());
  const double threshold = confidence.empty() ? 0.0 : confidence[fifth];
  std::vector<OffloadExample> examples;
  examples.reserve(static_cast<size_t>(stream.size()));
  walk(stream, trace, rtt_seconds, [&](const OffloadFrame& f) {
    OffloadExample e;
    e.frame = f;
    e.frame.probabilities = f.probabilities.clone();
    e.edge_correct = stream.edge_correct[static_cast<size_t>(f.index)];
    e.cloud_correct = stream.cloud_correct[static_cast<size_t>(f.index)];
    examples.push_back(std::move(e));
    return f.max_probability <= threshold;
  });
  return examples;
}

OffloadOutcome account(const std::vector<bool>& offloaded, const StreamOutcomes& stream,
                       const BandwidthTrace& trace, double rtt_seconds) {
  if (static_cast<int64_t>(offloaded.size()) != stream.size())
    throw std::invalid_argument("account: one decision per frame expected");
  Ledger ledger(stream, trace, rtt_seconds);
  for (int64_t i = 0; i < stream.size(); ++i) ledger.add(i, offloaded[static_cast<size_t>(i)]);
  return ledger.finish();
}

}  // namespace gear::host

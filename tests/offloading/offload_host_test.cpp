// The offload stage's parts against their definitions: the offline optimum against brute force,
// the link's arithmetic and trace files, frame sizes against independently written JPEG files,
// the edge features, the scene stream and the bill a policy's decisions run up.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include "gear/errors.h"
#include "gear/host/offload/frame_bytes.h"
#include "gear/host/offload/frame_files.h"
#include "gear/host/offload/frame_stream.h"
#include "gear/host/offload/link_model.h"
#include "gear/host/offload/offload_oracle.h"
#include "gear/host/offload/offload_report.h"
#include "gear/host/offload/offload_simulation.h"
#include "image_writers.h"
#include "jpeg_decode.h"
#include "test_support.h"

namespace gear::host {
namespace {

namespace fs = std::filesystem;

// Most net gain of any subset within the budget, by enumerating every subset.
int64_t brute_force_gain(const std::vector<bool>& edge, const std::vector<bool>& cloud,
                         const std::vector<int64_t>& bytes, double budget) {
  const size_t n = bytes.size();
  int64_t best = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    int64_t gain = 0;
    double used = 0;
    for (size_t i = 0; i < n; ++i)
      if (mask & (1u << i)) {
        used += static_cast<double>(bytes[i]);
        gain += int(cloud[i]) - int(edge[i]);
      }
    if (used <= budget) best = std::max(best, gain);
  }
  return best;
}

TEST(OffloadOracle, AgreesWithBruteForceOnRandomSmallTraces) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + rng() % 12;
    std::vector<bool> edge(n), cloud(n);
    std::vector<int64_t> bytes(n);
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      edge[i] = rng() % 2;
      cloud[i] = rng() % 3 != 0;
      bytes[i] = 1 + rng() % 50;
      total += static_cast<double>(bytes[i]);
    }
    const OffloadOracle oracle(edge, cloud, bytes);
    for (double budget : {0.0, 1.0, 7.0, total / 3, total / 2, total}) {
      ASSERT_EQ(oracle.best_gain(budget), brute_force_gain(edge, cloud, bytes, budget))
          << "trial " << trial << " budget " << budget;
      // The chosen frames fit the budget and gain what best_gain says.
      double used = 0;
      int64_t gain = 0;
      for (int64_t i : oracle.choose(budget)) {
        used += static_cast<double>(bytes[static_cast<size_t>(i)]);
        gain += int(cloud[static_cast<size_t>(i)]) - int(edge[static_cast<size_t>(i)]);
      }
      EXPECT_LE(used, budget);
      EXPECT_EQ(gain, oracle.best_gain(budget));
    }
  }
}

TEST(OffloadOracle, TakesTheSmallestGainingFramesAndNeverALosingOne) {
  // Frames 0, 2, 3 gain (sizes 5, 3, 8); frame 1 loses; frame 4 is right either way.
  const OffloadOracle oracle({false, true, false, false, true}, {true, false, true, true, true},
                             {5, 1, 3, 8, 2});
  EXPECT_EQ(oracle.best_gain(8), 2);    // 3 + 5
  EXPECT_EQ(oracle.best_gain(7.9), 1);  // only the 3
  EXPECT_EQ(oracle.choose(8), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(oracle.best_gain(1000), 3);
  EXPECT_EQ(oracle.gainable(), 3);
  EXPECT_EQ(oracle.edge_correct(), 2);
}

TEST(BandwidthTrace, TransfersAcrossASteppedLinkAddUpPerSegment) {
  const BandwidthTrace trace = BandwidthTrace::stepped({8000, 16000}, 1.0, 4.0);
  EXPECT_DOUBLE_EQ(trace.at(0.5), 8000);
  EXPECT_DOUBLE_EQ(trace.at(1.0), 16000);
  EXPECT_DOUBLE_EQ(trace.at(2.5), 8000);  // the levels repeat
  // From 0.5 s: 500 bytes by 1 s at 1000 B/s, the other 1000 at 2000 B/s take 0.5 s.
  EXPECT_DOUBLE_EQ(trace.finish_time(0.5, 1500), 1.5);
  EXPECT_DOUBLE_EQ(trace.capacity_bytes(2.0), 3000.0);
  EXPECT_DOUBLE_EQ(trace.bytes_between(0.5, 1.5), 500.0 + 1000.0);  // starts inside a segment
  EXPECT_DOUBLE_EQ(trace.bytes_between(1.25, 1.75), 1000.0);
  EXPECT_DOUBLE_EQ(BandwidthTrace::constant(8000).finish_time(2.0, 1000), 3.0);
}

TEST(LinkQueue, FramesWaitForTheOnesBeforeThemAndTheQueueDrains) {
  const BandwidthTrace trace = BandwidthTrace::constant(8000);  // 1000 B/s
  LinkQueue queue(trace);
  EXPECT_DOUBLE_EQ(queue.send(0.0, 500), 0.5);
  EXPECT_DOUBLE_EQ(queue.send(0.1, 500), 1.0);  // waits until 0.5
  EXPECT_EQ(queue.queued_bytes(0.25), 750);     // 250 left of the first, all of the second
  EXPECT_EQ(queue.queued_bytes(0.75), 250);
  EXPECT_EQ(queue.queued_bytes(1.0), 0);
  EXPECT_DOUBLE_EQ(queue.send(2.0, 100), 2.1);  // an idle link sends at once
}

TEST(BandwidthTrace, ReadsACsvWithHeaderAndCommentsAndShiftsTimeToZero) {
  const fs::path file = test::temp_dir("trace") / "trace.csv";
  test::write_text(file, "time_seconds,bits_per_second\n# a comment\n10,8000\n\n12, 16000\n");
  const BandwidthTrace trace = BandwidthTrace::read_csv(file);
  EXPECT_EQ(trace.times, (std::vector<double>{0.0, 2.0}));
  EXPECT_EQ(trace.bits_per_second, (std::vector<double>{8000, 16000}));
}

// Expects `read` to throw a ConfigError at `file`:`line` whose message has `words`.
void expect_error_at(const std::function<void()>& read, const fs::path& file, int64_t line,
                     const std::string& words, const std::string& input) {
  try {
    read();
    ADD_FAILURE() << "no error for:\n" << input;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where().file, file.string());
    EXPECT_EQ(e.where().line, line) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

void expect_trace_error(const std::string& text, int64_t line, const std::string& words) {
  const fs::path file = test::temp_dir("bad-trace") / "trace.csv";
  test::write_text(file, text);
  expect_error_at([&] { BandwidthTrace::read_csv(file); }, file, line, words, text);
}

TEST(BandwidthTrace, MalformedRowsAreRefusedAtTheirLine) {
  expect_trace_error("t,bps\n0,1000\n1;2000\n", 3, "expected");
  expect_trace_error("0,1000\n1,abc\n", 2, "two numbers");
  expect_trace_error("0,1000\n1,-5\n", 2, "positive");
  expect_trace_error("0,1000\n2,500\n2,700\n", 3, "increase");
  expect_trace_error("# only a comment\n", 1, "no ");
  expect_trace_error("t,bps\nx,y\n", 2, "two numbers");  // one header row only
}

TEST(FrameBytes, JpegSizesAreThoseOfWholeFilesADecoderReadsBack) {
  torch::manual_seed(3);
  // Smooth frames (a JPEG keeps them close) of two sizes and both channel counts.
  for (const auto& shape :
       {std::vector<int64_t>{3, 1, 28, 28}, std::vector<int64_t>{2, 3, 32, 24}}) {
    const torch::Tensor frames =
        (torch::nn::functional::interpolate(torch::rand({shape[0], shape[1], 4, 4}),
                                            torch::nn::functional::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{shape[2], shape[3]})
                                                .mode(torch::kBilinear)
                                                .align_corners(false)) *
         255)
            .to(torch::kUInt8);
    const std::vector<int64_t> sizes = jpeg_sizes(frames, 90);
    for (int64_t i = 0; i < shape[0]; ++i) {
      const std::vector<uint8_t> file = encode_jpeg(frames[i], 90);
      EXPECT_EQ(sizes[static_cast<size_t>(i)], static_cast<int64_t>(file.size()));
      const torch::Tensor back = plugins::image_io::decode_jpeg_native(file, "frame");
      ASSERT_EQ(back.sizes(), frames[i].sizes());
      EXPECT_LT((back.to(torch::kFloat) - frames[i].to(torch::kFloat)).abs().mean().item<double>(),
                4.0);
    }
  }
  const torch::Tensor frames = torch::randint(0, 256, {1, 1, 28, 28}, torch::kUInt8);
  const std::vector<int64_t> sizes = jpeg_sizes(frames, 75);
  // Noise costs more than a flat frame, and a lower quality less.
  const torch::Tensor flat = torch::full({1, 1, 28, 28}, 128, torch::kUInt8);
  EXPECT_LT(jpeg_sizes(flat, 75)[0], sizes[0]);
  EXPECT_LT(jpeg_sizes(frames.slice(0, 0, 1), 20)[0], sizes[0]);
  EXPECT_EQ(jpeg_sizes(torch::zeros({2, 3, 16, 16}, torch::kUInt8), 90).size(), 2u);
}

TEST(FrameBytes, DeflatedSizeShrinksRepetitiveSymbols) {
  const torch::Tensor zeros = torch::zeros({4096}, torch::kUInt8);
  const torch::Tensor noise = torch::randint(0, 256, {4096}, torch::kUInt8);
  EXPECT_LT(deflated_size(zeros), 64);
  EXPECT_GT(deflated_size(noise), 4096);  // incompressible: stored plus overhead
}

TEST(StreamOutcomes, FeaturesFollowTheirDefinitions) {
  StreamOutcomes s;
  // Frame 0: uniform over 4 classes; frame 1: certain of class 2; frame 2: 0.5/0.3/0.2/0.
  const torch::Tensor p =
      torch::tensor({{0.25, 0.25, 0.25, 0.25}, {0.0, 0.0, 1.0, 0.0}, {0.5, 0.3, 0.2, 1e-9}});
  const torch::Tensor logits = p.clamp_min(1e-12).log();
  const torch::Tensor cloud =
      torch::tensor({{0.0, 1.0, 0.0, 0.0}, {0.0, 0.0, 1.0, 0.0}, {0.0, 0.0, 1.0, 0.0}});
  set_predictions(s, logits, cloud, torch::tensor({1, 2, 2}));
  EXPECT_NEAR(s.entropy[0], 1.0, 1e-6);
  EXPECT_NEAR(s.margin[0], 0.0, 1e-6);
  EXPECT_NEAR(s.max_probability[1], 1.0, 1e-6);
  EXPECT_NEAR(s.entropy[1], 0.0, 1e-6);
  EXPECT_NEAR(s.margin[2], 0.2, 1e-5);
  const double h = -(0.5 * std::log(0.5) + 0.3 * std::log(0.3) + 0.2 * std::log(0.2)) / std::log(4);
  EXPECT_NEAR(s.entropy[2], h, 1e-5);
  EXPECT_EQ(s.edge_correct, (std::vector<bool>{false, true, false}));  // ties: lowest class
  EXPECT_EQ(s.cloud_correct, (std::vector<bool>{true, true, true}));
}

// Offloads the frames whose index is listed; records what it was shown.
class ScriptedPolicy final : public OffloadPolicy {
 public:
  explicit ScriptedPolicy(std::vector<int64_t> offload) : offload_(std::move(offload)) {}
  void start(const OffloadBudget&) override { seen.clear(); }
  bool decide(const OffloadFrame& frame) override {
    seen.push_back(frame);
    return std::find(offload_.begin(), offload_.end(), frame.index) != offload_.end();
  }
  std::vector<OffloadFrame> seen;

 private:
  std::vector<int64_t> offload_;
};

StreamOutcomes four_frames() {
  StreamOutcomes s;
  s.frames = torch::zeros({4, 1, 2, 2}, torch::kUInt8);
  s.frames[1].fill_(255);
  s.frames[2].fill_(51);
  s.frames[3].fill_(255);
  s.probabilities = torch::full({4, 2}, 0.5);
  s.max_probability = {0.5, 0.6, 0.7, 0.8};
  s.margin = {0.0, 0.2, 0.4, 0.6};
  s.entropy = {1.0, 0.9, 0.8, 0.7};
  s.edge_correct = {false, false, true, true};
  s.cloud_correct = {true, true, false, true};
  s.bytes = {100, 200, 300, 400};
  s.frames_per_second = 10;
  s.edge_seconds = 0.01;
  s.cloud_seconds = 0.02;
  return s;
}

TEST(SimulateOffloading, BillsBytesAccuracyAndLatencyOfTheDecisions) {
  const StreamOutcomes s = four_frames();
  const BandwidthTrace link = BandwidthTrace::constant(8000);  // 1000 B/s
  ScriptedPolicy policy({1, 2});
  const OffloadOutcome o = simulate_offloading(policy, {0.5, 0, 10}, s, link, 0.05);
  EXPECT_EQ(o.offloaded, (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(o.bytes, 500);
  EXPECT_EQ(o.offloaded_frames, 2);
  EXPECT_EQ(o.correct, 2);  // frame 1 by the cloud, frame 3 by the edge; frame 2 lost
  EXPECT_DOUBLE_EQ(o.accuracy, 0.5);
  // Frame 1 captured at 0.1 s, decided at 0.11, sent by 0.31; frame 2 decided at 0.21 waits
  // for 0.31 and is through at 0.61. Each adds the round trip and the cloud's time.
  const double l1 = 0.01 + 0.2 + 0.05 + 0.02, l2 = 0.01 + 0.4 + 0.05 + 0.02;
  EXPECT_NEAR(o.mean_latency_seconds, (0.01 + l1 + l2 + 0.01) / 4, 1e-12);
  EXPECT_NEAR(o.p95_latency_seconds, l2, 1e-12);
  // What the policy saw: change from the last offloaded frame, frames since, the link, the queue.
  ASSERT_EQ(policy.seen.size(), 4u);
  EXPECT_DOUBLE_EQ(policy.seen[0].change, 1.0);
  EXPECT_DOUBLE_EQ(policy.seen[2].change, 0.8);  // 51 against frame 1's 255
  EXPECT_DOUBLE_EQ(policy.seen[3].change, 0.8);  // 255 against frame 2's 51
  EXPECT_EQ(policy.seen[1].frames_since_offload, 2);
  EXPECT_EQ(policy.seen[3].frames_since_offload, 1);
  EXPECT_EQ(policy.seen[2].bytes, 300);
  EXPECT_DOUBLE_EQ(policy.seen[2].link_bits_per_second, 8000);
  EXPECT_EQ(policy.seen[2].queued_bytes, 110);  // frame 1 has 0.11 s of its 0.2 s left at 0.2
  EXPECT_DOUBLE_EQ(policy.seen[3].margin, 0.6);
  EXPECT_DOUBLE_EQ(policy.seen[2].time_seconds, 0.2);
}

TEST(TrainingExamples, DependentFeaturesFollowTheLeastConfidentFifth) {
  const StreamOutcomes s = four_frames();  // confidences 0.5, 0.6, 0.7, 0.8: frame 0 is the fifth
  const std::vector<OffloadExample> e = training_examples(s, BandwidthTrace::constant(8000), 0.05);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_DOUBLE_EQ(e[0].frame.change, 1.0);
  EXPECT_EQ(e[0].frame.frames_since_offload, 1);
  EXPECT_DOUBLE_EQ(e[1].frame.change, 1.0);  // 255 against frame 0's 0
  EXPECT_EQ(e[1].frame.frames_since_offload, 1);
  EXPECT_DOUBLE_EQ(e[2].frame.change, 0.2);  // 51 against frame 0, not frame 1
  EXPECT_EQ(e[3].frame.frames_since_offload, 3);
  EXPECT_EQ(e[1].frame.queued_bytes, 10);  // frame 0's 100 bytes, sent from 0.01 s at 1000 B/s
  EXPECT_EQ(e[2].frame.queued_bytes, 0);
  EXPECT_TRUE(e[2].edge_correct);
  EXPECT_FALSE(e[2].cloud_correct);
  EXPECT_DOUBLE_EQ(e[3].frame.margin, 0.6);
  EXPECT_EQ(e[3].frame.probabilities.numel(), 2);
}

TEST(OffloadReport, GapIsTheShortfallFromTheOptimumInPercentOfItsGain) {
  const StreamOutcomes s = four_frames();
  const BandwidthTrace link = BandwidthTrace::constant(1e6);
  OffloadReport report(s, link, 0.0);
  // Offloading frame 2 (300 bytes) loses it; the optimum for 300 bytes offloads frame 0 and 1
  // (100 + 200) and gains 2 frames.
  report.add("bad", {0.25, 0, 10}, account({false, false, true, false}, s, link, 0.0));
  const auto& rows = report.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].policy, "oracle");  // the target's optimum row comes first
  EXPECT_EQ(rows[1].policy, "bad");
  EXPECT_DOUBLE_EQ(rows[1].oracle_accuracy, 1.0);
  // Edge alone: 2 of 4; the policy: 1 of 4; the optimum: 4 of 4. Gap (1 - 0.25) / (1 - 0.5).
  EXPECT_DOUBLE_EQ(rows[1].gap_percent, 150.0);
  // 25 % of the stream's 1000 bytes lets the optimum send frame 0 alone.
  EXPECT_EQ(rows[0].outcome.offloaded, (std::vector<bool>{true, false, false, false}));
  EXPECT_DOUBLE_EQ(budget_bytes({0.25, 0, 10}, s, link), 250.0);
  EXPECT_DOUBLE_EQ(budget_bytes({0, 100, 10}, s, link), 40.0);  // 100 B/s for 0.4 s
  EXPECT_DOUBLE_EQ(budget_bytes({0, 1e9, 10}, s, BandwidthTrace::constant(8000)), 400.0);
}

TEST(SceneStream, ScenesHoldOneImageForABoundedRunOfFrames) {
  DeviceData split;
  split.images = torch::randint(0, 256, {20, 1, 8, 8}, torch::kUInt8);
  split.labels = torch::arange(20);
  SceneStreamOptions o;
  o.frames = 500;
  o.min_scene_frames = 4;
  o.max_scene_frames = 9;
  const FrameStream s = make_scene_stream(split, o, 11, nullptr);
  ASSERT_EQ(s.size(), 500);
  const auto* scene = s.scenes.data_ptr<int64_t>();
  const auto* label = s.labels.data_ptr<int64_t>();
  int64_t run = 1;
  for (int64_t i = 1; i < 500; ++i) {
    if (scene[i] == scene[i - 1]) {
      EXPECT_EQ(label[i], label[i - 1]);
      ++run;
    } else {
      EXPECT_EQ(scene[i], scene[i - 1] + 1);
      EXPECT_GE(run, 4);
      EXPECT_LE(run, 9);
      run = 1;
    }
  }
  // Seeded: the same seed gives the same frames, another seed others.
  EXPECT_TRUE(torch::equal(s.frames, make_scene_stream(split, o, 11, nullptr).frames));
  EXPECT_FALSE(torch::equal(s.frames, make_scene_stream(split, o, 12, nullptr).frames));
}

TEST(SceneStream, WithoutDynamicsEveryFrameIsItsImage) {
  DeviceData split;
  split.images = torch::randint(0, 256, {5, 3, 6, 6}, torch::kUInt8);
  split.labels = torch::arange(5);
  SceneStreamOptions o;
  o.frames = 40;
  o.shift = o.max_shift = o.exposure = o.noise = 0.0;
  const FrameStream s = make_scene_stream(split, o, 1, nullptr);
  for (int64_t i = 0; i < 40; ++i)
    EXPECT_TRUE(torch::equal(s.frames[i], split.images[s.labels[i].item<int64_t>()])) << i;
  // With noise, frames of one scene differ.
  o.noise = 0.05;
  const FrameStream noisy = make_scene_stream(split, o, 1, nullptr);
  EXPECT_FALSE(torch::equal(noisy.frames[0], noisy.frames[1]));
}

TEST(SceneStream, ASequenceKeepsTheSplitsOrderAndCutsAtLabelChanges) {
  DeviceData split;
  split.images = torch::arange(6, torch::kUInt8).view({6, 1, 1, 1});
  split.labels = torch::tensor({3, 3, 1, 1, 1, 3});
  const FrameStream s = sequence_stream(split, 0, 25);
  EXPECT_TRUE(torch::equal(s.frames, split.images));
  EXPECT_TRUE(torch::equal(s.scenes, torch::tensor({0, 0, 1, 1, 1, 2})));
  EXPECT_EQ(sequence_stream(split, 4, 25).size(), 4);
}

const std::vector<std::string> kClasses = {"cat", "dog", "bird"};

TEST(FrameFolder, PlaysTheFramesInTheOrderLabelsCsvListsThem) {
  const fs::path dir = test::temp_dir("frame-folder");
  const torch::Tensor a = test::pattern_image(1, 8, 8, 1), b = test::pattern_image(3, 8, 8, 2);
  test::write_png(dir / "a.png", a);
  test::write_png(dir / "b.png", b);
  test::write_png(dir / "big.png", test::pattern_image(1, 16, 16, 3));
  const std::vector<uint8_t> jpeg = encode_jpeg(a, 95);
  std::ofstream(dir / "c.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
  test::write_text(dir / "labels.csv",
                   "file,class\nb.png,dog\n# a comment\na.png, 2\n"
                   "a.png,bird\nc.jpg,cat\nbig.png,cat\n");
  const FrameStream s = read_frame_folder(dir, kClasses, 1, 8, 8, 15);
  ASSERT_EQ(s.size(), 5);
  EXPECT_TRUE(torch::equal(s.labels, torch::tensor({1, 2, 2, 0, 0})));
  EXPECT_TRUE(torch::equal(s.scenes, torch::tensor({0, 1, 1, 2, 2})));
  EXPECT_TRUE(torch::equal(s.frames[1], a));  // PNG: exact
  // Colour becomes ITU-R 601 luma.
  const torch::Tensor f = b.to(torch::kFloat);
  const torch::Tensor luma = (0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2]).round().to(torch::kUInt8);
  EXPECT_TRUE(torch::equal(s.frames[0][0], luma));
  EXPECT_TRUE(torch::equal(s.frames[3], decode_jpeg(jpeg)));        // JPEG: as libjpeg decodes it
  EXPECT_EQ(s.frames[4].sizes(), (std::vector<int64_t>{1, 8, 8}));  // resized
  EXPECT_DOUBLE_EQ(s.frames_per_second, 15);
  // Grey frames for a colour net are replicated.
  const FrameStream rgb = read_frame_folder(dir, kClasses, 3, 8, 8, 15);
  EXPECT_TRUE(torch::equal(rgb.frames[1], a.expand({3, 8, 8})));
}

void expect_folder_error(const std::string& csv, int64_t line, const std::string& words) {
  const fs::path dir = test::temp_dir("bad-frame-folder");
  test::write_png(dir / "a.png", test::pattern_image(1, 4, 4, 1));
  test::write_text(dir / "junk.png", "not an image");
  test::write_text(dir / "labels.csv", csv);
  expect_error_at([&] { read_frame_folder(dir, kClasses, 1, 4, 4, 30); }, dir / "labels.csv", line,
                  words, csv);
}

TEST(FrameFolder, BadRowsAreRefusedAtTheirLine) {
  expect_folder_error("a.png,cat\na.png,dgo\n", 2, "did you mean 'dog'");
  expect_folder_error("a.png,cat\nmissing.png,cat\n", 2, "no frame file");
  expect_folder_error("a.png cat\n", 1, "expected \"file,class\"");
  expect_folder_error("junk.png,cat\n", 1, "does not decode");
  expect_folder_error("a.png,7\n", 1, "unknown class '7'");
  expect_folder_error("file,class\n", 1, "lists no frames");
}

}  // namespace
}  // namespace gear::host

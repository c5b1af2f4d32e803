// kind = "split": cuts the run's net at a layer into an edge head and a cloud tail, trains a
// bottleneck across the cut end to end with a rate penalty, and compares what it sends per frame
// with JPEG of the input at the same accuracy. The run's net is left as it was: the split model
// is trained on a copy and saved beside it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>

#include "gear/host/checkpoint.h"
#include "gear/host/device.h"
#include "gear/host/offload/frame_bytes.h"
#include "gear/host/offload/split_model.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"
#include "gear/host/trainer.h"

namespace gear::host {
namespace {

using nlohmann::json;

// JPEG bytes at `accuracy` on the curve of (bytes, accuracy) points, interpolated linearly
// between the cheapest point that reaches it and the point before; -1 when none reaches it.
double bytes_at_accuracy(const std::vector<std::pair<double, double>>& curve, double accuracy) {
  for (size_t i = 0; i < curve.size(); ++i) {
    if (curve[i].second < accuracy) continue;
    if (i == 0) return curve[0].first;
    const auto [b0, a0] = curve[i - 1];
    const auto [b1, a1] = curve[i];
    return a1 > a0 ? b0 + (b1 - b0) * (accuracy - a0) / (a1 - a0) : b1;
  }
  return -1.0;
}

class SplitStage final : public StageKind {
 public:
  std::string name() const override { return "split"; }
  std::string doc() const override {
    return "cuts the net at a layer (edge head, cloud tail), trains a bottleneck across the cut "
           "with a rate penalty, and compares its bytes per frame with JPEG of the input";
  }

  OptionSchema schema() const override {
    return common_stage_schema()
        .add_required("layer", ValueType::kString,
                      "the channel group to cut after (\"conv4\"); `gearhost describe` of the "
                      "architecture lists them")
        .add_int("channels", 8,
                 "bottleneck channels sent per position (0: no bottleneck, the "
                 "activation itself is sent as float32)")
        .range(0, 4096)
        .add_int("bits", 4, "bits per bottleneck symbol")
        .range(1, 8)
        .add_float("rate", 0.01, "weight of the rate penalty (mean bottleneck code) in the loss")
        .range(0, 1000)
        .add_int("epochs", 2, "epochs of end-to-end training on the training split")
        .range(0, 10000)
        .add_float("lr", 1e-3, "Adam learning rate")
        .range(0, 10)
        .add_bool("fine_tune", true,
                  "train head and tail with the bottleneck (end to end); false trains the "
                  "bottleneck alone")
        .add_int_list("jpeg_qualities", {5, 10, 20, 30, 50, 70, 90, 95},
                      "JPEG qualities of the input the split is compared with");
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    stage.options = config_from_table(table, context.path, schema(), context.file);
    const auto qualities = stage.options.get<std::vector<int64_t>>("jpeg_qualities");
    if (qualities.empty()) stage.options.fail("jpeg_qualities", "at least one quality");
    for (int64_t q : qualities)
      if (q < 1 || q > 100) stage.options.fail("jpeg_qualities", "qualities are 1 to 100");
  }

  // The cut needs the built net: checked before the first stage trains.
  void check_run(const StageSpec& stage, const RunContext& run) const override {
    try {
      check_cut(*run.net, stage.options.get<std::string>("layer"), run.info.image_shape);
    } catch (const std::invalid_argument& e) {
      stage.options.fail("layer", e.what());
    }
  }

  json run(const PlannedStage& planned, RunContext& run) const override;
};

json SplitStage::run(const PlannedStage& planned, RunContext& run) const {
  const StageSpec& stage = planned.stage;
  const Config& o = stage.options;
  const std::string layer = o.get<std::string>("layer");
  const int64_t channels = o.get<int64_t>("channels"), bits = o.get<int64_t>("bits");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string label = "stage" + std::to_string(stage.index) + ".split";
  const std::string where = "stage " + std::to_string(stage.index) + " (split)";
  // A bottleneck trains on a copy, so the run's net stays as the stages before left it; without
  // one nothing trains and the run's net is the split model.
  const auto copy_file = run.folder->checkpoints() / (label + ".net.pt");
  std::shared_ptr<GrowableNet> net = run.net;
  if (channels > 0) {
    save_checkpoint(*run.net, run.checkpoint_meta(stage.index, 0, -1.0), copy_file);
    net = run.rebuild_net(run.net->widths(), copy_file, where);
  }
  net->eval();
  const torch::Tensor probe =
      split_head(*net, layer, run.normalizer(run.test.images.slice(0, 0, 1).to(run.device)));
  const int64_t width = probe.size(1);
  json record = {
      {"layer", layer},
      {"activation_shape", std::vector<int64_t>(probe.sizes().begin() + 1, probe.sizes().end())}};

  Bottleneck bottleneck{nullptr};
  GroupObservation installed;
  if (channels > 0) {
    torch::manual_seed(run.seed + static_cast<uint64_t>(stage.index));
    bottleneck = Bottleneck(width, channels, bits);
    bottleneck->to(run.device);
    installed =
        net->transform(layer, [&](const torch::Tensor& a) { return bottleneck->forward(a); });
    const bool fine_tune = o.get<bool>("fine_tune");
    std::vector<torch::Tensor> params = bottleneck->parameters();
    for (auto& p : net->parameters()) {
      p.set_requires_grad(fine_tune);
      if (fine_tune) params.push_back(p);
    }
    torch::optim::Adam optimizer(params, torch::optim::AdamOptions(o.get<double>("lr")));
    const double rate = o.get<double>("rate");
    const int64_t batch = run.pipeline.data_settings.batch_size;
    torch::Generator generator = make_generator(torch::kCPU, run.seed ^ 0x517cc1b7ULL);
    for (int64_t epoch = 1; epoch <= o.get<int64_t>("epochs"); ++epoch) {
      if (fine_tune)
        net->train();
      else
        net->eval();
      bottleneck->train();
      const torch::Tensor order =
          torch::randperm(run.train.size(), generator).to(run.train.images.device());
      double loss_sum = 0.0;
      int64_t batches = 0;
      for (int64_t begin = 0; begin < run.train.size(); begin += batch) {
        const torch::Tensor idx = order.slice(0, begin, std::min(begin + batch, run.train.size()));
        const torch::Tensor x =
            run.normalizer(run.train.images.index_select(0, idx).to(run.device));
        const torch::Tensor y = run.train.labels.index_select(0, idx).to(run.device);
        optimizer.zero_grad();
        const torch::Tensor logits = net->forward(x);
        const torch::Tensor loss = torch::cross_entropy_loss(logits, y) + rate * bottleneck->rate();
        loss.backward();
        optimizer.step();
        loss_sum += loss.item<double>();
        ++batches;
      }
      spdlog::info("stage {} split: epoch {} loss {:.4f}", stage.index, epoch,
                   loss_sum / static_cast<double>(std::max<int64_t>(1, batches)));
    }
    for (auto& p : net->parameters()) p.set_requires_grad(true);
    bottleneck->eval();
  }

  // What the edge sends per test frame, and the split model's accuracy on the test split, from
  // one pass.
  net->eval();
  double sent = 0.0;
  int64_t correct = 0;
  {
    torch::NoGradGuard no_grad;
    const int64_t batch = run.pipeline.data_settings.eval_batch_size;
    for (int64_t begin = 0; begin < run.test.size(); begin += batch) {
      const int64_t end = std::min(begin + batch, run.test.size());
      const torch::Tensor x = run.normalizer(run.test.images.slice(0, begin, end).to(run.device));
      torch::Tensor activation;
      {
        GroupObservation capture =
            net->observe(layer, [&](const torch::Tensor& a) { activation = a.clone(); });
        const torch::Tensor labels = run.test.labels.slice(0, begin, end).to(run.device);
        correct += correct_count(net->forward(x), labels).item<int64_t>();
      }
      if (channels == 0) {
        sent += static_cast<double>(activation.numel() / activation.size(0) * 4 + 4) *
                static_cast<double>(end - begin);
      } else {
        const torch::Tensor symbols = bottleneck->symbols(activation).cpu();
        for (int64_t i = 0; i < symbols.size(0); ++i)
          sent += static_cast<double>(symbol_bytes(symbols[i], bits));
      }
    }
  }
  const double frames = static_cast<double>(std::max<int64_t>(1, run.test.size()));
  const double split_accuracy = static_cast<double>(correct) / frames;
  installed.reset();
  const double net_accuracy = run.evaluate_net(run.test, where).accuracy;
  record["split_accuracy"] = split_accuracy;
  record["net_accuracy"] = net_accuracy;
  record["bytes_per_frame"] = sent / frames;
  record["raw_bytes_per_frame"] =
      channels == 0
          ? static_cast<double>(probe.numel() * 4)
          : static_cast<double>((channels * probe.size(2) * probe.size(3) * bits + 7) / 8);

  // JPEG of the input, sent whole to the cloud's full net (the run's net).
  std::vector<std::pair<double, double>> curve;
  json jpeg = json::array();
  for (int64_t q : o.get<std::vector<int64_t>>("jpeg_qualities")) {
    std::vector<int64_t> sizes;
    const torch::Tensor decoded = jpeg_round_trip(run.test.images, static_cast<int>(q), &sizes);
    double bytes = 0.0;
    for (int64_t s : sizes) bytes += static_cast<double>(s);
    const double accuracy =
        run.evaluate_net(DeviceData{decoded.to(run.device), run.test.labels}, where).accuracy;
    curve.push_back({bytes / frames, accuracy});
    jpeg.push_back({{"quality", q}, {"bytes_per_frame", bytes / frames}, {"accuracy", accuracy}});
  }
  std::sort(curve.begin(), curve.end());
  record["jpeg"] = jpeg;
  const double matched = bytes_at_accuracy(curve, split_accuracy);
  record["jpeg_bytes_at_split_accuracy"] = matched >= 0 ? json(matched) : json(nullptr);
  record["bytes_ratio_to_jpeg"] = matched > 0 ? json(sent / frames / matched) : json(nullptr);
  if (channels > 0) {
    torch::serialize::OutputArchive archive;
    bottleneck->save(archive);
    archive.save_to((run.folder->checkpoints() / (label + ".bottleneck.pt")).string());
    save_checkpoint(*net, run.checkpoint_meta(stage.index, 0, -1.0), copy_file);
    record["checkpoint"] = "checkpoints/" + label + ".net.pt";
    record["bottleneck"] = "checkpoints/" + label + ".bottleneck.pt";
  }
  spdlog::info(
      "stage {} split at {}: accuracy {:.4f} (whole net {:.4f}), {:.1f} bytes per frame; "
      "JPEG at that accuracy {}",
      stage.index, layer, split_accuracy, net_accuracy, sent / frames,
      matched >= 0 ? fmt::format("{:.1f} bytes", matched) : std::string("never reaches it"));
  record["split_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return record;
}

}  // namespace

const StageKind& split_stage_kind() {
  static const SplitStage kind;
  return kind;
}

}  // namespace gear::host

#include "report_fixtures.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gear::report::fixtures {

using nlohmann::json;
namespace fs = std::filesystem;

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

void write_json(const fs::path& file, const json& data) { write_text(file, data.dump(2)); }

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json completed_summary(const std::string& name) {
  json summary = json::parse(R"({
    "pipeline": "examples/pipelines/alpha.toml", "status": "completed", "device": "cpu",
    "threads": 2, "seed": 1, "dataset": "fashion-mnist", "architecture": "vgg11",
    "wall_seconds": 100.5, "epoch_scale": 1.0, "budget": {}, "energy_joules": 1234.5,
    "meter": {"name": "cpu-model", "estimate": true, "method": "TDP times utilisation",
              "domains": ["package"], "period_ms": 100},
    "final": {
      "clean_accuracy": 0.9123, "test_loss": 0.31, "test_images": 1000,
      "params": 1234567, "reference_params": 2469134, "size_percent": 50.0, "macs": 98765432,
      "widths": [16, 32], "groups": ["conv2", "conv1"],
      "latency_batch1_seconds": 0.0021, "latency_batch_seconds": 0.0004, "latency_batch": 128,
      "corruptions": {"robust_accuracy": 0.6543, "mean_corruption_error": 0.3457,
                      "seconds": 3.0,
                      "details": {"clean": {"accuracy": 0.9},
                                  "fog": {"severity_1": 0.8, "severity_2": 0.7, "mean": 0.75},
                                  "noise": {"severity_1": 0.6, "severity_2": 0.5,
                                            "mean": 0.55}}},
      "instability": {"flip_rate": 0.12, "seconds": 1.0,
                      "details": {"blur": {"flip": 0.1, "shift": 0.2},
                                  "jitter": {"flip": 0.3, "shift": 0.4}}}
    }
  })");
  summary["name"] = name;
  summary["stages"] = completed_stages();
  return summary;
}

json completed_stages() {
  return json::parse(R"([
    {"index": 0, "kind": "train", "name": "", "epochs": 2, "wall_seconds": 30.0,
     "params": 600000, "macs": 50000000, "widths": [8, 16], "peak_rss_bytes": 1000,
     "peak_memory_bytes": 10485760,
     "energy_joules": 300.0, "energy_estimated": true, "train_accuracy": 0.7},
    {"index": 1, "kind": "grow", "name": "widen", "epochs": 0, "wall_seconds": 5.0,
     "widths_before": {"conv1": 8, "conv2": 16}, "widths_after": {"conv1": 16, "conv2": 32},
     "energy_joules": 50.0, "energy_estimated": true},
    {"index": 2, "kind": "train", "name": "", "epochs": 2, "wall_seconds": 40.0,
     "peak_memory_bytes": 31457280, "energy_joules": 400.0, "energy_estimated": true},
    {"index": 3, "kind": "evaluate", "name": "", "epochs": 0, "wall_seconds": 3.0,
     "energy_joules": 30.0, "energy_estimated": true},
    {"index": 4, "kind": "search", "name": "", "wall_seconds": 20.0, "level": 0.5,
     "energy_joules": 200.0, "energy_estimated": true,
     "probes": [{"level": 0.25, "val_accuracy": 0.9, "macs": 80000000},
                {"level": 0.5, "val_accuracy": 0.88, "macs": 60000000},
                {"level": 0.75, "val_accuracy": 0.8, "macs": 40000000}]}
  ])");
}

std::string completed_metrics() {
  return "epoch,energy_joules,kind,lr,params,probe,seconds,stage,train_accuracy,train_loss,"
         "val_accuracy,val_loss\n"
         "1,150,train,0.1,600000,,15,0,0.5,1.2,0.45,1.3\n"
         "2,150,train,0.1,600000,,15,0,0.7,0.8,0.6,0.9\n"
         "1,200,train,0.05,1234567,,20,2,0.8,0.6,0.75,0.7\n"
         "2,200,train,0.01,1234567,,20,2,0.9,0.4,0.85,0.5\n"
         "1,100,train,0.01,900000,0.5,10,4,0.85,0.5,0.84,0.55\n"
         "2,100,train,0.01,900000,0.5,10,4,0.88,0.45,0.88,0.5\n";
}

std::string resolved_toml(const std::string& variant, int seed, const std::string& run_name) {
  return "# Resolved from examples/pipelines/" + variant + "-" + std::to_string(seed) +
         ".toml (overrides applied, defaults written out)\n\n[run]\nepoch_scale = 1.0\nname = \"" +
         run_name + "\"\nout = \"runs/" + run_name + "\"\nseed = " + std::to_string(seed) +
         "\nthreads = 2\n\n[data]\nplugin = \"fashion-mnist\"\n\n[model]\narchitecture = \"" +
         (variant == "alpha" ? "vgg11" : "resnet18") +
         "\"\n\n[[stage]]\nkind = \"train\"\nepochs = 2\nseed = 7\n";
}

json failed_summary(const std::string& name, const std::string& error) {
  json summary = json::parse(R"({
    "pipeline": "examples/pipelines/alpha.toml", "status": "failed", "device": "cpu",
    "seed": 1, "dataset": "fashion-mnist", "architecture": "vgg11", "wall_seconds": 14.0})");
  summary["name"] = name;
  summary["error"] = error;
  summary["stages"] = failed_stages();
  return summary;
}

json failed_stages() {
  return json::parse(R"([{"index": 0, "kind": "train", "name": "", "epochs": 2,
                          "wall_seconds": 12.0}])");
}

std::string failed_metrics() {
  return "epoch,kind,lr,params,seconds,stage,train_accuracy,train_loss,val_accuracy,val_loss\n"
         "1,train,0.1,600000,6,0,0.4,1.5,,\n"
         "2,train,0.1,600000,6,0,0.6,1.0,,\n";
}

void write_run(const fs::path& dir, const json& summary, const json& stages,
               const std::string& metrics, const std::string& resolved) {
  write_json(dir / "summary.json", summary);
  if (!stages.is_null()) write_json(dir / "stages.json", stages);
  if (!metrics.empty()) write_text(dir / "metrics.csv", metrics);
  if (!resolved.empty()) write_text(dir / "pipeline.resolved.toml", resolved);
}

void write_group(const fs::path& dir, const std::string& name,
                 const std::string& pipeline_variant) {
  json runs = json::array();
  const double clean[] = {0.90, 0.92, 0.94};
  for (int seed = 1; seed <= 3; ++seed) {
    const std::string run_dir = "seed-" + std::to_string(seed);
    // Train time (train and grow stages) of seed s: (5 + 2 + 3) s * s, so 10, 20, 30 s.
    const double train0 = 5.0 * seed, grow = 2.0 * seed, train2 = 3.0 * seed;
    json stages = json::array();
    stages.push_back({{"index", 0},
                      {"kind", "train"},
                      {"name", ""},
                      {"epochs", 2},
                      {"wall_seconds", train0},
                      {"energy_joules", 50.0 * seed}});
    stages.push_back({{"index", 1},
                      {"kind", "grow"},
                      {"name", ""},
                      {"epochs", 0},
                      {"wall_seconds", grow},
                      {"energy_joules", 20.0 * seed},
                      {"widths_before", {{"conv1", 8}, {"conv2", 16}}},
                      {"widths_after", {{"conv1", 12}, {"conv2", 24}}}});
    stages.push_back({{"index", 2},
                      {"kind", "train"},
                      {"name", ""},
                      {"epochs", 1},
                      {"wall_seconds", train2},
                      {"energy_joules", 30.0 * seed}});
    stages.push_back(
        {{"index", 3}, {"kind", "evaluate"}, {"name", ""}, {"epochs", 0}, {"wall_seconds", 1.0}});
    json summary = {
        {"name", name + "-seed" + std::to_string(seed)},
        {"pipeline", "examples/pipelines/" + pipeline_variant + ".toml"},
        {"status", "completed"},
        {"seed", seed},
        {"wall_seconds", 10.0 * seed + 1.0},
        {"energy_joules", 100.0 * seed},
        {"meter", {{"name", "rapl"}, {"estimate", false}, {"method", "counters"}}},
        {"final", {{"clean_accuracy", clean[seed - 1]}, {"params", 500000}, {"macs", 4000000}}},
        {"stages", stages}};
    std::string metrics = "epoch,kind,stage,train_accuracy,train_loss,val_accuracy,val_loss\n";
    for (int epoch = 1; epoch <= 3; ++epoch)
      metrics += std::to_string(epoch) + ",train," + (epoch <= 2 ? "0" : "2") + "," +
                 std::to_string(0.5 + 0.1 * epoch + 0.01 * seed) + "," +
                 std::to_string(1.0 / epoch) + "," + std::to_string(0.45 + 0.1 * epoch) + "," +
                 std::to_string(1.1 / epoch) + "\n";
    write_run(dir / run_dir, summary, stages, metrics,
              resolved_toml(pipeline_variant, seed, name + "-seed" + std::to_string(seed)));
    runs.push_back({{"seed", seed}, {"run_dir", run_dir}, {"status", "completed"}});
  }
  auto stat = [](double mean, double std, double min, double max, json values) {
    return json{{"mean", mean}, {"std", std}, {"min", min},
                {"max", max},   {"n", 3},     {"values", std::move(values)}};
  };
  json group = {{"name", name},
                {"pipeline", "examples/pipelines/" + pipeline_variant + ".toml"},
                {"pipeline_hash", "hash-" + pipeline_variant},
                {"seeds", {1, 2, 3}},
                {"status", "completed"},
                {"runs", runs},
                {"final",
                 {{"clean_accuracy", stat(0.92, 0.02, 0.90, 0.94, {0.90, 0.92, 0.94})},
                  {"corruptions.robust_accuracy", stat(0.61, 0.01, 0.60, 0.62, {0.60, 0.61, 0.62})},
                  {"corruptions.details.fog.severity_1", stat(0.7, 0.1, 0.6, 0.8, {0.6, 0.7, 0.8})},
                  {"corruptions.details.fog.severity_2", stat(0.6, 0.1, 0.5, 0.7, {0.5, 0.6, 0.7})},
                  {"corruptions.details.clean.accuracy", stat(0.9, 0.0, 0.9, 0.9, {0.9, 0.9, 0.9})},
                  {"params", stat(500000, 0, 500000, 500000, {500000, 500000, 500000})},
                  {"macs", stat(4000000, 0, 4000000, 4000000, {4000000, 4000000, 4000000})},
                  {"size_percent", stat(25.0, 0.5, 24.5, 25.5, {24.5, 25.0, 25.5})},
                  {"latency_batch1_seconds",
                   stat(0.0015, 0.0001, 0.0014, 0.0016, {0.0014, 0.0015, 0.0016})}}},
                // The runs' totals sit beside `final`, as host/src/seed_group.cpp writes them.
                {"wall_seconds", stat(21.0, 10.0, 11.0, 31.0, {11.0, 21.0, 31.0})},
                {"energy_joules", stat(200.0, 100.0, 100.0, 300.0, {100.0, 200.0, 300.0})},
                {"stages",
                 {{{"index", 0},
                   {"kind", "train"},
                   {"name", ""},
                   {"wall_seconds", stat(10.0, 5.0, 5.0, 15.0, {5.0, 10.0, 15.0})},
                   {"energy_joules", stat(100.0, 50.0, 50.0, 150.0, {50.0, 100.0, 150.0})}},
                  {{"index", 1},
                   {"kind", "grow"},
                   {"name", ""},
                   {"wall_seconds", stat(4.0, 2.0, 2.0, 6.0, {2.0, 4.0, 6.0})},
                   {"energy_joules", stat(40.0, 20.0, 20.0, 60.0, {20.0, 40.0, 60.0})}},
                  {{"index", 2},
                   {"kind", "train"},
                   {"name", ""},
                   {"wall_seconds", stat(6.0, 3.0, 3.0, 9.0, {3.0, 6.0, 9.0})},
                   {"energy_joules", stat(60.0, 30.0, 30.0, 90.0, {30.0, 60.0, 90.0})}},
                  {{"index", 3},
                   {"kind", "evaluate"},
                   {"name", ""},
                   {"wall_seconds", stat(1.0, 0.0, 1.0, 1.0, {1.0, 1.0, 1.0})}}}}};
  write_json(dir / "group.json", group);
}

std::vector<fs::path> write_browser_inputs(const fs::path& root) {
  const fs::path alpha = root / "alpha", group = root / "beta-group", failed = root / "failed";
  write_run(alpha, completed_summary("alpha</script><!--"), completed_stages(), completed_metrics(),
            resolved_toml("alpha", 1, "alpha"));
  write_group(group, "beta", "beta");
  write_run(failed, failed_summary("failed-run", "stage 1 (grow, osg): out of <memory>"),
            failed_stages(), failed_metrics(), resolved_toml("alpha", 1, "failed-run"));
  return {alpha, group, failed};
}

}  // namespace gear::report::fixtures

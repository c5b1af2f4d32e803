// What a training stage writes per epoch, checked against the epochs themselves: the learning
// rate each metrics.csv row reports, which epoch best.pt and last.pt hold, which epochs
// run.keep_every keeps, and the stage record's best and final validation accuracy.

#include <sstream>

#include "e2e_support.h"
#include "gear/host/checkpoint.h"

namespace gear::e2e {
namespace {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  double number(size_t row, const std::string& column) const {
    const auto at = std::find(header.begin(), header.end(), column) - header.begin();
    return std::stod(rows.at(row).at(static_cast<size_t>(at)));
  }
};

Table read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows = test::read_csv(path);
  Table table;
  if (rows.empty()) return table;
  table.header = rows.front();
  table.rows.assign(rows.begin() + 1, rows.end());
  return table;
}

TEST(TrainLoop, CheckpointsAndRowsNameTheEpochsTheyHold) {
  const fs::path dir = test::temp_dir("train-loop");
  test::write_tiny_fashion(dir / "data", 400, 100);
  test::write_text(dir / "p.toml", test::tiny_run_and_data(dir / "data", 3, "keep_every = 2\n") +
                                       test::tiny_vgg_training("0.125", 3, "lr = 0.05\n"));
  const fs::path out = dir / "run";
  std::string output;
  ASSERT_EQ(test::run_command(std::string(GEARHOST_EXE) + " run " + (dir / "p.toml").string() +
                                  " --out " + out.string(),
                              &output),
            0)
      << output;
  const Table metrics = read_csv(out / "metrics.csv");
  ASSERT_EQ(metrics.rows.size(), 3u);
  // Cosine from 0.05 to 0 over 3 epochs, as the rate at each epoch's end.
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(metrics.number(e, "epoch"), static_cast<double>(e + 1));
    EXPECT_NEAR(metrics.number(e, "lr"), 0.025 * (1.0 + std::cos(M_PI * (e + 1) / 3.0)), 1e-6)
        << "epoch " << e + 1;
  }
  // best.pt is the first epoch with the highest validation accuracy, last.pt the last epoch.
  size_t best = 0;
  for (size_t e = 1; e < 3; ++e)
    if (metrics.number(e, "val_accuracy") > metrics.number(best, "val_accuracy")) best = e;
  const host::CheckpointMeta best_meta = host::read_checkpoint_meta(out / "checkpoints/best.pt");
  EXPECT_EQ(best_meta.stage, 0);
  EXPECT_EQ(best_meta.epoch, static_cast<int64_t>(best + 1));
  EXPECT_DOUBLE_EQ(best_meta.val_accuracy, metrics.number(best, "val_accuracy"));
  const host::CheckpointMeta last_meta = host::read_checkpoint_meta(out / "checkpoints/last.pt");
  EXPECT_EQ(last_meta.epoch, 3);
  EXPECT_DOUBLE_EQ(last_meta.val_accuracy, metrics.number(2, "val_accuracy"));
  // keep_every = 2: epoch 2 alone is kept.
  EXPECT_TRUE(fs::exists(out / "checkpoints/stage0-epoch2.pt"));
  EXPECT_FALSE(fs::exists(out / "checkpoints/stage0-epoch1.pt"));
  EXPECT_FALSE(fs::exists(out / "checkpoints/stage0-epoch3.pt"));
  EXPECT_EQ(host::read_checkpoint_meta(out / "checkpoints/stage0-epoch2.pt").epoch, 2);
  const json stage = read_json(out / "stages.json")[0];
  EXPECT_DOUBLE_EQ(stage["best_val_accuracy"].get<double>(), metrics.number(best, "val_accuracy"));
  EXPECT_DOUBLE_EQ(stage["val_accuracy"].get<double>(), metrics.number(2, "val_accuracy"));
  EXPECT_EQ(stage["epochs"], 3);
}

// pipeline.resolved.toml writes every key with its value, defaults included: run again, on a
// gearhost that has only the plugins the run uses (no device bank), it must give the same run.
TEST(TrainLoop, TheResolvedPipelineRerunsTheRunWithOnlyThePluginsItUses) {
  const fs::path dir = test::temp_dir("resolved-rerun");
  test::write_tiny_fashion(dir / "data", 200, 50);
  const fs::path built = fs::path(GEARHOST_EXE).parent_path().parent_path();
  fs::create_directories(dir / "bin");
  fs::create_directories(dir / "lib/gear/plugins");
  fs::copy_file(GEARHOST_EXE, dir / "bin/gearhost");
  for (const char* plugin : {"gear_vgg.so", "gear_fashion_mnist.so", "gear_objectives.so"})
    fs::create_symlink(built / "lib/gear/plugins" / plugin, dir / "lib/gear/plugins" / plugin);
  test::write_text(dir / "p.toml", test::tiny_run_and_data(dir / "data", 4) +
                                       test::tiny_vgg_training("0.125", 1, "lr = 0.05\n"));
  auto run = [&](const fs::path& pipeline, const fs::path& out) {
    std::string output;
    const int code = test::run_command(
        (dir / "bin/gearhost").string() + " run " + pipeline.string() + " --out " + out.string(),
        &output);
    EXPECT_EQ(code, 0) << output;
  };
  run(dir / "p.toml", dir / "first");
  run(dir / "first/pipeline.resolved.toml", dir / "again");
  std::ifstream a(dir / "first/checkpoints/final.pt", std::ios::binary);
  std::ifstream b(dir / "again/checkpoints/final.pt", std::ios::binary);
  const std::string first((std::istreambuf_iterator<char>(a)), {});
  const std::string again((std::istreambuf_iterator<char>(b)), {});
  EXPECT_FALSE(first.empty());
  EXPECT_TRUE(first == again) << "the rerun trained other weights";
}

}  // namespace
}  // namespace gear::e2e

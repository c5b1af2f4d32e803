#include <gtest/gtest.h>

#include "gear/architecture.h"
#include "gear/host/checkpoint.h"
#include "test_support.h"

namespace gear::host {
namespace {

TEST(Checkpoint, GrownNetRebuildsFromRecordedWidths) {
  const auto& registry = test::real_plugins();
  auto arch = registry.create<Architecture>(
      "vgg11", test::make_config(registry.find("vgg11")->info.schema, {}, "model"));
  ModelSpec spec{{1, 28, 28}, 10, 0.125, {}};
  auto net = arch->build(spec);
  net->duplicate("conv2", {0, 1, 1});
  net->widen("conv5", 5);
  auto path = test::temp_dir("ckpt") / "last.pt";
  CheckpointMeta meta{"vgg11", {1, 28, 28}, 10, net->group_names(), net->widths(), 2, 7, 0.5};
  save_checkpoint(*net, meta, path);

  CheckpointMeta read = read_checkpoint_meta(path);
  EXPECT_EQ(read.architecture, "vgg11");
  EXPECT_EQ(read.widths, net->widths());
  EXPECT_EQ(read.groups, net->group_names());
  EXPECT_EQ(read.epoch, 7);
  EXPECT_DOUBLE_EQ(read.val_accuracy, 0.5);

  ModelSpec grown = spec;
  grown.widths = read.widths;
  auto rebuilt = arch->build(grown);
  load_checkpoint_tensors(*rebuilt, path);
  torch::NoGradGuard no_grad;
  net->eval();
  rebuilt->eval();
  auto x = torch::randn({3, 1, 28, 28});
  EXPECT_TRUE(torch::equal(net->forward(x), rebuilt->forward(x)));
  // A net of the wrong widths is refused with the tensor named.
  auto wrong = arch->build(spec);
  try {
    load_checkpoint_tensors(*wrong, path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has shape"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gear::host

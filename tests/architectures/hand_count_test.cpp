// Parameter and MAC counts of one small configuration per architecture, written out by hand
// (k*k*in*out per conv, 2 per BatchNorm channel, output pixels times that per MAC), and the
// full-size references against published counts.

#include <gtest/gtest.h>

#include "test_support.h"

namespace gear::plugins::architectures {
namespace {

int64_t conv(int64_t k, int64_t in, int64_t out) { return k * k * in * out; }
int64_t bn(int64_t c) { return 2 * c; }

TEST(ResNet18, ParamsAndMacsMatchHandCount) {
  // Groups: stage1, stage1.block0, stage1.block1, stage2, ..., stage4.block1.
  auto net = test::build_net("resnet18", {1, 8, 8}, 1.0, {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
  // Stem and stage 1 at 8x8; stages 2-4 open with stride 2: 4x4, 2x2, 1x1.
  const int64_t params =
      conv(3, 1, 2) + bn(2) +                                                  // stem
      conv(3, 2, 3) + bn(3) + conv(3, 3, 2) + bn(2) +                          // stage1.block0
      conv(3, 2, 4) + bn(4) + conv(3, 4, 2) + bn(2) +                          // stage1.block1
      conv(3, 2, 6) + bn(6) + conv(3, 6, 5) + bn(5) + conv(1, 2, 5) + bn(5) +  // stage2.block0
      conv(3, 5, 7) + bn(7) + conv(3, 7, 5) + bn(5) +                          // stage2.block1
      conv(3, 5, 9) + bn(9) + conv(3, 9, 8) + bn(8) + conv(1, 5, 8) + bn(8) +  // stage3.block0
      conv(3, 8, 10) + bn(10) + conv(3, 10, 8) + bn(8) +                       // stage3.block1
      conv(3, 8, 12) + bn(12) + conv(3, 12, 11) + bn(11) + conv(1, 8, 11) + bn(11) +
      conv(3, 11, 13) + bn(13) + conv(3, 13, 11) + bn(11) +  // stage4
      11 * 10 + 10;                                          // classifier
  EXPECT_EQ(net->params(), params);
  const int64_t macs =
      64 * (conv(3, 1, 2) + conv(3, 2, 3) + conv(3, 3, 2) + conv(3, 2, 4) + conv(3, 4, 2)) +
      16 * (conv(3, 2, 6) + conv(3, 6, 5) + conv(1, 2, 5) + conv(3, 5, 7) + conv(3, 7, 5)) +
      4 * (conv(3, 5, 9) + conv(3, 9, 8) + conv(1, 5, 8) + conv(3, 8, 10) + conv(3, 10, 8)) +
      1 * (conv(3, 8, 12) + conv(3, 12, 11) + conv(1, 8, 11) + conv(3, 11, 13) + conv(3, 13, 11)) +
      11 * 10;
  EXPECT_EQ(net->macs({1, 8, 8}), macs);
}

TEST(ResNet18, FullSizeIsTheElevenMillionParameterCifarModel) {
  auto net = test::build_net("resnet18", {3, 32, 32}, 1.0);
  EXPECT_EQ(net->params(), 11173962);            // the well-known CIFAR ResNet-18 count
  EXPECT_EQ(net->macs({3, 32, 32}), 555422720);  // convolutions and classifier, 0.56 G
  EXPECT_EQ(net->groups().size(), 12u);
}

TEST(ResNet18, SixtyFourPixelInputsHalveInTheStem) {
  auto cifar = test::build_net("resnet18", {3, 32, 32}, 0.25);
  auto tiny = test::build_net("resnet18", {3, 64, 64}, 0.25);
  // The stride-2 stem gives the stages the 32x32 feature maps of CIFAR: same cost.
  EXPECT_EQ(tiny->macs({3, 64, 64}), cifar->macs({3, 32, 32}));
}

TEST(MobileNetV1, ParamsAndMacsMatchHandCount) {
  // Widths: stem 2, block i = i + 2. Strides 1,2,1,2,1,2,1,1,1,1,1,2,1 on an 8x8 input give
  // block output sizes 8,4,4,2,2,1,1,1,1,1,1,1,1 (a stride-2 3x3 on 1x1 stays 1x1).
  std::vector<int64_t> widths = {2};
  for (int64_t i = 1; i <= 13; ++i) widths.push_back(i + 2);
  auto net = test::build_net("mobilenet_v1", {1, 8, 8}, 1.0, widths);
  const std::vector<int64_t> pixels = {64, 16, 16, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1};
  int64_t params = conv(3, 1, 2) + bn(2), macs = 64 * conv(3, 1, 2);
  for (int64_t i = 1; i <= 13; ++i) {
    const int64_t in = widths[i - 1], out = widths[i];
    params += 9 * in + bn(in) + conv(1, in, out) + bn(out);  // depthwise, pointwise
    macs += pixels[i - 1] * (9 * in + conv(1, in, out));
  }
  params += 15 * 10 + 10;
  macs += 15 * 10;
  EXPECT_EQ(net->params(), params);
  EXPECT_EQ(net->macs({1, 8, 8}), macs);
}

TEST(MobileNetV1, FullSizeMatchesTheCifarModelAndDeclaresFireflysTwoSets) {
  auto net = test::build_net("mobilenet_v1", {3, 32, 32}, 1.0);
  EXPECT_EQ(net->params(), 3217226);
  std::vector<std::string> early;
  for (const auto& g : net->groups()) {
    EXPECT_TRUE(g.growable) << g.name;
    if (g.set == "early")
      early.push_back(g.name);
    else
      EXPECT_EQ(g.set, "late") << g.name;
  }
  EXPECT_EQ(early, (std::vector<std::string>{"stem", "block1", "block2", "block3"}));
  EXPECT_EQ(net->groups().size(), 14u);
}

TEST(MobileNetV2, ParamsAndMacsMatchHandCount) {
  // All 25 groups at width 4 on a 3x8x8 input. Blocks: 0 (no expansion), then 16 blocks of
  // expand 1x1 (4->4), depthwise 3x3, project 1x1 (4->4); strides 2 at blocks 3, 6 and 13.
  auto net = test::build_net("mobilenet_v2", {3, 8, 8}, 1.0, std::vector<int64_t>(25, 4));
  const int64_t expand_block = conv(1, 4, 4) + bn(4) + 9 * 4 + bn(4) + conv(1, 4, 4) + bn(4);
  const int64_t params = conv(3, 3, 4) + bn(4) +                  // stem
                         9 * 4 + bn(4) + conv(1, 4, 4) + bn(4) +  // block 0
                         16 * expand_block +                      // blocks 1-16
                         conv(1, 4, 4) + bn(4) +                  // head
                         4 * 10 + 10;                             // classifier
  EXPECT_EQ(net->params(), params);
  // An expanding block costs 16 MACs per input pixel (expand) and 36 + 16 per output pixel.
  auto block = [](int64_t in_pixels, int64_t out_pixels) {
    return in_pixels * 16 + out_pixels * 52;
  };
  const int64_t macs = 64 * conv(3, 3, 4) + 64 * (36 + 16) +              // stem, block 0
                       block(64, 64) * 2 + block(64, 16) +                // blocks 1-3
                       block(16, 16) * 2 + block(16, 4) +                 // blocks 4-6
                       block(4, 4) * 6 + block(4, 1) + block(1, 1) * 3 +  // blocks 7-16
                       16 + 40;                                           // head, classifier
  EXPECT_EQ(macs, 25448);
  EXPECT_EQ(net->macs({3, 8, 8}), macs);
}

TEST(MobileNetV2, FullSizeMatchesTorchvisionAndTiesEachStagesStream) {
  auto net = test::build_net("mobilenet_v2", {3, 32, 32}, 1.0);
  // torchvision's mobilenet_v2 has 3504872 parameters for 1000 classes: 1281 per class.
  EXPECT_EQ(net->params(), 3504872 - 1281 * 990);
  int producers = 0;
  for (const auto& m : net->group("stage4").members) producers += m.kind == TieKind::kProducer;
  EXPECT_EQ(producers, 4);  // the four project convs of the 64-channel stage
  EXPECT_EQ(net->width("block1.expand"), 96);
  EXPECT_EQ(net->width("head"), 1280);
}

}  // namespace
}  // namespace gear::plugins::architectures

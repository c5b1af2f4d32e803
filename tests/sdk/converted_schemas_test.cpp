// The components converted to OptionBinder declare exactly what they declared before: the
// schemas written out by hand below are the ones the binders replaced (names, order, types,
// defaults, bounds, choices, docs), and reading gives what the constructors used to read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../growth_strategies/net2wider/net2wider_strategy.h"
#include "../../growth_strategies/osg/osg_strategy.h"
#include "../../growth_strategies/random/random_strategy.h"
#include "augmix_augmentation.h"
#include "augmix_ops.h"
#include "gear/host/toml_config.h"
#include "random_crop.h"

namespace gear::plugins {
namespace {

using augmentations::AugMixAugmentation;
using augmentations::AugMixOptions;
using augmentations::era_options;
using augmentations::kAutoPadding;
namespace ops = augmentations::ops;

// The schema every growth strategy started from (growth_schema(0.9)).
OptionSchema legacy_growth_schema() {
  return OptionSchema()
      .add_float("gamma", 0.9,
                 "growth ratio: new channels = floor(gamma * sum of the grown groups' widths)")
      .range(0.0, 16.0)
      .add_string_list("groups", {}, "channel groups to grow; empty = every growable group");
}

OptionSchema legacy_osg_schema() {
  return legacy_growth_schema()
      .add_int("candidates", 70, "fresh candidate channels per group (Firefly's K)")
      .at_least(0)
      .add_int("epochs", 1, "epochs of candidate training before the scoring pass")
      .at_least(0)
      .add_int("batches", 0,
               "batches per candidate epoch and scoring pass (0 = the whole training split)")
      .at_least(0)
      .add_float("lr", 1e-3, "RMSprop learning rate of the candidate phase")
      .range(0.0, 1.0)
      .add_float("momentum", 0.1, "RMSprop momentum of the candidate phase")
      .range(0.0, 1.0)
      .add_float("alpha", 0.9, "RMSprop smoothing constant of the candidate phase")
      .range(0.0, 1.0)
      .add_float("penalty", 1e-2, "L2 penalty on the split directions v")
      .at_least(0.0)
      .add_float("fresh_penalty", 1e-2, "L2 penalty on fresh incoming weights, relative to penalty")
      .at_least(0.0)
      .add_float("split_init", 0.1, "split directions start U(-split_init, split_init)")
      .at_least(0.0)
      .add_float("fresh_in_init", 0.1, "fresh incoming weights start N(0, fresh_in_init^2)")
      .at_least(0.0)
      .add_float("fresh_out_init", 0.01, "fresh outgoing weights start U(-x, x)")
      .at_least(0.0)
      // Added after the conversion (tap scoring); declared once, in the binder, like the rest.
      .add_bool("tap_scores", true,
                "score the groups whose channels come from one producer and norm from the "
                "activations and gradients at their taps (the same scores, without weight "
                "gradients); false: every group from its weight gradients")
      .add_bool("average_pairs", true,
                "where the architecture has a consumer tap for a group, its consumers read each "
                "split pair's mean, as Firefly's forward does (the same candidate network and "
                "gradients, C + K instead of 2C + K input channels); false: both children, half a "
                "column each");
}

OptionSchema legacy_random_schema() {
  return legacy_growth_schema()
      .add_float("fresh_in_init", 0.1, "new incoming weights N(0, fresh_in_init^2)")
      .at_least(0.0)
      .add_float("fresh_out_init", 0.01, "new outgoing weights U(-x, x)")
      .at_least(0.0);
}

OptionSchema legacy_net2wider_schema() {
  return legacy_growth_schema()
      .add_float(
          "noise", 0.01,
          "noise added to a copy's incoming weights, as a fraction of the layer's weight std")
      .at_least(0.0);
}

OptionSchema legacy_augmix_schema(const AugMixOptions& d) {
  return OptionSchema()
      .add_int("width", d.width, "mixture width W: augmentation chains mixed per view")
      .range(1, 16)
      .add_int("depth", d.depth,
               "mixture depth D: ops per chain; -1 draws 1, 2 or 3 per chain (AugMix's default)")
      .range(-1, 16)
      .add_float("severity", d.severity,
                 "op levels are drawn from U(0.1, severity); ERA reads the paper's J = 4 as this")
      .range(0.1, 10.0)
      .add_float("alpha", d.alpha, "Dirichlet chain weights and Beta skip-share coefficient")
      .range(1e-3, 1e3)
      .add_bool("all_ops", d.all_ops,
                "add the enhance ops (color, contrast, brightness, sharpness), which overlap the "
                "test corruptions")
      .add_string_list("ops", {},
                       "explicit op set (names as in gear.ops); empty: the 9 default ops, or all "
                       "13 with all_ops")
      .one_of(ops::augmix_op_names())
      .add_bool("jsd", d.jsd,
                "Jensen-Shannon consistency: the clean view and `views` augmented views go "
                "through one forward pass; off: train on one augmented view")
      .add_float("jsd_lambda", d.jsd_lambda, "weight of the Jensen-Shannon term")
      .at_least(0.0)
      .add_int("views", d.views, "augmented views per sample when jsd is on")
      .range(1, 8)
      .add_int("padding", d.padding,
               "zero padding of the random crop that precedes mixing; -1 = an eighth of the "
               "image side (4 px at 28 and 32 px, 8 px at 64 px)")
      .at_least(kAutoPadding)
      .add_bool("crop", d.crop, "random crop, shared by the clean and augmented views")
      .add_bool("flip", d.flip, "random horizontal flip, shared by all views");
}

// Every field of every declaration, in order.
void expect_same_schema(const OptionSchema& actual, const OptionSchema& expected) {
  ASSERT_EQ(actual.options().size(), expected.options().size());
  for (size_t i = 0; i < expected.options().size(); ++i) {
    const OptionSpec& a = actual.options()[i];
    const OptionSpec& e = expected.options()[i];
    EXPECT_EQ(a.name, e.name) << i;
    EXPECT_EQ(a.type, e.type) << e.name;
    ASSERT_EQ(a.default_value.has_value(), e.default_value.has_value()) << e.name;
    if (e.default_value) {
      EXPECT_EQ(*a.default_value, *e.default_value) << e.name;
    }
    EXPECT_EQ(a.min, e.min) << e.name;
    EXPECT_EQ(a.max, e.max) << e.name;
    EXPECT_EQ(a.choices, e.choices) << e.name;
    EXPECT_EQ(a.doc, e.doc) << e.name;
  }
}

std::vector<std::string> names_of(const OptionSchema& schema) {
  std::vector<std::string> names;
  for (const auto& option : schema.options()) names.push_back(option.name);
  return names;
}

Config parse_stage(const std::string& text, const OptionSchema& schema) {
  toml::table table = toml::parse(text, std::string_view("stage.toml"));
  return host::config_from_table(table, "stage.1", schema, "stage.toml");
}

TEST(ConvertedSchemas, OsgDeclaresTheSameOptionsInTheSameOrder) {
  EXPECT_EQ(
      names_of(growth::OsgStrategy::schema()),
      (std::vector<std::string>{"gamma", "groups", "candidates", "epochs", "batches", "lr",
                                "momentum", "alpha", "penalty", "fresh_penalty", "split_init",
                                "fresh_in_init", "fresh_out_init", "tap_scores", "average_pairs"}));
  expect_same_schema(growth::OsgStrategy::schema(), legacy_osg_schema());
}

TEST(ConvertedSchemas, RandomAndNet2WiderDeclareTheSameOptions) {
  expect_same_schema(growth::RandomStrategy::schema(), legacy_random_schema());
  expect_same_schema(growth::Net2WiderStrategy::schema(), legacy_net2wider_schema());
}

TEST(ConvertedSchemas, OsgReadsEveryOption) {
  const growth::OsgOptions o = growth::OsgStrategy::binder().read(parse_stage(
      "gamma = 1.25\ngroups = [\"b\"]\ncandidates = 11\nepochs = 2\nbatches = 3\nlr = 0.5\n"
      "momentum = 0.25\nalpha = 0.75\npenalty = 0.125\nfresh_penalty = 0.0625\n"
      "split_init = 0.2\nfresh_in_init = 0.3\nfresh_out_init = 0.4\ntap_scores = false\n"
      "average_pairs = false\n",
      growth::OsgStrategy::schema()));
  EXPECT_EQ(o.growth.gamma, 1.25);
  EXPECT_EQ(o.growth.groups, (std::vector<std::string>{"b"}));
  EXPECT_EQ(o.candidates, 11);
  EXPECT_EQ(o.epochs, 2);
  EXPECT_EQ(o.batches, 3);
  EXPECT_EQ(o.lr, 0.5);
  EXPECT_EQ(o.momentum, 0.25);
  EXPECT_EQ(o.alpha, 0.75);
  EXPECT_EQ(o.penalty, 0.125);
  EXPECT_EQ(o.fresh_penalty, 0.0625);
  EXPECT_EQ(o.init.split, 0.2);
  EXPECT_EQ(o.init.fresh_in, 0.3);
  EXPECT_EQ(o.init.fresh_out, 0.4);
  EXPECT_FALSE(o.tap_scores);
  EXPECT_FALSE(o.average_pairs);
}

TEST(ConvertedSchemas, RandomAndNet2WiderReadTheirOptions) {
  const growth::RandomOptions r = growth::RandomStrategy::binder().read(
      parse_stage("gamma = 2.0\nfresh_in_init = 0.5\nfresh_out_init = 0.25\n",
                  growth::RandomStrategy::schema()));
  EXPECT_EQ(r.growth.gamma, 2.0);
  EXPECT_EQ(r.fresh_in, 0.5);
  EXPECT_EQ(r.fresh_out, 0.25);
  const growth::Net2WiderOptions n = growth::Net2WiderStrategy::binder().read(
      parse_stage("groups = [\"a\"]\nnoise = 0.5\n", growth::Net2WiderStrategy::schema()));
  EXPECT_EQ(n.growth.gamma, 0.9);
  EXPECT_EQ(n.growth.groups, (std::vector<std::string>{"a"}));
  EXPECT_EQ(n.noise, 0.5);
}

TEST(ConvertedSchemas, GrowthOptionsAreValidatedAsBefore) {
  const ConfigError e = [] {
    try {
      parse_stage("gamma = 17.0\n", growth::OsgStrategy::schema());
    } catch (const ConfigError& error) {
      return error;
    }
    return ConfigError({}, "", "no error");
  }();
  EXPECT_EQ(e.key(), "stage.1.gamma");
}

TEST(ConvertedSchemas, AugMixAndEraDeclareTheSameOptions) {
  expect_same_schema(AugMixAugmentation::schema(), legacy_augmix_schema(AugMixOptions{}));
  expect_same_schema(AugMixAugmentation::schema(era_options()),
                     legacy_augmix_schema(era_options()));
  // The preset changes the defaults.
  const OptionSchema era = AugMixAugmentation::schema(era_options());
  EXPECT_EQ(*era.find("width")->default_value, Value(int64_t{1}));
  EXPECT_EQ(*era.find("depth")->default_value, Value(int64_t{3}));
  EXPECT_EQ(*era.find("severity")->default_value, Value(4.0));
}

TEST(ConvertedSchemas, AugMixReadsEveryOption) {
  AugMixAugmentation augmix(
      parse_stage("width = 2\ndepth = 4\nseverity = 5.0\nalpha = 0.5\nall_ops = true\n"
                  "ops = [\"rotate\", \"autocontrast\"]\njsd = false\njsd_lambda = 6.0\nviews = 3\n"
                  "padding = 2\ncrop = false\nflip = false\n",
                  AugMixAugmentation::schema()));
  const AugMixOptions& o = augmix.options();
  EXPECT_EQ(o.width, 2);
  EXPECT_EQ(o.depth, 4);
  EXPECT_EQ(o.severity, 5.0);
  EXPECT_EQ(o.alpha, 0.5);
  EXPECT_TRUE(o.all_ops);
  EXPECT_EQ(o.ops, (std::vector<int64_t>{static_cast<int64_t>(ops::augmix_op("rotate")),
                                         static_cast<int64_t>(ops::augmix_op("autocontrast"))}));
  EXPECT_FALSE(o.jsd);
  EXPECT_EQ(o.jsd_lambda, 6.0);
  EXPECT_EQ(o.views, 3);
  EXPECT_EQ(o.padding, 2);
  EXPECT_FALSE(o.crop);
  EXPECT_FALSE(o.flip);
}

TEST(ConvertedSchemas, EraReadsItsPresetFromAnEmptyTable) {
  AugMixAugmentation era(parse_stage("", AugMixAugmentation::schema(era_options())));
  EXPECT_EQ(era.options().width, 1);
  EXPECT_EQ(era.options().depth, 3);
  EXPECT_EQ(era.options().severity, 4.0);
  EXPECT_EQ(era.options().ops.size(), static_cast<size_t>(ops::kDefaultOpCount));
}

TEST(ConvertedSchemas, AugMixDepthZeroFailsAtTheDepthOption) {
  const Config config = parse_stage("width = 1\ndepth = 0\n", AugMixAugmentation::schema());
  try {
    AugMixAugmentation augmix(config);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "stage.1.depth");
    EXPECT_EQ(e.message(), "must be -1 (1, 2 or 3 ops per chain) or at least 1");
    EXPECT_EQ(e.where().line, 2);
  }
}

}  // namespace
}  // namespace gear::plugins

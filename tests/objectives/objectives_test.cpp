// The objectives plugin's losses against their definitions, and how the host picks and runs
// them: "auto", attribution of errors, and a split batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gear/host/plugin_error.h"
#include "gear/host/stage_objective.h"
#include "gear/host/trainer.h"
#include "gear/objective.h"
#include "test_support.h"

namespace gear {
namespace {

std::shared_ptr<Objective> make(const std::string& name,
                                const std::vector<std::pair<std::string, Value>>& values = {}) {
  const host::Registry& r = test::real_plugins();
  return r.create<Objective>(name, test::make_config(r.find(name)->info.schema, values, "o"));
}

// A net that returns its input's first `classes` features as logits: the loss then depends on
// the views alone, so expected values can be computed by hand.
class Passthrough final : public GrowableNet {
 public:
  torch::Tensor forward(torch::Tensor input) override {
    ++calls;
    last_rows = input.size(0);
    return input.flatten(1);
  }
  int calls = 0;
  int64_t last_rows = 0;
};

// Cross-entropy with smoothing eps over K classes, from its definition:
// mean_i [ -(1 - eps) log p_i[y_i] - eps / K * sum_k log p_i[k] ].
double smoothed_ce(const torch::Tensor& logits, const torch::Tensor& labels, double eps) {
  torch::Tensor logp = logits.log_softmax(1);
  const double k = static_cast<double>(logits.size(1));
  torch::Tensor nll = -logp.gather(1, labels.unsqueeze(1)).squeeze(1);
  torch::Tensor uniform = -logp.sum(1) / k;
  return ((1.0 - eps) * nll + eps * uniform).mean().item<double>();
}

// JS = mean over views of KL(p_v || M), M the mean of the views' softmaxes.
double js_definition(const std::vector<torch::Tensor>& logits) {
  std::vector<torch::Tensor> p;
  for (const auto& l : logits) p.push_back(l.softmax(1));
  torch::Tensor m = torch::stack(p).mean(0);
  double total = 0.0;
  for (const auto& q : p) total += (q * (q.log() - m.log())).sum(1).mean().item<double>();
  return total / static_cast<double>(p.size());
}

TEST(CrossEntropyObjective, MatchesTheSmoothedDefinitionOnTheFirstViewOnly) {
  torch::manual_seed(1);
  ObjectiveBatch batch{{torch::randn({6, 5}), torch::randn({6, 5})}, torch::randint(0, 5, {6}), 3};
  Passthrough net;
  ObjectiveValue value =
      make("cross_entropy", {{"label_smoothing", Value(0.2)}})->compute(net, batch);
  EXPECT_NEAR(value.loss.item<double>(), smoothed_ce(batch.views[0], batch.labels, 0.2), 1e-6);
  EXPECT_EQ(net.last_rows, 6);  // the second view is not run
  EXPECT_TRUE(torch::equal(value.logits, batch.views[0]));
  EXPECT_TRUE(value.figures.empty());
}

TEST(JsdObjective, IsCrossEntropyPlusLambdaTimesJensenShannonInOnePass) {
  torch::manual_seed(2);
  ObjectiveBatch batch{{torch::randn({4, 5}), torch::randn({4, 5}), torch::randn({4, 5})},
                       torch::randint(0, 5, {4}),
                       12.0};
  Passthrough net;
  ObjectiveValue value = make("jsd", {{"label_smoothing", Value(0.1)}})->compute(net, batch);
  const double ce = smoothed_ce(batch.views[0], batch.labels, 0.1);
  const double js = js_definition(batch.views);
  EXPECT_NEAR(value.loss.item<double>(), ce + 12.0 * js, 1e-5);
  EXPECT_EQ(net.calls, 1);
  EXPECT_EQ(net.last_rows, 12);  // all views in one forward pass
  EXPECT_NEAR(value.figures.at("ce").item<double>(), ce, 1e-6);
  EXPECT_NEAR(value.figures.at("jsd").item<double>(), js, 1e-6);
  EXPECT_TRUE(torch::equal(value.logits, batch.views[0]));
  // Identical views agree perfectly: no consistency term.
  ObjectiveBatch same{{batch.views[0], batch.views[0]}, batch.labels, 12.0};
  EXPECT_NEAR(make("jsd")->compute(net, same).figures.at("jsd").item<double>(), 0.0, 1e-7);
}

TEST(JsdObjective, ItsOwnLambdaOverridesTheAugmentationsAndOneViewIsRefused) {
  torch::manual_seed(3);
  ObjectiveBatch batch{
      {torch::randn({4, 3}), torch::randn({4, 3})}, torch::randint(0, 3, {4}), 12.0};
  Passthrough net;
  const double ce = smoothed_ce(batch.views[0], batch.labels, 0.0);
  const double js = js_definition(batch.views);
  EXPECT_NEAR(make("jsd", {{"lambda", Value(2.0)}})->compute(net, batch).loss.item<double>(),
              ce + 2.0 * js, 1e-5);
  ObjectiveBatch single{{batch.views[0]}, batch.labels, 0.0};
  EXPECT_THROW(make("jsd")->compute(net, single), std::invalid_argument);
}

host::StageSpec train_stage_with(const std::string& objective_toml) {
  const auto file = test::pipeline_file("[[stage]]\nkind = \"train\"\n" + objective_toml);
  return host::read_pipeline(file, {}, test::real_plugins()).stages.at(0);
}

TEST(AutoObjective, IsJsdForConsistencyBatchesAndCrossEntropyOtherwise) {
  const host::StageSpec stage =
      train_stage_with("objective = { name = \"auto\", label_smoothing = 0.1 }\n");
  EXPECT_EQ(stage.objective.name, "auto");
  auto objective = host::stage_objective(stage, test::real_plugins());
  torch::manual_seed(4);
  Passthrough net;
  ObjectiveBatch plain{{torch::randn({4, 3})}, torch::randint(0, 3, {4}), 0.0};
  EXPECT_NEAR(objective->compute(net, plain).loss.item<double>(),
              smoothed_ce(plain.views[0], plain.labels, 0.1), 1e-6);
  ObjectiveBatch views{{plain.views[0], torch::randn({4, 3})}, plain.labels, 5.0};
  EXPECT_NEAR(objective->compute(net, views).loss.item<double>(),
              smoothed_ce(views.views[0], views.labels, 0.1) + 5.0 * js_definition(views.views),
              1e-5);
  // Several views without a consistency weight: plain cross-entropy on the first.
  ObjectiveBatch unweighted{views.views, views.labels, 0.0};
  EXPECT_NEAR(objective->compute(net, unweighted).loss.item<double>(),
              smoothed_ce(views.views[0], views.labels, 0.1), 1e-6);
}

TEST(StageObjective, DefaultsToAutoAndOldLabelSmoothingKeyIsRedirected) {
  EXPECT_EQ(train_stage_with("").objective.name, "auto");
  const ConfigError error =
      test::expect_pipeline_error("[[stage]]\nkind = \"train\"\nlabel_smoothing = 0.1\n");
  EXPECT_EQ(error.key(), "stage.0.label_smoothing");
  EXPECT_NE(error.message().find("objective"), std::string::npos) << error.what();
  const ConfigError unknown =
      test::expect_pipeline_error("[[stage]]\nkind = \"train\"\nobjective = \"cross_entropi\"\n");
  EXPECT_EQ(unknown.key(), "stage.0.objective");
  EXPECT_NE(unknown.message().find("did you mean 'cross_entropy'"), std::string::npos)
      << unknown.what();
  const ConfigError option = test::expect_pipeline_error(
      "[[stage]]\nkind = \"train\"\nobjective = { name = \"jsd\", lambda = -3.0 }\n");
  EXPECT_EQ(option.key(), "stage.0.objective.lambda");
}

TEST(StageObjective, AnErrorInsideTheLossNamesTheObjectiveAndTheStage) {
  const host::StageSpec stage = train_stage_with("objective = \"jsd\"\n");
  auto objective = host::stage_objective(stage, test::real_plugins(), "vgg11");
  Passthrough net;
  ObjectiveBatch single{{torch::randn({2, 3})}, torch::randint(0, 3, {2}), 0.0};
  try {
    objective->compute(net, single);
    FAIL() << "a one-view batch must be refused";
  } catch (const host::PluginError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("plugin 'jsd'"), std::string::npos) << what;
    EXPECT_NE(what.find("stage 0"), std::string::npos) << what;
    EXPECT_NE(what.find("architecture 'vgg11'"), std::string::npos) << what;
  }
}

// KL(P || Q) of the softmaxes, from the definition: mean_i sum_k p log(p / q).
double kl_definition(const torch::Tensor& p_logits, const torch::Tensor& q_logits) {
  torch::Tensor p = p_logits.softmax(1), q = q_logits.softmax(1);
  return (p * (p / q).log()).sum(1).mean().item<double>();
}

// views: clean, one augmentation view, then `device` device views.
ObjectiveBatch device_batch(int device, uint64_t seed) {
  torch::manual_seed(seed);
  ObjectiveBatch batch;
  for (int v = 0; v < 2 + device; ++v) batch.views.push_back(torch::randn({5, 4}));
  batch.labels = torch::randint(0, 4, {5});
  batch.device_views = device;
  return batch;
}

TEST(StabilityObjective, IsCleanCrossEntropyPlusAlphaTimesKlToTheDeviceView) {
  ObjectiveBatch batch = device_batch(1, 3);
  Passthrough net;
  auto objective = make("stability", {{"alpha", Value(0.7)}});
  EXPECT_EQ(objective->device_views(), 1);
  ObjectiveValue value = objective->compute(net, batch);
  // The device view is the last one, not the augmentation's second view.
  const double expected = smoothed_ce(batch.views[0], batch.labels, 0.0) +
                          0.7 * kl_definition(batch.views[0], batch.views[2]);
  EXPECT_NEAR(value.loss.item<double>(), expected, 1e-5);
  EXPECT_EQ(net.calls, 1);  // one pass over the clean and the device view
  EXPECT_EQ(net.last_rows, 10);
  EXPECT_TRUE(torch::allclose(value.logits, batch.views[0]));
  EXPECT_NEAR(value.figures.at("stability").item<double>(),
              kl_definition(batch.views[0], batch.views[2]), 1e-5);
}

TEST(StabilityObjective, PairwiseComparesTwoDeviceViewsAndJsIsSymmetric) {
  ObjectiveBatch batch = device_batch(2, 4);
  Passthrough net;
  auto pairwise = make("stability", {{"pairs", Value(std::string("pairwise"))}});
  EXPECT_EQ(pairwise->device_views(), 2);
  EXPECT_NEAR(pairwise->compute(net, batch).loss.item<double>(),
              smoothed_ce(batch.views[0], batch.labels, 0.0) +
                  kl_definition(batch.views[2], batch.views[3]),
              1e-5);
  auto js = make("stability", {{"pairs", Value(std::string("pairwise"))},
                               {"divergence", Value(std::string("js"))},
                               {"alpha", Value(2.0)}});
  EXPECT_NEAR(js->compute(net, batch).loss.item<double>(),
              smoothed_ce(batch.views[0], batch.labels, 0.0) +
                  2.0 * js_definition({batch.views[2], batch.views[3]}),
              1e-5);
}

TEST(StabilityObjective, RefusesABatchWithoutItsDeviceViews) {
  Passthrough net;
  EXPECT_THROW(make("stability")->compute(net, device_batch(0, 5)), std::invalid_argument);
  EXPECT_THROW(make("stability", {{"pairs", Value(std::string("pairwise"))}})
                   ->compute(net, device_batch(1, 5)),
               std::invalid_argument);
}

// A tiny linear net in double precision, so a finite difference resolves the gradient.
class TinyLinear final : public GrowableNet {
 public:
  TinyLinear() {
    torch::manual_seed(9);
    weight = register_parameter("weight", torch::randn({3, 4}, torch::kDouble) * 0.5);
  }
  torch::Tensor forward(torch::Tensor input) override { return input.matmul(weight.t()); }
  torch::Tensor weight;
};

TEST(StabilityObjective, ItsGradientMatchesAFiniteDifference) {
  for (const char* divergence : {"kl", "js"}) {
    TinyLinear net;
    torch::manual_seed(2);
    ObjectiveBatch batch;
    batch.views = {torch::randn({6, 4}, torch::kDouble), torch::randn({6, 4}, torch::kDouble)};
    batch.labels = torch::randint(0, 3, {6});
    batch.device_views = 1;
    auto objective =
        make("stability", {{"alpha", Value(1.5)}, {"divergence", Value(std::string(divergence))}});
    torch::Tensor loss = objective->compute(net, batch).loss;
    loss.backward();
    torch::Tensor analytic = net.weight.grad().clone();
    const double h = 1e-6;
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = 0; j < 4; ++j) {
        torch::NoGradGuard no_grad;
        const double original = net.weight[i][j].item<double>();
        net.weight[i][j] = original + h;
        const double up = objective->compute(net, batch).loss.item<double>();
        net.weight[i][j] = original - h;
        const double down = objective->compute(net, batch).loss.item<double>();
        net.weight[i][j] = original;
        EXPECT_NEAR(analytic[i][j].item<double>(), (up - down) / (2 * h), 1e-6)
            << divergence << " weight " << i << "," << j;
      }
    }
  }
}

TEST(DeviceAugmentObjective, IsCrossEntropyOnTheDeviceViewAlone) {
  ObjectiveBatch batch = device_batch(1, 6);
  Passthrough net;
  auto objective = make("device_augment");
  EXPECT_EQ(objective->device_views(), 1);
  ObjectiveValue value = objective->compute(net, batch);
  EXPECT_NEAR(value.loss.item<double>(), smoothed_ce(batch.views[2], batch.labels, 0.0), 1e-6);
  EXPECT_EQ(net.last_rows, 5);
  EXPECT_THROW(objective->compute(net, device_batch(0, 6)), std::invalid_argument);
}

TEST(ComputeObjective, RefusesALossThatIsNotAScalar) {
  class Broken final : public Objective {
   public:
    ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
      ObjectiveValue v;
      v.logits = net.forward(batch.views[0]);
      v.loss = v.logits.sum(1);  // per sample, not the mean
      return v;
    }
  } broken;
  Passthrough net;
  host::Batch batch;
  batch.images = torch::randn({3, 4});
  batch.views = {batch.images};
  batch.labels = torch::randint(0, 4, {3});
  EXPECT_THROW(host::compute_objective(broken, net, batch), std::runtime_error);
}

}  // namespace
}  // namespace gear

#include "instability_evaluator.h"

#include <gear/text_match.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "instability_metrics.h"

namespace gear::plugins::instability {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Logits of each profile over the context's images, profile by profile in evaluation batches:
// the profile's steps (then the canonicaliser's, when given), then the net at its precision.
struct ProfileRun {
  torch::Tensor logits;  // [N, classes] on the CPU; undefined when the profile failed
  std::string error;
};

struct Timing {
  double apply = 0.0, inference = 0.0;
};

ProfileRun run_profile(EvaluationContext& context, const DeviceBank& bank, int64_t k,
                       int64_t canonical, uint64_t stream, Timing& timing) {
  const torch::Tensor& images = context.images();
  torch::Generator generator = context.make_generator(stream);
  torch::Generator canonical_generator = context.make_generator(stream + 0x5bd1e995ULL);
  std::vector<torch::Tensor> outputs;
  ProfileRun run;
  try {
    for (int64_t begin = 0; begin < images.size(0); begin += context.batch_size()) {
      const int64_t end = std::min(begin + context.batch_size(), images.size(0));
      auto start = Clock::now();
      torch::Tensor seen = bank.apply(k, images.slice(0, begin, end), generator);
      if (canonical >= 0) seen = bank.apply(canonical, seen, canonical_generator);
      timing.apply += seconds(start);
      start = Clock::now();
      outputs.push_back(context.logits(seen, bank.precision(k)).to(torch::kCPU));
      timing.inference += seconds(start);
    }
    run.logits = torch::cat(outputs);
  } catch (const std::exception& e) {
    run.error = e.what();
  }
  return run;
}

PredictionTable make_table(const std::vector<std::string>& names,
                           const std::vector<ProfileRun>& runs, const torch::Tensor& labels,
                           int64_t classes) {
  const int64_t n = labels.size(0);
  PredictionTable table;
  table.names = names;
  table.labels = labels.to(torch::kCPU);
  table.logits = torch::zeros({static_cast<int64_t>(runs.size()), n, classes});
  table.valid = torch::zeros({static_cast<int64_t>(runs.size()), n}, torch::kBool);
  for (size_t k = 0; k < runs.size(); ++k) {
    if (!runs[k].logits.defined()) continue;
    table.logits[static_cast<int64_t>(k)].copy_(runs[k].logits);
    table.valid[static_cast<int64_t>(k)].fill_(true);
  }
  return table;
}

void add_figures(EvaluationResult& result, const std::string& prefix, const InstabilityFigures& f) {
  result.metrics[prefix + "set_instability"] = f.set;
  result.metrics[prefix + "pairwise_mean"] = f.pairwise_mean;
  result.metrics[prefix + "pairwise_max"] = f.pairwise_max;
  result.metrics[prefix + "reference_instability"] = f.reference_mean;
  result.metrics[prefix + "reference_max"] = f.reference_max;
  result.metrics[prefix + "correctness_instability"] = f.correctness;
  result.metrics[prefix + "mean_kl"] = f.mean_kl;
  double sum = 0.0, lo = 1.0, hi = 0.0;
  for (double a : f.accuracy) sum += a, lo = std::min(lo, a), hi = std::max(hi, a);
  result.metrics[prefix + "accuracy_mean"] = sum / static_cast<double>(f.accuracy.size());
  result.metrics[prefix + "accuracy_min"] = lo;
  result.metrics[prefix + "accuracy_max"] = hi;
}

void add_tables(EvaluationResult& result, const std::string& prefix,
                const std::vector<std::string>& names, const InstabilityFigures& f) {
  for (size_t a = 0; a < names.size(); ++a) {
    auto& row = result.details[prefix + "pairwise." + names[a]];
    for (size_t b = 0; b < names.size(); ++b) row[names[b]] = f.pairwise[a][b];
    result.details[prefix + "profiles." + names[a]] = {
        {"accuracy", f.accuracy[a]}, {"against_reference", f.against_reference[a]}};
  }
}

}  // namespace

const OptionBinder<InstabilityOptions>& InstabilityEvaluator::binder() {
  static const OptionBinder<InstabilityOptions> binder = [] {
    using O = InstabilityOptions;
    OptionBinder<O> b;
    b.bind("profiles", &O::profiles,
           "the device profiles compared (at least two); empty: all but the canonicalisers");
    b.bind("reference", &O::reference,
           "the profile instability is measured against; empty: the first lossless one");
    b.bind("canonical", &O::canonical,
           "the canonicaliser of the test-time canonicalisation baseline, applied after each "
           "profile (canonical_* figures); empty: none. The default is skipped when the bank has "
           "no profile of that name");
    b.bind("missing", &O::missing,
           "an image a profile failed on: exclude it, or count it as unstable")
        .one_of({"exclude", "unstable"});
    b.bind("captures", &O::captures,
           "captures of each image per profile for temporal instability (1: none)")
        .range(1, 16);
    b.bind("variant_precisions", &O::variant_precisions,
           "precisions of this net compared with it in fp32 on the clean images, with the "
           "stage's variants")
        .one_of({"bf16", "fp16", "int8"});
    b.bind("write_csv", &O::write_csv, "write the per-image outcomes to <stage>.instability.csv");
    return b;
  }();
  return binder;
}

OptionSchema InstabilityEvaluator::schema() { return binder().schema(); }

InstabilityEvaluator::InstabilityEvaluator(const Config& options)
    : options_(binder().read(options)), config_(options) {}

EvaluationResult InstabilityEvaluator::evaluate(EvaluationContext& context) {
  const DeviceBank& bank = context.devices();
  auto unknown_profile = [&](const std::string& key, const std::string& name) {
    std::vector<std::string> all;
    for (int64_t k = 0; k < bank.size(); ++k) all.push_back(bank.name(k));
    config_.fail(key, "unknown device profile '" + name + "'" + suggestion_text(name, all));
  };
  std::vector<int64_t> chosen;
  if (options_.profiles.empty()) {
    for (int64_t k = 0; k < bank.size(); ++k)
      if (!bank.canonical(k)) chosen.push_back(k);
  } else {
    for (const auto& name : options_.profiles) {
      const int64_t k = bank.find(name);
      if (k < 0) unknown_profile("profiles", name);
      chosen.push_back(k);
    }
  }
  if (chosen.size() < 2)
    config_.fail("profiles", "instability compares at least two device profiles, got " +
                                 std::to_string(chosen.size()));
  std::vector<std::string> names;
  for (int64_t k : chosen) names.push_back(bank.name(k));
  int64_t reference = -1;
  if (!options_.reference.empty()) {
    auto it = std::find(names.begin(), names.end(), options_.reference);
    if (it == names.end())
      config_.fail("reference", "'" + options_.reference + "' is not among the compared profiles");
    reference = it - names.begin();
  } else {
    for (size_t i = 0; i < chosen.size() && reference < 0; ++i)
      if (bank.lossless(chosen[i])) reference = static_cast<int64_t>(i);
  }
  int64_t canonical = options_.canonical.empty() ? -1 : bank.find(options_.canonical);
  if (canonical < 0 && config_.given("canonical") && !options_.canonical.empty())
    unknown_profile("canonical", options_.canonical);
  const Missing missing = options_.missing == "unstable" ? Missing::kUnstable : Missing::kExclude;
  const torch::Tensor labels = context.labels().to(torch::kCPU);
  const std::vector<std::string> class_names = context.class_names();

  EvaluationResult result;
  Timing timing;
  std::vector<ProfileRun> runs;
  for (size_t i = 0; i < chosen.size(); ++i) {
    runs.push_back(run_profile(context, bank, chosen[i], -1, 1000 + chosen[i], timing));
    if (!runs.back().error.empty()) {
      context.log("device profile '" + names[i] + "' failed: " + runs.back().error);
      result.details["failed_profiles"][names[i]] = 1.0;
    }
  }
  // A profile that failed outright is left out (and listed); the others are compared.
  std::vector<std::string> kept_names;
  std::vector<ProfileRun> kept_runs;
  std::vector<int64_t> kept;
  int64_t kept_reference = -1;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].logits.defined()) continue;
    if (static_cast<int64_t>(i) == reference) kept_reference = static_cast<int64_t>(kept.size());
    kept_names.push_back(names[i]);
    kept_runs.push_back(runs[i]);
    kept.push_back(chosen[i]);
  }
  if (kept.size() < 2)
    throw std::runtime_error("fewer than two device profiles produced outputs (first error: " +
                             runs.front().error + ")");
  names = kept_names;
  chosen = kept;
  reference = kept_reference;
  runs = kept_runs;
  const int64_t classes = runs.front().logits.size(1);  // the net's head decides
  const PredictionTable table = make_table(names, runs, labels, classes);
  const InstabilityFigures figures = measure_instability(table, reference, missing, classes);
  add_figures(result, "", figures);
  add_tables(result, "", names, figures);
  result.metrics["flips_in_top5"] = figures.flips_in_top5;
  result.metrics["profiles"] = static_cast<double>(names.size());
  result.metrics["images"] = static_cast<double>(figures.images);
  for (int64_t c = 0; c < classes; ++c) {
    const std::string name = c < static_cast<int64_t>(class_names.size())
                                 ? class_names[c]
                                 : "class_" + std::to_string(c);
    result.details["class." + name] = figures.per_class[c];
  }
  context.log("set instability " + std::to_string(figures.set) + " over " +
              std::to_string(names.size()) + " profiles");

  if (canonical >= 0) {
    std::vector<ProfileRun> canonical_runs;
    Timing unused;
    for (int64_t k : chosen)
      canonical_runs.push_back(run_profile(context, bank, k, canonical, 1000 + k, unused));
    const InstabilityFigures f = measure_instability(
        make_table(names, canonical_runs, labels, classes), reference, missing, classes);
    add_figures(result, "canonical_", f);
    context.log("with canonicalisation ('" + bank.name(canonical) + "'): set instability " +
                std::to_string(f.set));
  }

  if (options_.captures > 1) {
    double sum = 0.0;
    for (size_t i = 0; i < chosen.size(); ++i) {
      std::vector<ProfileRun> captures;
      std::vector<std::string> capture_names;
      for (int64_t m = 0; m < options_.captures; ++m) {
        Timing unused;
        captures.push_back(
            run_profile(context, bank, chosen[i], -1, 1000 + chosen[i] + 7919 * m, unused));
        capture_names.push_back("capture_" + std::to_string(m));
      }
      const double set = measure_instability(make_table(capture_names, captures, labels, classes),
                                             -1, missing, classes)
                             .set;
      result.details["temporal"][names[i]] = set;
      sum += set;
    }
    result.metrics["temporal_instability"] = sum / static_cast<double>(chosen.size());
  }

  // Model variants on the same clean images: this net in fp32 (the reference), at the other
  // precisions, and the stage's other nets.
  std::vector<std::string> variant_names = {"fp32"};
  std::vector<ProfileRun> variant_runs(1);
  const auto clean_start = Clock::now();
  variant_runs[0].logits = context.logits(context.images(), Precision::kFp32).to(torch::kCPU);
  const double clean_pass = seconds(clean_start);
  for (const auto& p : options_.variant_precisions) {
    variant_names.push_back(p);
    variant_runs.push_back(
        {context.logits(context.images(), *precision_from_string(p)).to(torch::kCPU), ""});
  }
  for (const auto& v : context.variants()) {
    variant_names.push_back(v);
    variant_runs.push_back({context.variant_logits(v, context.images()).to(torch::kCPU), ""});
  }
  if (variant_runs.size() >= 2) {
    const InstabilityFigures f = measure_instability(
        make_table(variant_names, variant_runs, labels, classes), 0, missing, classes);
    add_figures(result, "variants_", f);
    add_tables(result, "variants_", variant_names, f);
  }

  // Before and after: against the stage's reference run (a clean-trained net, say), the
  // reduction 1 - I / I_reference of each headline figure and the accuracy change.
  if (const EvaluationResult* before = context.reference("instability")) {
    for (const char* key : {"set_instability", "pairwise_mean", "correctness_instability",
                            "mean_kl", "canonical_set_instability"}) {
      auto then = before->metrics.find(key);
      auto now = result.metrics.find(key);
      if (then == before->metrics.end() || now == result.metrics.end()) continue;
      result.metrics[std::string("reference_run_") + key] = then->second;
      if (then->second > 0)
        result.metrics[std::string(key) + "_reduction"] = 1.0 - now->second / then->second;
    }
    auto then = before->metrics.find("accuracy_mean");
    if (then != before->metrics.end())
      result.metrics["accuracy_mean_change"] = result.metrics["accuracy_mean"] - then->second;
  }

  // What measuring K profiles costs against K clean passes (the target is at most 1.5).
  result.metrics["apply_seconds"] = timing.apply;
  result.metrics["inference_seconds"] = timing.inference;
  result.metrics["clean_pass_seconds"] = clean_pass;
  result.metrics["cost_ratio"] =
      (timing.apply + timing.inference) / (static_cast<double>(names.size()) * clean_pass);

  if (options_.write_csv) {
    std::ofstream csv(context.output_path("images.csv"));
    if (!csv) throw std::runtime_error("cannot write " + context.output_path("images.csv"));
    csv << "image,label,stable";
    for (const auto& n : names) csv << "," << n;
    csv << "\n";
    torch::Tensor preds = top1(table.logits);
    auto p = preds.accessor<int64_t, 2>();
    auto valid = table.valid.accessor<bool, 2>();
    auto y = table.labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < labels.size(0); ++i) {
      csv << i << "," << y[i] << "," << figures.stable[i];
      for (size_t k = 0; k < names.size(); ++k)
        csv << "," << (valid[static_cast<int64_t>(k)][i] ? p[static_cast<int64_t>(k)][i] : -1);
      csv << "\n";
    }
  }
  return result;
}

}  // namespace gear::plugins::instability

#include "corruption_evaluator.h"

#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "cifar_c.h"
#include "corruptions.h"
#include "image_folder_c.h"

namespace gear::plugins {
namespace fs = std::filesystem;
namespace {

std::string severity_key(int severity) { return "severity_" + std::to_string(severity); }

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

double accuracy(const torch::Tensor& predictions, const torch::Tensor& labels) {
  if (labels.numel() == 0) return 0.0;
  return predictions.eq(labels.to(predictions.device())).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

OptionSchema CorruptionEvaluator::schema() {
  return OptionSchema()
      .add_string_list("corruptions", corruptions::names(),
                       "corruptions to evaluate (default: the 15 of CIFAR-10-C, in its order)")
      .one_of(corruptions::names())
      .add_int_list("severities", {1, 2, 3, 4, 5}, "severities to evaluate")
      .range(1, 5)
      .add_string("precomputed", "",
                  "folder of released corrupted sets (CIFAR-10-C / CIFAR-100-C .npy files, or "
                  "Tiny-ImageNet-C <corruption>/<severity>/<wnid>/ folders); empty: generate the "
                  "corruptions from the split's images")
      .add_string("layout", "auto",
                  "layout of `precomputed`: npy (CIFAR-10-C / CIFAR-100-C) or folders "
                  "(Tiny-ImageNet-C); auto: npy when the folder has labels.npy")
      .one_of({"auto", "npy", "folders"})
      .add_string("classes_file", "",
                  "folders layout: file with one class folder name (wnid) per line, in the "
                  "dataset's label order; empty: sorted folder names, which is the order the "
                  "tiny-imagenet dataset uses (its wnids.txt is not sorted: do not use it here)")
      .add_int("limit", 0, "evaluate the first `limit` images of the split only (0: all)")
      .at_least(0);
}

CorruptionEvaluator::CorruptionEvaluator(const Config& options)
    : corruptions_(options.get<std::vector<std::string>>("corruptions")),
      severities_(options.get<std::vector<int64_t>>("severities")),
      precomputed_(options.get<std::string>("precomputed")),
      layout_(options.get<std::string>("layout")),
      limit_(options.get<int64_t>("limit")) {
  if (corruptions_.empty()) options.fail("corruptions", "needs at least one corruption");
  if (severities_.empty()) options.fail("severities", "needs at least one severity");
  std::sort(severities_.begin(), severities_.end());
  if (std::adjacent_find(severities_.begin(), severities_.end()) != severities_.end())
    options.fail("severities", "lists a severity twice");
  if (!precomputed_.empty()) {
    std::error_code ec;
    if (!fs::is_directory(precomputed_, ec))
      options.fail("precomputed", "'" + precomputed_.string() + "' is not a folder");
    if (layout_ == "auto") layout_ = fs::exists(precomputed_ / "labels.npy") ? "npy" : "folders";
  }
  const std::string classes_file = options.get<std::string>("classes_file");
  if (!classes_file.empty()) {
    if (!fs::is_regular_file(classes_file))
      options.fail("classes_file", "cannot read '" + classes_file + "'");
    classes_ = read_lines(classes_file);
  }
}

double CorruptionEvaluator::accuracy_on(EvaluationContext& context, size_t corruption, int severity,
                                        std::optional<robustness::CifarCReader>& cifar_reader) {
  const std::string& name = corruptions_[corruption];
  if (!precomputed_.empty()) {
    if (layout_ == "npy" && !cifar_reader) cifar_reader.emplace(precomputed_);
    robustness::CorruptedSet set =
        layout_ == "npy" ? cifar_reader->read(name, severity)
                         : robustness::read_image_folder_c(precomputed_, name, severity, classes_);
    if (limit_ > 0 && set.images.size(0) > limit_) {
      set.images = set.images.slice(0, 0, limit_);
      set.labels = set.labels.slice(0, 0, limit_);
    }
    if (set.images.sizes().slice(1) != context.images().sizes().slice(1))
      throw std::runtime_error("precomputed " + name + " images have shape " +
                               c10::str(set.images.sizes().slice(1)) + " but the dataset's are " +
                               c10::str(context.images().sizes().slice(1)));
    // A class subset (data.classes) relabels the split; released sets keep the full labels.
    if (set.labels.numel() > 0 && context.labels().numel() > 0 &&
        set.labels.max().item<int64_t>() > context.labels().max().item<int64_t>())
      throw std::runtime_error(
          "precomputed " + name + " has labels up to " +
          std::to_string(set.labels.max().item<int64_t>()) + " but the evaluated split's stop at " +
          std::to_string(context.labels().max().item<int64_t>()) +
          " (a class subset from data.classes?): released sets are labelled for the full "
          "dataset; leave `precomputed` empty to corrupt the split's own images");
    return accuracy(context.predict(set.images), set.labels);
  }
  const torch::Tensor& images = context.images();
  const int64_t n = limit_ > 0 ? std::min(limit_, images.size(0)) : images.size(0);
  // One generator per (corruption, severity): a set's draws do not depend on which others run.
  const auto index = std::find(corruptions::names().begin(), corruptions::names().end(), name) -
                     corruptions::names().begin();
  torch::Generator generator =
      context.make_generator(static_cast<uint64_t>(index) * 16 + static_cast<uint64_t>(severity));
  int64_t correct = 0;
  for (int64_t begin = 0; begin < n; begin += context.batch_size()) {
    const int64_t end = std::min(begin + context.batch_size(), n);
    torch::Tensor corrupted =
        corruptions::corrupt(name, images.slice(0, begin, end), severity, generator);
    correct +=
        context.predict(corrupted).eq(context.labels().slice(0, begin, end)).sum().item<int64_t>();
  }
  return n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

void CorruptionEvaluator::read_reference(const EvaluationContext& context) {
  reference_.clear();
  reference_clean_.reset();
  const EvaluationResult* clean = context.reference("clean");
  if (!clean) return;  // no reference run: no mCE
  const EvaluationResult* table = context.reference(kSuite);
  if (!table)
    throw ConfigError({}, "reference",
                      "the reference run has no corruptions results: evaluate it with suites = "
                      "[\"clean\", \"corruptions\"] first");
  for (const auto& name : corruptions_)
    for (int64_t s : severities_) {
      const std::string key = severity_key(static_cast<int>(s));
      auto row = table->details.find(name);
      if (row == table->details.end() || !row->second.count(key))
        throw ConfigError({}, "reference",
                          "the reference run has no accuracy for " + name + " at " + key);
      reference_[name][key] = row->second.at(key);
    }
  if (clean->metrics.count("accuracy")) reference_clean_ = clean->metrics.at("accuracy");
}

EvaluationResult CorruptionEvaluator::evaluate(EvaluationContext& context) {
  read_reference(context);
  EvaluationResult result;
  const torch::Tensor& images = context.images();
  const int64_t n = limit_ > 0 ? std::min(limit_, images.size(0)) : images.size(0);
  const double clean =
      accuracy(context.predict(images.slice(0, 0, n)), context.labels().slice(0, 0, n));
  result.details["clean"] = {{"accuracy", clean}};
  double sum = 0.0, ce_sum = 0.0, relative_sum = 0.0;
  bool relative = reference_clean_.has_value();
  std::optional<robustness::CifarCReader> cifar_reader;
  for (size_t c = 0; c < corruptions_.size(); ++c) {
    const std::string& name = corruptions_[c];
    auto& row = result.details[name];
    double row_sum = 0.0, error = 0.0, reference_error = 0.0, shift = 0.0, reference_shift = 0.0;
    std::string line;
    for (int64_t s : severities_) {
      const std::string key = severity_key(static_cast<int>(s));
      const double acc = accuracy_on(context, c, static_cast<int>(s), cifar_reader);
      row[key] = acc;
      row_sum += acc;
      line += " " + std::to_string(acc).substr(0, 6);
      if (!reference_.empty()) {
        const double ref = reference_.at(name).at(key);
        error += 1.0 - acc;
        reference_error += 1.0 - ref;
        shift += (1.0 - acc) - (1.0 - clean);
        if (relative) reference_shift += (1.0 - ref) - (1.0 - *reference_clean_);
      }
    }
    row["mean"] = row_sum / static_cast<double>(severities_.size());
    sum += row_sum;
    context.log(name + ":" + line);
    if (!reference_.empty()) {
      ce_sum += reference_error > 0 ? error / reference_error : 0.0;
      if (relative && reference_shift <= 0) relative = false;  // undefined: reference unaffected
      if (relative) relative_sum += shift / reference_shift;
    }
  }
  const double sets = static_cast<double>(corruptions_.size() * severities_.size());
  result.metrics["robust_accuracy"] = sum / sets;
  result.metrics["mean_corruption_error"] = 1.0 - sum / sets;
  if (!reference_.empty()) {
    const double count = static_cast<double>(corruptions_.size());
    result.metrics["mce"] = 100.0 * ce_sum / count;
    if (relative) result.metrics["relative_mce"] = 100.0 * relative_sum / count;
  }
  return result;
}

}  // namespace gear::plugins

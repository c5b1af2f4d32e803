#include "instability_metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

namespace gear::plugins::instability {

torch::Tensor top1(const torch::Tensor& logits) {
  const int64_t classes = logits.size(-1);
  torch::Tensor best = std::get<0>(logits.max(-1, true));
  torch::Tensor index = torch::arange(classes, logits.options().dtype(torch::kLong));
  // Every maximal entry keeps its index, the others `classes`: the minimum is the first maximum.
  return torch::where(logits == best, index, torch::full_like(index, classes)).amin(-1);
}

InstabilityFigures measure_instability(const PredictionTable& table, int64_t reference,
                                       Missing missing, int64_t classes) {
  const int64_t k_count = table.logits.size(0);
  if (k_count < 2 || static_cast<int64_t>(table.names.size()) != k_count)
    throw std::invalid_argument("instability needs at least two profiles with names, got " +
                                std::to_string(k_count));
  const int64_t n = table.logits.size(1);
  if (table.valid.size(0) != k_count || table.valid.size(1) != n || table.labels.size(0) != n)
    throw std::invalid_argument("instability: logits, valid and labels do not fit together");
  torch::Tensor preds = top1(table.logits);  // [K, N]
  torch::Tensor valid = table.valid.to(torch::kBool);
  torch::Tensor correct = preds.eq(table.labels.unsqueeze(0)) & valid;
  torch::Tensor wrong = preds.ne(table.labels.unsqueeze(0)) & valid;
  torch::Tensor all_valid = valid.all(0);
  torch::Tensor any_missing = ~all_valid;

  InstabilityFigures f;
  // An image is stable when every profile that answered gave one label, and (counting missing
  // answers as unstable) every profile answered.
  torch::Tensor big = torch::full_like(preds, classes + 1);
  torch::Tensor lo = torch::where(valid, preds, big).amin(0);
  torch::Tensor hi = torch::where(valid, preds, -torch::ones_like(preds)).amax(0);
  torch::Tensor agree = lo.eq(hi);
  torch::Tensor counted, unstable, correctness_hit;
  if (missing == Missing::kExclude) {
    counted = all_valid;
    unstable = ~agree & counted;
    correctness_hit = correct.any(0) & wrong.any(0) & counted;
  } else {
    counted = torch::ones_like(all_valid);
    unstable = ~agree | any_missing;
    correctness_hit = correct.any(0) & (wrong.any(0) | any_missing);
  }
  f.images = counted.sum().item<int64_t>();
  const double denom = std::max<int64_t>(f.images, 1);
  f.set = unstable.sum().item<double>() / denom;
  f.correctness = correctness_hit.sum().item<double>() / denom;
  f.stable.resize(static_cast<size_t>(n));
  {
    auto c = counted.accessor<bool, 1>();
    auto u = unstable.accessor<bool, 1>();
    for (int64_t i = 0; i < n; ++i) f.stable[i] = !c[i] ? -1 : (u[i] ? 0 : 1);
  }

  torch::Tensor probs = table.logits.softmax(-1);
  torch::Tensor log_probs = table.logits.log_softmax(-1);
  torch::Tensor top5 =
      std::get<1>(table.logits.topk(std::min<int64_t>(5, table.logits.size(2)), -1));
  f.pairwise.assign(k_count, std::vector<double>(k_count, 0.0));
  double pair_sum = 0.0, kl_sum = 0.0, flips = 0.0, flips_top5 = 0.0;
  int64_t pairs = 0, kl_pairs = 0;
  for (int64_t a = 0; a < k_count; ++a) {
    for (int64_t b = 0; b < k_count; ++b) {
      if (a == b) continue;
      torch::Tensor both = valid[a] & valid[b];
      const double both_count = both.sum().item<double>();
      if (b > a) {
        torch::Tensor differ = preds[a].ne(preds[b]) & both;
        double disagreements = differ.sum().item<double>();
        double over = both_count;
        if (missing == Missing::kUnstable) {
          const double lost = (~both).sum().item<double>();
          disagreements += lost;
          over += lost;
        }
        const double rate = over > 0 ? disagreements / over : 0.0;
        f.pairwise[a][b] = f.pairwise[b][a] = rate;
        pair_sum += rate;
        f.pairwise_max = std::max(f.pairwise_max, rate);
        ++pairs;
        // A flip "in the top 5": b's label is among a's five best classes.
        torch::Tensor in_top5 = top5[a].eq(preds[b].unsqueeze(1)).any(1) & differ;
        flips += differ.sum().item<double>();
        flips_top5 += in_top5.sum().item<double>();
      }
      if (both_count > 0) {
        torch::Tensor kl = (probs[a] * (log_probs[a] - log_probs[b])).sum(1);
        kl_sum += (kl * both).sum().item<double>() / both_count;
        ++kl_pairs;
      }
    }
  }
  f.pairwise_mean = pairs > 0 ? pair_sum / pairs : 0.0;
  f.mean_kl = kl_pairs > 0 ? kl_sum / kl_pairs : 0.0;
  f.flips_in_top5 = flips > 0 ? flips_top5 / flips : 0.0;

  f.accuracy.resize(static_cast<size_t>(k_count));
  f.against_reference.assign(static_cast<size_t>(k_count), 0.0);
  for (int64_t k = 0; k < k_count; ++k) {
    const double answered = valid[k].sum().item<double>();
    f.accuracy[k] = answered > 0 ? correct[k].sum().item<double>() / answered : 0.0;
  }
  if (reference >= 0) {
    double sum = 0.0;
    for (int64_t k = 0; k < k_count; ++k) {
      if (k == reference) continue;
      f.against_reference[k] = f.pairwise[k][reference];
      sum += f.against_reference[k];
      f.reference_max = std::max(f.reference_max, f.against_reference[k]);
    }
    f.reference_mean = sum / static_cast<double>(k_count - 1);
  }

  f.per_class.resize(static_cast<size_t>(classes));
  for (int64_t c = 0; c < classes; ++c) {
    torch::Tensor mine = table.labels.eq(c) & counted;
    const double images = mine.sum().item<double>();
    auto& row = f.per_class[c];
    row["images"] = images;
    row["set"] = images > 0 ? (unstable & mine).sum().item<double>() / images : 0.0;
    row["correctness"] = images > 0 ? (correctness_hit & mine).sum().item<double>() / images : 0.0;
    torch::Tensor mine_answered = table.labels.eq(c).unsqueeze(0) & valid;
    const double answers = mine_answered.sum().item<double>();
    row["accuracy"] = answers > 0 ? (correct & mine_answered).sum().item<double>() / answers : 0.0;
  }
  return f;
}

}  // namespace gear::plugins::instability

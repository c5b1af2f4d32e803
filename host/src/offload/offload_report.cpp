// Rows, CSV and chart of an offload stage.
#include "gear/host/offload/offload_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "gear/host/run_folder.h"

namespace gear::host {
namespace {

double gap_percent(double accuracy, double oracle_accuracy, double edge_accuracy) {
  const double gain = oracle_accuracy - edge_accuracy;
  return gain > 0 ? 100.0 * (oracle_accuracy - accuracy) / gain : 0.0;
}

const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

}  // namespace

std::string target_label(const OffloadBudget& budget) {
  if (budget.frame_fraction > 0) return fmt::format("{:g}%", 100.0 * budget.frame_fraction);
  return fmt::format("{:g}B/s", budget.bytes_per_second);
}

double budget_bytes(const OffloadBudget& budget, const StreamOutcomes& stream,
                    const BandwidthTrace& trace) {
  const double seconds = static_cast<double>(stream.size()) / stream.frames_per_second;
  if (budget.frame_fraction > 0) {
    double total = 0.0;
    for (int64_t b : stream.bytes) total += static_cast<double>(b);
    return budget.frame_fraction * total;
  }
  return std::min(budget.bytes_per_second * seconds, trace.capacity_bytes(seconds));
}

OffloadReport::OffloadReport(const StreamOutcomes& stream, const BandwidthTrace& trace,
                             double rtt_seconds)
    : stream_(stream),
      trace_(trace),
      rtt_(rtt_seconds),
      oracle_(stream.edge_correct, stream.cloud_correct, stream.bytes) {
  edge_only_ = account(std::vector<bool>(stream.bytes.size(), false), stream, trace, rtt_seconds);
  cloud_only_ = account(std::vector<bool>(stream.bytes.size(), true), stream, trace, rtt_seconds);
}

OffloadRow OffloadReport::row(const std::string& policy, const std::string& target,
                              OffloadOutcome outcome) {
  OffloadRow r{policy, target, std::move(outcome)};
  const double frames = static_cast<double>(std::max<int64_t>(1, stream_.size()));
  r.oracle_accuracy = static_cast<double>(oracle_.edge_correct() +
                                          oracle_.best_gain(static_cast<double>(r.outcome.bytes))) /
                      frames;
  r.gap_percent = gap_percent(r.outcome.accuracy, r.oracle_accuracy, edge_only_.accuracy);
  return r;
}

void OffloadReport::add(const std::string& policy, const OffloadBudget& budget,
                        OffloadOutcome outcome) {
  const std::string target = target_label(budget);
  if (std::find(targets_.begin(), targets_.end(), target) == targets_.end()) {
    targets_.push_back(target);
    const std::vector<int64_t> chosen = oracle_.choose(budget_bytes(budget, stream_, trace_));
    std::vector<bool> offloaded(stream_.bytes.size(), false);
    for (int64_t i : chosen) offloaded[static_cast<size_t>(i)] = true;
    rows_.push_back(row("oracle", target, account(offloaded, stream_, trace_, rtt_)));
  }
  rows_.push_back(row(policy, target, std::move(outcome)));
}

nlohmann::json OffloadReport::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, std::vector<const OffloadRow*>> by_policy;
  for (const OffloadRow& r : rows_) {
    const OffloadOutcome& o = r.outcome;
    const double frames = static_cast<double>(std::max<int64_t>(1, o.frames));
    const double decide_per_frame = o.decide_seconds / frames;
    rows.push_back(
        {{"policy", r.policy},
         {"target", r.target},
         {"accuracy", o.accuracy},
         {"offloaded_fraction", static_cast<double>(o.offloaded_frames) / frames},
         {"bytes", o.bytes},
         {"bytes_per_second", o.seconds > 0 ? static_cast<double>(o.bytes) / o.seconds : 0.0},
         {"mean_latency_ms", 1000.0 * o.mean_latency_seconds},
         {"p95_latency_ms", 1000.0 * o.p95_latency_seconds},
         {"oracle_accuracy", r.oracle_accuracy},
         {"gap_percent", r.gap_percent},
         {"decide_ns_per_frame", 1e9 * decide_per_frame},
         {"decide_fraction_of_edge",
          stream_.edge_seconds > 0 ? decide_per_frame / stream_.edge_seconds : 0.0}});
    by_policy[r.policy].push_back(&r);
  }
  nlohmann::json policies = nlohmann::json::object();
  for (const auto& [name, list] : by_policy) {
    double gap = 0.0, accuracy = 0.0;
    for (const OffloadRow* r : list) {
      gap += r->gap_percent;
      accuracy += r->outcome.accuracy;
    }
    const double n = static_cast<double>(list.size());
    policies[name] = {{"mean_gap_percent", gap / n}, {"mean_accuracy", accuracy / n}};
  }
  double mean_bytes = 0.0;
  for (int64_t b : stream_.bytes) mean_bytes += static_cast<double>(b);
  return {
      {"edge_accuracy", edge_only_.accuracy},
      {"cloud_accuracy", cloud_only_.accuracy},
      {"edge_mean_latency_ms", 1000.0 * edge_only_.mean_latency_seconds},
      {"cloud_mean_latency_ms", 1000.0 * cloud_only_.mean_latency_seconds},
      {"bytes_per_frame", mean_bytes / static_cast<double>(std::max<int64_t>(1, stream_.size()))},
      {"gainable_frames", oracle_.gainable()},
      {"rows", rows},
      {"policies", policies}};
}

void OffloadReport::write_csv(const std::string& path) const {
  std::ostringstream out;
  out << "policy,target,accuracy,offloaded_fraction,bytes,bytes_per_second,mean_latency_ms,"
         "p95_latency_ms,oracle_accuracy,gap_percent,decide_ns_per_frame\n";
  const nlohmann::json report = to_json();
  for (const auto& row : report["rows"])
    out << fmt::format("{},{},{:.6f},{:.6f},{},{:.3f},{:.3f},{:.3f},{:.6f},{:.3f},{:.1f}\n",
                       row["policy"].get<std::string>(), row["target"].get<std::string>(),
                       row["accuracy"].get<double>(), row["offloaded_fraction"].get<double>(),
                       row["bytes"].get<int64_t>(), row["bytes_per_second"].get<double>(),
                       row["mean_latency_ms"].get<double>(), row["p95_latency_ms"].get<double>(),
                       row["oracle_accuracy"].get<double>(), row["gap_percent"].get<double>(),
                       row["decide_ns_per_frame"].get<double>());
  write_file_atomic(path, out.str());
}

void OffloadReport::write_svg(const std::string& path) const {
  // A hand-written SVG line chart: one static picture needs no charting library.
  const double w = 720, h = 440, left = 70, right = 200, top = 30, bottom = 50;
  const double seconds = static_cast<double>(stream_.size()) / stream_.frames_per_second;
  double x_max = static_cast<double>(cloud_only_.bytes) / seconds;
  const double y_min = std::floor(edge_only_.accuracy * 50 - 1) / 50;
  double y_max = std::max(cloud_only_.accuracy, edge_only_.accuracy);
  for (const OffloadRow& r : rows_) y_max = std::max(y_max, r.outcome.accuracy);
  y_max = std::ceil(y_max * 50 + 0.5) / 50;
  const auto px = [&](double x) { return left + (w - left - right) * x / x_max; };
  const auto py = [&](double y) {
    return top + (h - top - bottom) * (1 - (y - y_min) / (y_max - y_min));
  };
  std::ostringstream svg;
  svg << fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n",
      w, h);
  for (int i = 0; i <= 5; ++i) {
    const double x = x_max * i / 5, y = y_min + (y_max - y_min) * i / 5;
    svg << fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:.0f}</text>\n",
        px(x), top, h - bottom, h - bottom + 16, x);
    svg << fmt::format(
        "<line x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{0:.1f}\" text-anchor=\"end\">{4:.1f}</text>\n",
        py(y), left, w - right, left - 6, 100 * y);
  }
  svg << fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">bytes per second sent</text>"
      "<text transform=\"translate(16,{}) rotate(-90)\" text-anchor=\"middle\">"
      "accuracy (%)</text>\n",
      (left + w - right) / 2, h - 12, (top + h - bottom) / 2);
  // The optimum's curve, dense.
  std::string oracle_path;
  for (int i = 0; i <= 100; ++i) {
    const double bytes = static_cast<double>(cloud_only_.bytes) * i / 100;
    const double accuracy = static_cast<double>(oracle_.edge_correct() + oracle_.best_gain(bytes)) /
                            static_cast<double>(std::max<int64_t>(1, stream_.size()));
    oracle_path += fmt::format("{}{:.1f},{:.1f}", i ? " L" : "M", px(bytes / seconds),
                               py(std::min(accuracy, y_max)));
  }
  svg << "<path d=\"" << oracle_path
      << "\" fill=\"none\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n";
  std::vector<std::string> names;
  for (const OffloadRow& r : rows_)
    if (r.policy != "oracle" && std::find(names.begin(), names.end(), r.policy) == names.end())
      names.push_back(r.policy);
  double legend_y = top + 10;
  const auto legend = [&](const std::string& colour, const std::string& label, bool dashed) {
    svg << fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"2\"{}/><text x=\"{}\" y=\"{:.1f}\">{}</text>\n",
        w - right + 12, legend_y, w - right + 36, legend_y, colour,
        dashed ? " stroke-dasharray=\"4 3\"" : "", w - right + 42, legend_y + 4, label);
    legend_y += 18;
  };
  legend("black", "offline optimum", true);
  for (size_t k = 0; k < names.size(); ++k) {
    std::vector<std::pair<double, double>> points;
    for (const OffloadRow& r : rows_)
      if (r.policy == names[k])
        points.push_back({static_cast<double>(r.outcome.bytes) / seconds, r.outcome.accuracy});
    std::sort(points.begin(), points.end());
    const char* colour = kColours[k % 10];
    std::string d;
    for (size_t i = 0; i < points.size(); ++i) {
      d +=
          fmt::format("{}{:.1f},{:.1f}", i ? " L" : "M", px(points[i].first), py(points[i].second));
      svg << fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n",
                         px(points[i].first), py(points[i].second), colour);
    }
    svg << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << colour
        << "\" stroke-width=\"2\"/>\n";
    legend(colour, names[k], false);
  }
  for (const auto& [label, o] :
       {std::pair<std::string, const OffloadOutcome*>{"edge only", &edge_only_},
        {"cloud only", &cloud_only_}}) {
    const double x = px(static_cast<double>(o->bytes) / seconds), y = py(o->accuracy);
    svg << fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"8\" height=\"8\" fill=\"#444\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\">{}</text>\n",
        x - 4, y - 4, x + (o == &edge_only_ ? 8 : -8), y - 8, o == &edge_only_ ? "start" : "end",
        label);
  }
  svg << "</svg>\n";
  write_file_atomic(path, svg.str());
}

void OffloadReport::write_frames(const std::string& path) const {
  std::ostringstream out;
  out << "frame,max_probability,margin,entropy,bytes,edge_correct,cloud_correct";
  for (const OffloadRow& r : rows_) out << "," << r.policy << "@" << r.target;
  out << "\n";
  for (int64_t i = 0; i < stream_.size(); ++i) {
    const auto k = static_cast<size_t>(i);
    out << fmt::format("{},{:.5f},{:.5f},{:.5f},{},{:d},{:d}", i, stream_.max_probability[k],
                       stream_.margin[k], stream_.entropy[k], stream_.bytes[k],
                       static_cast<int>(stream_.edge_correct[k]),
                       static_cast<int>(stream_.cloud_correct[k]));
    for (const OffloadRow& r : rows_) out << "," << (r.outcome.offloaded[k] ? 1 : 0);
    out << "\n";
  }
  write_file_atomic(path, out.str());
}

}  // namespace gear::host

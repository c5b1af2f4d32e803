#include "report_charts.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "json_fields.h"

namespace gear::report {
namespace {

using nlohmann::json;

json chart(size_t input, const std::string& title, const std::string& type) {
  return {{"input", input},
          {"title", title},
          {"type", type},
          {"labels", json::array()},
          {"datasets", json::array()},
          {"x_title", ""},
          {"y_title", ""}};
}

json dataset(const std::string& label, json data, const std::string& axis = "y") {
  return {{"label", label}, {"data", std::move(data)}, {"axis", axis}};
}

json number_or_null(const std::optional<double>& value, double factor = 1.0) {
  return value ? json(*value * factor) : json(nullptr);
}

std::string stage_label(const json& record) {
  std::string label =
      std::to_string(static_cast<int64_t>(number_at(record, "index").value_or(-1))) + " " +
      string_at(record, "kind").value_or("?");
  const std::string name = string_at(record, "name").value_or("");
  if (!name.empty()) label += " " + name;
  if (auto step = number_at(record, "step")) {
    label += " step " + std::to_string(static_cast<int64_t>(*step));
    if (auto steps = number_at(record, "steps"))
      label += "/" + std::to_string(static_cast<int64_t>(*steps));
  }
  return label;
}

bool trains(const json& record) {
  const std::string kind = string_at(record, "kind").value_or("");
  return kind == "train" || kind == "search";
}

/// Where each stage's epochs begin in metrics.csv, labelled with the stages since the last
/// boundary ("1 grow · 2 train"). Rows are matched to the train records in order, `epochs` rows
/// each, so the segments of a multi-shot growth get a boundary at every grow step; rows without
/// a matching record fall back to a boundary at each change of the stage column.
json epoch_boundaries(const RunData& run) {
  json boundaries = json::array();
  const json& records = run.stages;
  long current = -1;
  int64_t used = 0;
  bool matched = true;
  std::optional<double> last_stage;
  for (size_t row = 0; row < run.metrics.rows.size(); ++row) {
    const std::optional<double> stage = run.metrics.number(row, "stage");
    if (matched) {
      if (current >= 0 && number_at(records[current], "index") == stage) {
        const int64_t epochs =
            static_cast<int64_t>(number_at(records[current], "epochs").value_or(0));
        if (epochs <= 0 || used < epochs) {
          ++used;
          continue;
        }
      }
      std::string label;
      size_t next = static_cast<size_t>(current + 1);
      for (; next < records.size(); ++next) {
        if (trains(records[next]) && number_at(records[next], "index") == stage) break;
        if (string_at(records[next], "kind") != "evaluate")
          label += stage_label(records[next]) + " · ";
      }
      if (next < records.size()) {
        current = static_cast<long>(next);
        used = 1;
        boundaries.push_back({{"at", row}, {"label", label + stage_label(records[next])}});
        last_stage = stage;
        continue;
      }
      matched = false;  // stages.json does not describe these rows: use the stage column
    }
    if (stage != last_stage) {
      boundaries.push_back(
          {{"at", row},
           {"label", "stage " + (stage ? std::to_string(static_cast<int64_t>(*stage)) : "?")}});
      last_stage = stage;
    }
  }
  return boundaries;
}

std::string percent_text(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", fraction * 100);
  return text;
}

std::string seed_text(const RunData& run) {
  return run.seed ? std::to_string(*run.seed) : run.name;
}

/// "seed 3 " before a group's dataset labels; "" for a run.
std::string seed_prefix(const ReportInput& input, const RunData& run) {
  if (input.kind != ReportInput::Kind::kGroup) return "";
  return "seed " + seed_text(run) + " ";
}

/// Accuracy (percent) and loss per epoch: train and val lines of each run.
void epoch_charts(const ReportInput& input, size_t index, std::vector<json>& out) {
  size_t epochs = 0;
  const RunData* first = nullptr;
  for (const auto& run : input.runs)
    if (!run.metrics.rows.empty()) {
      if (!first) first = &run;
      epochs = std::max(epochs, run.metrics.rows.size());
    }
  if (!first) return;
  struct Series {
    const char* title;
    const char* y_title;
    const char* column;
    double factor;
  };
  const Series kinds[2][2] = {
      {{"accuracy per epoch", "accuracy (%)", "train_accuracy", 100.0},
       {"", "", "val_accuracy", 100.0}},
      {{"loss per epoch", "loss", "train_loss", 1.0}, {"", "", "val_loss", 1.0}}};
  for (const auto& kind : kinds) {
    json c = chart(index, kind[0].title, "line");
    c["x_title"] = "epoch (all stages)";
    c["y_title"] = kind[0].y_title;
    for (size_t e = 1; e <= epochs; ++e) c["labels"].push_back(e);
    for (const auto& run : input.runs) {
      for (const auto& series : kind) {
        if (!run.metrics.has(series.column)) continue;
        json data = json::array();
        for (size_t row = 0; row < run.metrics.rows.size(); ++row)
          data.push_back(number_or_null(run.metrics.number(row, series.column), series.factor));
        const std::string split = series.column == std::string("train_accuracy") ||
                                          series.column == std::string("train_loss")
                                      ? "train"
                                      : "val";
        json d = dataset(seed_prefix(input, run) + split, std::move(data));
        d["dashed"] = split == "train";
        c["datasets"].push_back(std::move(d));
      }
    }
    c["boundaries"] = epoch_boundaries(*first);
    if (!c["datasets"].empty()) out.push_back(std::move(c));
  }
}

/// Group widths before the first growth and after each grow record.
void widths_chart(const ReportInput& input, size_t index, std::vector<json>& out) {
  for (const auto& run : input.runs) {
    std::vector<const json*> grows;
    for (const auto& record : run.stages)
      if (string_at(record, "kind") == "grow" && find_path(record, "widths_after"))
        grows.push_back(&record);
    if (grows.empty()) continue;
    // Group order is the net's (final.groups); the records' objects are sorted by name.
    std::vector<std::string> groups;
    if (const auto* names = find_path(run.summary, "final.groups"); names && names->is_array())
      for (const auto& name : *names)
        if (name.is_string()) groups.push_back(name.get<std::string>());
    const json* before = find_path(*grows.front(), "widths_before");
    std::set<std::string> listed(groups.begin(), groups.end());
    for (const json* source : {before, find_path(*grows.back(), "widths_after")})
      if (source && source->is_object())
        for (const auto& [name, width] : source->items())
          if (listed.insert(name).second) groups.push_back(name);
    json c = chart(index,
                   "widths per group before and after growth" +
                       (input.kind == ReportInput::Kind::kGroup ? " (seed " + seed_text(run) + ")"
                                                                : std::string()),
                   "bar");
    c["x_title"] = "channel group";
    c["y_title"] = "width (channels)";
    for (const auto& g : groups) c["labels"].push_back(g);
    auto widths = [&](const json* source) {
      json data = json::array();
      for (const auto& g : groups)
        data.push_back(source ? number_or_null(number_at(*source, g)) : json(nullptr));
      return data;
    };
    c["datasets"].push_back(
        dataset("before (stage " + stage_label(*grows.front()) + ")", widths(before)));
    for (const json* grow : grows)
      c["datasets"].push_back(
          dataset("after " + stage_label(*grow), widths(find_path(*grow, "widths_after"))));
    out.push_back(std::move(c));
    return;  // one run's growth: the seeds of a group grow alike
  }
}

/// Wall time and energy of each stage: the group's means, or the run's records.
void stage_cost_chart(const ReportInput& input, size_t index, std::vector<json>& out) {
  json labels = json::array(), seconds = json::array(), joules = json::array();
  bool any_energy = false;
  const json* group_stages = find_path(input.group, "stages");
  const bool from_group = input.kind == ReportInput::Kind::kGroup && group_stages &&
                          group_stages->is_array() && !group_stages->empty();
  if (from_group) {
    for (const auto& stage : *group_stages) {
      labels.push_back(stage_label(stage));
      const json* wall = find_path(stage, "wall_seconds");
      const json* energy = find_path(stage, "energy_joules");
      std::optional<Stat> w = wall ? stat_from_json(*wall) : std::nullopt;
      std::optional<Stat> e = energy ? stat_from_json(*energy) : std::nullopt;
      seconds.push_back(w ? json(w->mean) : json(nullptr));
      joules.push_back(e ? json(e->mean) : json(nullptr));
      any_energy |= e.has_value();
    }
  } else if (const RunData* run = input.first_run()) {
    for (const auto& record : run->stages) {
      labels.push_back(stage_label(record));
      seconds.push_back(number_or_null(number_at(record, "wall_seconds")));
      const std::optional<double> e = number_at(record, "energy_joules");
      joules.push_back(number_or_null(e));
      any_energy |= e.has_value();
    }
  }
  if (labels.empty()) return;
  const std::string mean = from_group ? " (mean over seeds)" : "";
  json c =
      chart(index, (any_energy ? "time and energy per stage" : "time per stage") + mean, "bar");
  c["x_title"] = "stage";
  c["y_title"] = "wall time (s)";
  c["labels"] = std::move(labels);
  c["datasets"].push_back(dataset("wall seconds", std::move(seconds)));
  if (any_energy) {
    const std::string energy_label =
        input.energy_estimated ? "energy (J, estimated)" : "energy (J)";
    c["y1_title"] = energy_label;
    c["datasets"].push_back(dataset(energy_label, std::move(joules), "y1"));
  }
  out.push_back(std::move(c));
}

/// The `details` tables in `final`, by suite: {suite: {row: {column: stat}}}.
std::map<std::string, std::map<std::string, std::map<std::string, const Stat*>>> details_tables(
    const ReportInput& input) {
  std::map<std::string, std::map<std::string, std::map<std::string, const Stat*>>> tables;
  for (const auto& [key, stat] : input.final) {
    const size_t at = key.find(".details.");
    if (at == std::string::npos) continue;
    const std::string cell = key.substr(at + 9);
    const size_t dot = cell.rfind('.');
    if (dot == std::string::npos) continue;
    tables[key.substr(0, at)][cell.substr(0, dot)][cell.substr(dot + 1)] = &stat;
  }
  return tables;
}

/// Severity columns in numeric order ("severity_2" before "severity_10").
int severity_of(const std::string& column) {
  return std::atoi(column.c_str() + std::string("severity_").size());
}

void corruption_chart(const ReportInput& input, size_t index,
                      const std::map<std::string, std::map<std::string, const Stat*>>& table,
                      std::vector<json>& out) {
  std::set<std::string> columns_seen;
  for (const auto& [row, cells] : table)
    for (const auto& [column, stat] : cells)
      if (column.rfind("severity_", 0) == 0) columns_seen.insert(column);
  std::vector<std::string> columns(columns_seen.begin(), columns_seen.end());
  std::sort(columns.begin(), columns.end(), [](const std::string& a, const std::string& b) {
    return severity_of(a) < severity_of(b);
  });
  std::vector<std::string> rows;
  for (const auto& [row, cells] : table)
    if (row != "clean") rows.push_back(row);
  if (rows.empty() || columns.empty()) return;
  std::string title = "robust accuracy per corruption and severity (%)";
  if (auto it = input.final.find("corruptions.robust_accuracy"); it != input.final.end())
    title += ": mean " + percent_text(it->second.mean) + "%";
  json c = chart(index, title, "bar");
  c["x_title"] = "corruption";
  c["y_title"] = "accuracy (%)";
  for (const auto& row : rows) c["labels"].push_back(row);
  for (const auto& column : columns) {
    json data = json::array();
    for (const auto& row : rows) {
      auto it = table.at(row).find(column);
      data.push_back(it == table.at(row).end() ? json(nullptr) : json(it->second->mean * 100));
    }
    c["datasets"].push_back(
        dataset("severity " + std::to_string(severity_of(column)), std::move(data)));
  }
  out.push_back(std::move(c));
}

/// Any other suite's details: rows on the x axis, one bar per column.
void details_chart(const std::string& suite, size_t index,
                   const std::map<std::string, std::map<std::string, const Stat*>>& table,
                   std::vector<json>& out) {
  std::set<std::string> columns;
  for (const auto& [row, cells] : table)
    for (const auto& [column, stat] : cells) columns.insert(column);
  json c = chart(index, suite + ": details", "bar");
  c["x_title"] = "row";
  c["y_title"] = suite;
  for (const auto& [row, cells] : table) c["labels"].push_back(row);
  for (const auto& column : columns) {
    json data = json::array();
    for (const auto& [row, cells] : table) {
      auto it = cells.find(column);
      data.push_back(it == cells.end() ? json(nullptr) : json(it->second->mean));
    }
    c["datasets"].push_back(dataset(column, std::move(data)));
  }
  out.push_back(std::move(c));
}

/// Search stages: each probe's validation accuracy against its MACs, the chosen level apart.
void search_chart(const ReportInput& input, size_t index, std::vector<json>& out) {
  json c = chart(index, "pruning: validation accuracy against MACs (search probes)", "scatter");
  c["x_title"] = "MACs (M)";
  c["y_title"] = "validation accuracy (%)";
  json chosen = json::array();
  for (const auto& run : input.runs) {
    json points = json::array();
    for (const auto& record : run.stages) {
      if (string_at(record, "kind") != "search") continue;
      const json* probes = find_path(record, "probes");
      if (!probes || !probes->is_array()) continue;
      const std::optional<double> level = number_at(record, "level");
      for (const auto& probe : *probes) {
        const auto macs = number_at(probe, "macs");
        const auto accuracy = number_at(probe, "val_accuracy");
        if (!macs || !accuracy) continue;
        json point = {{"x", *macs / 1e6}, {"y", *accuracy * 100}};
        if (level && number_at(probe, "level") == level) chosen.push_back(point);
        points.push_back(std::move(point));
      }
    }
    if (!points.empty())
      c["datasets"].push_back(dataset(seed_prefix(input, run) + "probes", std::move(points)));
  }
  if (c["datasets"].empty()) return;
  if (!chosen.empty()) {
    c["datasets"].push_back(dataset("chosen level", std::move(chosen)));
    c["datasets"].back()["highlight"] = true;
  }
  out.push_back(std::move(c));
}

}  // namespace

std::vector<json> input_charts(const ReportInput& input, size_t index) {
  std::vector<json> charts;
  epoch_charts(input, index, charts);
  widths_chart(input, index, charts);
  stage_cost_chart(input, index, charts);
  const auto tables = details_tables(input);
  if (auto it = tables.find("corruptions"); it != tables.end())
    corruption_chart(input, index, it->second, charts);
  search_chart(input, index, charts);
  for (const auto& [suite, table] : tables)
    if (suite != "corruptions") details_chart(suite, index, table, charts);
  return charts;
}

}  // namespace gear::report

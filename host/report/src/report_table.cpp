#include "report_table.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "json_fields.h"

namespace gear::report {

const std::array<Figure, kFigureCount> kFigures = {{
    {"clean_percent", "clean %", 1.0, 2},
    {"robust_percent", "robust %", 1.0, 2},
    {"size_percent", "size %", 1.0, 2},
    {"params", "params (M)", 1e-6, 3},
    {"macs", "MACs (M)", 1e-6, 3},
    {"train_seconds", "train time (s)", 1.0, 1},
    {"wall_seconds", "total wall (s)", 1.0, 1},
    {"energy_joules", "energy (J)", 1.0, 1},
    {"latency_batch1_ms", "latency b1 (ms)", 1.0, 3},
    {"latency_batch_ms", "latency at train batch (ms/img)", 1.0, 3},
    {"peak_memory_mib", "peak memory (MiB)", 1.0, 0},
    {"mean_power_watts", "mean power (W)", 1.0, 1},
}};

namespace {

std::optional<Stat> final_figure(const ReportInput& input, const std::string& key,
                                 double factor = 1.0) {
  auto it = input.final.find(key);
  if (it == input.final.end()) return std::nullopt;
  return scaled(it->second, factor);
}

/// Which pipeline an input comes from, at three levels of precision.
struct PipelineIds {
  std::optional<std::string> resolved, group_hash;
  std::string path;
};

PipelineIds pipeline_ids(const ReportInput& input) {
  PipelineIds ids;
  for (const auto& run : input.runs)
    if (run.pipeline_hash) {
      ids.resolved = run.pipeline_hash;
      break;
    }
  if (input.kind == ReportInput::Kind::kGroup)
    ids.group_hash = string_at(input.group, "pipeline_hash");
  ids.path = input.pipeline;
  return ids;
}

std::string pipelines_note(const std::vector<ReportInput>& inputs) {
  if (inputs.size() < 2) return "";
  std::vector<PipelineIds> ids;
  bool all_resolved = true, all_group_hash = true;
  for (const auto& input : inputs) {
    ids.push_back(pipeline_ids(input));
    all_resolved &= ids.back().resolved.has_value();
    all_group_hash &= ids.back().group_hash.has_value();
  }
  // Compare by the most precise identity every input has: the resolved pipeline (every default
  // written out), the group's hash, else the pipeline file as given.
  std::string basis = all_resolved     ? "resolved pipelines"
                      : all_group_hash ? "group pipeline hashes"
                                       : "pipeline files";
  std::map<std::string, std::vector<size_t>> by_id;
  std::vector<std::string> order;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string id = all_resolved     ? *ids[i].resolved
                           : all_group_hash ? *ids[i].group_hash
                                            : ids[i].path;
    if (!by_id.count(id)) order.push_back(id);
    by_id[id].push_back(i);
  }
  if (order.size() < 2) return "";
  std::string note = "The inputs come from " + std::to_string(order.size()) +
                     " different pipelines (by their " + basis + "): ";
  for (size_t p = 0; p < order.size(); ++p) {
    if (p) note += "; ";
    const auto& members = by_id[order[p]];
    note += inputs[members.front()].pipeline.empty() ? "(unnamed pipeline)"
                                                     : inputs[members.front()].pipeline;
    // The file as given may be the same for both (an override, an edited file): the hash tells.
    if (basis != "pipeline files") note += " [" + order[p].substr(0, 8) + "]";
    note += " (";
    for (size_t m = 0; m < members.size(); ++m) note += (m ? ", " : "") + inputs[members[m]].name;
    note += ")";
  }
  return note + ".";
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  // "-0.00" reads as a sign where there is none.
  if (std::string(text).find_first_not_of("-0.") == std::string::npos && text[0] == '-')
    return text + 1;
  return text;
}

std::string full_precision(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

std::string markdown_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

ReportTable build_table(const std::vector<ReportInput>& inputs) {
  ReportTable table;
  for (const auto& input : inputs) {
    TableRow row;
    row.input = input.name;
    row.group = input.kind == ReportInput::Kind::kGroup;
    row.kind = row.group ? "group" : "run";
    row.path = input.dir.string();
    row.pipeline = input.pipeline;
    row.status = input.status;
    // A run is one run, finished or not; a group counts the seeds its statistics cover.
    row.n = row.group ? input.completed : 1;
    row.seeds = input.seeds;
    row.figures[0] = final_figure(input, "clean_accuracy", 100.0);
    row.figures[1] = final_figure(input, "corruptions.robust_accuracy", 100.0);
    row.figures[2] = final_figure(input, "size_percent");
    row.figures[3] = final_figure(input, "params");
    row.figures[4] = final_figure(input, "macs");
    row.figures[5] = input.train_seconds;
    row.figures[6] = input.wall_seconds;
    row.figures[kEnergyFigure] = input.energy_joules;
    // A pruned run's final net is measured in its cost block.
    for (const auto& [index, key] : {std::pair<size_t, std::string>{8, "latency_batch1_seconds"},
                                     {9, "latency_batch_seconds"}}) {
      row.figures[index] = final_figure(input, key, 1000.0);
      if (!row.figures[index])
        row.figures[index] = final_figure(input, "cost.pruned." + key, 1000.0);
    }
    row.figures[10] = input.peak_memory_mib;
    row.figures[kPowerFigure] = input.mean_power_watts;
    row.energy_estimated = input.energy_estimated;
    for (const auto& note : input.notes) row.note += (row.note.empty() ? "" : "; ") + note;
    table.rows.push_back(std::move(row));
  }
  table.pipelines_note = pipelines_note(inputs);
  return table;
}

std::string cell_text(const TableRow& row, size_t figure) {
  const std::optional<Stat>& stat = row.figures[figure];
  if (!stat) return "—";
  const Figure& f = kFigures[figure];
  std::string text = fixed(stat->mean * f.text_scale, f.decimals);
  if (row.group) {
    // group.json gives one run a deviation of 0, which is no spread at all.
    if (stat->std && stat->n > 1) text += " ± " + fixed(*stat->std * f.text_scale, f.decimals);
    if (stat->n != row.n) text += " (n=" + std::to_string(stat->n) + ")";
  }
  if ((figure == kEnergyFigure || figure == kPowerFigure) && row.energy_estimated)
    text += " (est.)";
  return text;
}

std::string n_text(const TableRow& row) {
  if (!row.group || row.n == row.seeds) return std::to_string(row.n);
  return std::to_string(row.n) + "/" + std::to_string(row.seeds);
}

std::string markdown_table(const ReportTable& table) {
  std::string out;
  if (!table.pipelines_note.empty())
    out += "**Note:** " + markdown_cell(table.pipelines_note) + "\n\n";
  out += "| input | n |";
  for (const auto& f : kFigures) out += std::string(" ") + f.header + " |";
  out += " note |\n|---|---:|";
  for (size_t i = 0; i < kFigures.size(); ++i) out += "---:|";
  out += "---|\n";
  for (const auto& row : table.rows) {
    out += "| " + markdown_cell(row.input) + " | " + n_text(row) + " |";
    for (size_t i = 0; i < kFigures.size(); ++i) out += " " + cell_text(row, i) + " |";
    out += " " + markdown_cell(row.note) + " |\n";
  }
  return out;
}

std::string csv_table(const ReportTable& table) {
  std::string out = "input,kind,path,pipeline,status,n,seeds";
  for (const auto& f : kFigures) out += std::string(",") + f.id + "_mean," + f.id + "_std";
  out += ",energy_estimated,different_pipelines,note\n";
  for (const auto& row : table.rows) {
    out += csv_cell(row.input) + "," + row.kind + "," + csv_cell(row.path) + "," +
           csv_cell(row.pipeline) + "," + csv_cell(row.status) + "," + std::to_string(row.n) + "," +
           std::to_string(row.seeds);
    for (const auto& stat : row.figures) {
      out += ",";
      if (stat) out += full_precision(stat->mean);
      out += ",";
      if (stat && stat->std) out += full_precision(*stat->std);
    }
    out += std::string(",") + (row.energy_estimated ? "true" : "false") + "," +
           (table.pipelines_note.empty() ? "false" : "true") + "," + csv_cell(row.note) + "\n";
  }
  return out;
}

}  // namespace gear::report

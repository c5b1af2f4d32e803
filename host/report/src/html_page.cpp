#include "html_page.h"

#include "chart_js.h"
#include "json_fields.h"

namespace gear::report {
namespace {

constexpr char kStyle[] = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1280px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.notes { background: #fff4d6; border: 1px solid #e0b400; padding: .4em .8em; margin: .8em 0; }
.notes p { margin: .3em 0; }
.meta { color: #555; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr));
          gap: 1em; }
.chart { position: relative; height: 320px; border: 1px solid #eee; padding: .3em; }
)";

// Turns the chart specs of report_charts.h into Chart.js charts; stage boundaries are drawn by a
// small plugin, since the annotation plugin is not part of Chart.js.
constexpr char kRenderer[] = R"(
(function () {
  'use strict';
  var spec = JSON.parse(document.getElementById('gear-data').textContent);
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
                 '#7f7f7f', '#bcbd22', '#17becf'];
  var boundaries = {
    id: 'gearBoundaries',
    afterDatasetsDraw: function (chart, args, options) {
      var marks = (options && options.marks) || [];
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#777';
      ctx.fillStyle = '#444';
      ctx.setLineDash([4, 3]);
      ctx.font = '10px sans-serif';
      marks.forEach(function (mark, k) {
        var px = mark.at > 0 ? (x.getPixelForValue(mark.at - 1) + x.getPixelForValue(mark.at)) / 2
                             : area.left;
        if (mark.at > 0) {
          ctx.beginPath();
          ctx.moveTo(px, area.top);
          ctx.lineTo(px, area.bottom);
          ctx.stroke();
        }
        ctx.fillText(mark.label, px + 3, area.top + 10 + (k % 3) * 11);
      });
      ctx.restore();
    }
  };
  function config(c) {
    var datasets = c.datasets.map(function (d, k) {
      var color = palette[k % palette.length];
      return {
        label: d.label, data: d.data, yAxisID: d.axis, borderColor: color,
        backgroundColor: c.type === 'bar' ? color + 'cc' : color,
        borderWidth: c.type === 'bar' ? 0 : 2, borderDash: d.dashed ? [5, 3] : [],
        pointRadius: c.type === 'scatter' ? 4 : (c.labels.length > 40 ? 0 : 2)
      };
    }).map(function (ds, k) {
      // A highlighted set (the chosen search level) rings the points it shares with others.
      if (c.datasets[k].highlight) {
        ds.pointRadius = 9;
        ds.backgroundColor = 'rgba(0,0,0,0)';
        ds.borderWidth = 2.5;
      }
      return ds;
    });
    var scales = {
      x: {type: c.type === 'scatter' ? 'linear' : 'category',
          title: {display: !!c.x_title, text: c.x_title}},
      y: {position: 'left', title: {display: !!c.y_title, text: c.y_title}}
    };
    if (c.y1_title)
      scales.y1 = {position: 'right', grid: {drawOnChartArea: false},
                   title: {display: true, text: c.y1_title}};
    return {
      type: c.type,
      data: {labels: c.labels, datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, scales: scales,
        plugins: {title: {display: true, text: c.title}, legend: {position: 'bottom'},
                  gearBoundaries: {marks: c.boundaries || []}}
      },
      plugins: [boundaries]
    };
  }
  spec.charts.forEach(function (c, k) {
    var box = document.createElement('div');
    box.className = 'chart';
    var canvas = document.createElement('canvas');
    canvas.id = 'chart-' + k;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', c.title);
    box.appendChild(canvas);
    document.getElementById('charts-' + c.input).appendChild(box);
    new Chart(canvas, config(c));
  });
})();
)";

std::string names_of(const std::vector<ReportInput>& inputs) {
  std::string names;
  for (size_t i = 0; i < inputs.size(); ++i) names += (i ? ", " : "") + inputs[i].name;
  return names;
}

std::string input_meta(const ReportInput& input) {
  std::string meta = input.kind == ReportInput::Kind::kGroup
                         ? "group of " + std::to_string(input.seeds) + " seeds"
                         : "run";
  meta += " · " + input.dir.string();
  if (!input.pipeline.empty()) meta += " · pipeline " + input.pipeline;
  meta += " · status " + input.status;
  if (const RunData* run = input.first_run()) {
    for (const char* key : {"dataset", "architecture", "device"})
      if (auto value = string_at(run->summary, key))
        meta += std::string(" · ") + key + " " + *value;
    if (auto meter = string_at(run->summary, "meter.name"); meter && *meter == "none") {
      meta += " · no energy meter";
    } else if (meter) {
      meta += " · energy meter " + *meter;
      if (auto method = string_at(run->summary, "meter.method")) meta += " (" + *method + ")";
      if (bool_at(run->summary, "meter.estimate")) meta += ", an estimate";
    }
  }
  return meta;
}

void table_html(const ReportTable& table, const std::vector<ReportInput>& inputs,
                std::string& out) {
  out += "<table class=\"results\">\n<tr><th>input</th><th>n</th>";
  for (const auto& f : kFigures) out += "<th>" + html_escape(f.header) + "</th>";
  out += "<th>note</th></tr>\n";
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const TableRow& row = table.rows[i];
    out += "<tr><td><a href=\"#input-" + std::to_string(i) + "\">" + html_escape(row.input) +
           "</a></td><td class=\"num\">" + html_escape(n_text(row)) + "</td>";
    for (size_t f = 0; f < kFigures.size(); ++f)
      out += "<td class=\"num\">" + html_escape(cell_text(row, f)) + "</td>";
    out += "<td>" + html_escape(row.note) + "</td></tr>\n";
  }
  out += "</table>\n";
  (void)inputs;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string script_safe_json(const nlohmann::json& data) {
  // '<' occurs only inside JSON strings, where \u003c is the same character.
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

std::string html_page(const std::vector<ReportInput>& inputs, const ReportTable& table,
                      const std::vector<nlohmann::json>& charts) {
  const std::string title = "GEAR report: " + names_of(inputs);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n";
  out += "<body>\n<h1>" + html_escape(title) + "</h1>\n";

  // Failures first, where they are seen; the pipelines note goes above the table.
  std::vector<std::string> notes;
  for (const auto& input : inputs)
    for (const auto& note : input.notes) notes.push_back(input.name + ": " + note);
  if (!notes.empty()) {
    out += "<div class=\"notes\" id=\"notes\">\n";
    for (const auto& note : notes) out += "<p>" + html_escape(note) + "</p>\n";
    out += "</div>\n";
  }

  out += "<h2>Results</h2>\n";
  if (!table.pipelines_note.empty())
    out +=
        "<p class=\"notes\" id=\"pipelines-note\">" + html_escape(table.pipelines_note) + "</p>\n";
  table_html(table, inputs, out);
  out +=
      "<p class=\"meta\">clean and robust: test accuracy (%); robust: mean over corruptions "
      "and severities; train time: the train and grow stages; groups: mean ± sample standard "
      "deviation over the completed seeds (n).</p>\n";

  for (size_t i = 0; i < inputs.size(); ++i) {
    const ReportInput& input = inputs[i];
    out += "<section id=\"input-" + std::to_string(i) + "\">\n<h2>" + html_escape(input.name) +
           "</h2>\n<p class=\"meta\">" + html_escape(input_meta(input)) + "</p>\n";
    if (!input.notes.empty()) {
      out += "<div class=\"notes\">";
      for (const auto& note : input.notes) out += "<p>" + html_escape(note) + "</p>";
      out += "</div>\n";
    }
    bool any = false;
    for (const auto& c : charts) any |= c.value("input", size_t(-1)) == i;
    if (!any) out += "<p class=\"meta\">no records to chart</p>\n";
    out += "<div class=\"charts\" id=\"charts-" + std::to_string(i) + "\"></div>\n</section>\n";
  }

  nlohmann::json listed = nlohmann::json::array();
  for (const auto& input : inputs)
    listed.push_back({{"name", input.name},
                      {"kind", input.kind == ReportInput::Kind::kGroup ? "group" : "run"},
                      {"path", input.dir.string()},
                      {"status", input.status},
                      {"notes", input.notes}});
  out += "<script type=\"application/json\" id=\"gear-data\">" +
         script_safe_json({{"inputs", listed}, {"charts", charts}}) + "</script>\n";
  out += "<script>\n";
  out += chart_js_source();
  out += "\n</script>\n<script>";
  out += kRenderer;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace gear::report

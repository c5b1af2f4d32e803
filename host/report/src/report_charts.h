#pragma once

/// @file
/// The charts of the page as data: each chart is a small JSON spec (type, labels, datasets,
/// axis titles, stage boundaries) that the page's script turns into a Chart.js chart. Building
/// them here keeps the page's script generic and the figures testable without a browser.

#include <nlohmann/json.hpp>
#include <vector>

#include "report_inputs.h"

namespace gear::report {

/// The charts of input `index`, in page order: accuracy and loss per epoch, widths before and
/// after growth, time and energy per stage, robust accuracy per corruption and severity,
/// pruning accuracy against MACs, and every other suite's details table. Each spec holds
/// `input` (the index), `title`, `type` ("line", "bar", "scatter"), `labels`, `datasets`
/// ([{label, data, axis ("y" or "y1"), optional dashed and highlight}]), `x_title`, `y_title`,
/// optional `y1_title` and `boundaries` ([{at, label}]: the epoch index where a stage begins).
std::vector<nlohmann::json> input_charts(const ReportInput& input, size_t index);

}  // namespace gear::report

#pragma once

/// @file
/// The report page: one self-contained HTML file (Chart.js and the data inline) that opens
/// offline in any browser.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report_inputs.h"
#include "report_table.h"

namespace gear::report {

/// `text` with &, <, >, " and ' as HTML character references.
std::string html_escape(const std::string& text);

/// `data` as JSON safe inside a <script> element: every '<' becomes \u003c, so neither
/// "</script>" nor "<!--" in a run name or error ends or changes the block.
std::string script_safe_json(const nlohmann::json& data);

/// The page: title and inputs, notes (failures, different pipelines), the table, and each
/// input's `charts` (report_charts.h), drawn by the inline script.
std::string html_page(const std::vector<ReportInput>& inputs, const ReportTable& table,
                      const std::vector<nlohmann::json>& charts);

}  // namespace gear::report

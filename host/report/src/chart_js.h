#pragma once

/// @file
/// Chart.js (the UMD build), embedded into the library when it is built so that the report page
/// carries it inline and opens offline without the file the build read it from.

#include <string_view>

namespace gear::report {

/// The Chart.js source text, as read from GEAR_CHART_JS when the library was configured.
std::string_view chart_js_source();

}  // namespace gear::report

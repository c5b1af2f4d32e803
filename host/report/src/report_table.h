#pragma once

/// @file
/// The side-by-side table of the inputs in the GEARnn paper's format (clean %, robust %, size %,
/// params, MACs, train time, wall time, energy, latency at batch 1), with its Markdown and CSV
/// forms; the HTML page shows the same cells.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "report_inputs.h"
#include "stats.h"

namespace gear::report {

/// One column of figures.
struct Figure {
  /// CSV column stem (`<id>_mean`, `<id>_std`), in the CSV's units.
  const char* id;
  /// Markdown and HTML header.
  const char* header;
  /// Factor from the CSV's units to the header's (params are counted in the CSV, millions in
  /// the text), and the decimals shown.
  double text_scale;
  int decimals;
};

/// The figure columns, in table order.
constexpr size_t kFigureCount = 12;
extern const std::array<Figure, kFigureCount> kFigures;
/// Index of the energy column (marked "(est.)" when estimated).
constexpr size_t kEnergyFigure = 7;
constexpr size_t kPowerFigure = 11;  ///< also marked "(est.)" when the energy is estimated

/// One input's row.
struct TableRow {
  std::string input, kind, path, pipeline, status;
  /// Completed runs (1 or 0 for a run) and seeds.
  int n = 1, seeds = 1;
  bool group = false;
  std::array<std::optional<Stat>, kFigures.size()> figures;
  bool energy_estimated = false;
  /// The input's notes joined ("failed at stage 2: ...").
  std::string note;
};

/// The table of all inputs.
struct ReportTable {
  std::vector<TableRow> rows;
  /// Said above the table: the inputs come from different pipelines.
  std::string pipelines_note;
};

/// Builds the table; `pipelines_note` is set when the inputs' pipelines differ.
ReportTable build_table(const std::vector<ReportInput>& inputs);

/// The text of one figure cell: "92.31", "92.31 ± 0.12" for groups (" (n=2)" when fewer seeds
/// than the row's have it), "(est.)" after estimated energy, "—" when missing.
std::string cell_text(const TableRow& row, size_t figure);

/// The row's n column: "1", "3", or "2/3" when a group has fewer completed runs than seeds.
std::string n_text(const TableRow& row);

/// The table as GitHub Markdown, preceded by the pipelines note when there is one.
std::string markdown_table(const ReportTable& table);

/// The table as CSV: one row per input, `<figure>_mean` and `<figure>_std` columns in the CSV
/// units (full precision), then `energy_estimated` and `note`.
std::string csv_table(const ReportTable& table);

}  // namespace gear::report

// metrics.csv: one row per call, and columns that a later row adds keep every row aligned.
#include "gear/host/run_folder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_support.h"

namespace gear::host {
namespace {

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(RunFolder, MetricsRowsKeepTheirColumnsWhenALaterRowAddsSome) {
  const auto root = test::temp_dir("run-folder") / "run";
  RunFolder folder(root);
  folder.append_metrics({{"epoch", 1}, {"train_loss", 0.5}});
  folder.append_metrics({{"epoch", 2}, {"train_loss", 0.25}});
  EXPECT_EQ(lines_of(root / "metrics.csv"),
            (std::vector<std::string>{"epoch,train_loss", "1,0.5", "2,0.25"}));
  // An objective's figures appear in a later stage: the header widens, earlier rows stay.
  folder.append_metrics({{"epoch", 1}, {"jsd.ce", 0.125}, {"train_loss", 0.75}});
  folder.append_metrics({{"epoch", 2}, {"jsd.ce", 0.0625}, {"train_loss", 0.5}});
  EXPECT_EQ(lines_of(root / "metrics.csv"),
            (std::vector<std::string>{"epoch,train_loss,jsd.ce", "1,0.5,", "2,0.25,",
                                      "1,0.75,0.125", "2,0.5,0.0625"}));
  // Fewer keys than the header: empty fields, no new columns.
  folder.append_metrics({{"epoch", 3}});
  EXPECT_EQ(lines_of(root / "metrics.csv").back(), "3,,");
}

}  // namespace
}  // namespace gear::host

// Reading the inputs: bad folders and files are ReportErrors naming the path and the reason;
// missing optional fields are not errors; where the outputs go.
#include <gtest/gtest.h>

#include "report_test_support.h"

namespace gear::report::fixtures {
namespace {

namespace fs = std::filesystem;

/// The ReportError message of running the report on `inputs` ("" when none is thrown).
std::string error_of(const std::vector<fs::path>& inputs, const fs::path& dir) {
  ReportRequest request;
  request.inputs = inputs;
  request.html = dir / "report.html";
  request.print_table = false;
  try {
    run_report(request);
  } catch (const ReportError& e) {
    return e.what();
  }
  return "";
}

TEST(ReportInputs, FolderThatIsNeitherRunNorGroupIsNamed) {
  const fs::path dir = fresh_folder();
  fs::create_directories(dir / "empty");
  const std::string error = error_of({dir / "empty"}, dir);
  EXPECT_NE(error.find((dir / "empty").string() + ": neither a run folder"), std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(dir / "report.html")) << "nothing is written for bad input";
}

TEST(ReportInputs, MissingPathIsNamed) {
  const fs::path dir = fresh_folder();
  const std::string error = error_of({dir / "nowhere"}, dir);
  EXPECT_EQ(error, (dir / "nowhere").string() + ": does not exist");
}

TEST(ReportInputs, RunFolderWithoutSummaryNamesTheFile) {
  const fs::path dir = fresh_folder();
  write_json(dir / "run" / "stages.json", completed_stages());
  const std::string error = error_of({dir / "run"}, dir);
  EXPECT_EQ(error.rfind((dir / "run" / "summary.json").string() + ": missing", 0), 0u) << error;
}

TEST(ReportInputs, UnparseableSummaryNamesTheFileAndTheJsonError) {
  const fs::path dir = fresh_folder();
  write_text(dir / "run" / "summary.json", "{\"name\": \"x\", \"status\": ");
  const std::string error = error_of({dir / "run"}, dir);
  EXPECT_EQ(error.rfind((dir / "run" / "summary.json").string() + ": not valid JSON: ", 0), 0u)
      << error;
  EXPECT_NE(error.find("parse error"), std::string::npos) << error;
}

TEST(ReportInputs, UnparseableMemberSummaryOfAGroupNamesTheFile) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  write_text(dir / "beta" / "seed-2" / "summary.json", "[1, 2");
  const std::string error = error_of({dir / "beta"}, dir);
  EXPECT_NE(error.find((dir / "beta" / "seed-2" / "summary.json").string()), std::string::npos)
      << error;
}

TEST(ReportInputs, NoInputsIsAnError) {
  const fs::path dir = fresh_folder();
  EXPECT_NE(error_of({}, dir).find("no inputs"), std::string::npos);
}

TEST(ReportInputs, ASummaryFileStandsForItsFolder) {
  const fs::path dir = fresh_folder();
  write_run(dir / "alpha", completed_summary("alpha"), completed_stages(), completed_metrics(), "");
  const ReportOutputs out = report_of({dir / "alpha" / "summary.json"}, dir);
  EXPECT_EQ(markdown_cell(out.markdown, "alpha", "clean %"), "91.23");
}

TEST(ReportInputs, MissingOptionalFieldsAreDashes) {
  const fs::path dir = fresh_folder();
  // A run from before energy, meters and latency: only status and a clean accuracy.
  write_json(dir / "old" / "summary.json",
             {{"status", "completed"}, {"final", {{"clean_accuracy", 0.5}}}});
  const ReportOutputs out = report_of({dir / "old"}, dir);
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(markdown_cell(out.markdown, "old", "clean %"), "50.00");
  EXPECT_EQ(markdown_cell(out.markdown, "old", "energy (J)"), "—");
  EXPECT_EQ(markdown_cell(out.markdown, "old", "train time (s)"), "—");
  EXPECT_NE(out.html.find("no records to chart"), std::string::npos);
}

TEST(ReportInputs, OutputsGoWhereTheRequestSays) {
  const fs::path dir = fresh_folder();
  write_run(dir / "alpha", completed_summary("alpha"), completed_stages(), completed_metrics(), "");
  ReportRequest request;
  request.inputs = {dir / "alpha"};
  // One input: the page goes into it; the table goes to stdout, and so does "--csv -".
  request.csv = "-";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_report(request), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(fs::is_regular_file(dir / "alpha" / "report.html"));
  EXPECT_EQ(out.rfind("| input | n | clean % |", 0), 0u) << out;
  EXPECT_NE(out.find("\ninput,kind,path,pipeline,status,n,seeds,clean_percent_mean,"),
            std::string::npos)
      << out;

  request.print_table = false;  // --quiet
  request.csv.reset();
  ::testing::internal::CaptureStdout();
  run_report(request);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
}

}  // namespace
}  // namespace gear::report::fixtures

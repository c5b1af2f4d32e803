// The page's text: escaping of names and notes in the HTML and in the JSON data block, and
// Chart.js inline.
#include "html_page.h"

#include <gtest/gtest.h>

#include "report_test_support.h"

namespace gear::report::fixtures {
namespace {

namespace fs = std::filesystem;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HtmlPage, ScriptSafeJsonHasNoTagsAndRoundTrips) {
  const nlohmann::json data = {{"name", "a</script><!--b<c"}};
  const std::string text = script_safe_json(data);
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(text), data);
}

TEST(HtmlPage, NamesAreEscapedInTheHtmlAndInTheDataBlock) {
  const fs::path dir = fresh_folder();
  const std::string name = "alpha</script><!--";
  write_run(dir / "alpha", completed_summary(name), completed_stages(), completed_metrics(), "");
  const ReportOutputs out = report_of({dir / "alpha"}, dir);
  EXPECT_NE(out.html.find("<h1>GEAR report: alpha&lt;/script&gt;&lt;!--</h1>"), std::string::npos);
  // Exactly the page's three scripts end: the data, Chart.js and the renderer.
  EXPECT_EQ(count(out.html, "</script"), 3u);
  EXPECT_EQ(count(out.html, "<!--"), 0u);
  const std::string open = "<script type=\"application/json\" id=\"gear-data\">";
  const size_t begin = out.html.find(open) + open.size();
  const size_t end = out.html.find("</script>", begin);
  const nlohmann::json data = nlohmann::json::parse(out.html.substr(begin, end - begin));
  EXPECT_EQ(data["inputs"][0]["name"], name);
  EXPECT_EQ(data["charts"].size(), 7u);
}

TEST(HtmlPage, ChartJsIsInline) {
  const fs::path dir = fresh_folder();
  write_run(dir / "alpha", completed_summary("alpha"), completed_stages(), completed_metrics(), "");
  const ReportOutputs out = report_of({dir / "alpha"}, dir);
  EXPECT_NE(out.html.find("Chart.js v3"), std::string::npos);
  EXPECT_NE(out.html.find("define.amd"), std::string::npos);
  EXPECT_EQ(out.html.find("<script src"), std::string::npos) << "the page must open offline";
  EXPECT_GT(out.html.size(), 150000u);
}

}  // namespace
}  // namespace gear::report::fixtures

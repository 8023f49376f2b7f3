#include "tools/bench/report.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/testutil/testutil.h"
#include "tools/bench/report_svg.h"

namespace ziggydb::bench {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

nlohmann::json Line(const std::string& engine, const std::string& phase, double rate) {
  return {
      {"engine", engine},
      {"workload", "ycsba"},
      {"kind", "ycsb"},
      {"phase", phase},
      {"ok", true},
      {"ops_per_sec", rate},
      {"timeline_ops_per_sec", {rate, rate * 1.1, rate * 0.9}},
      {"ops",
       {{"read", {{"p50_us", 1.5}, {"p95_us", 3}, {"p99_us", 9}, {"p999_us", 40}, {"max_us", 900}}},
        {"update",
         {{"p50_us", 2}, {"p95_us", 4}, {"p99_us", 0}, {"p999_us", 50}, {"max_us", 1e4}}}}}};
}

TEST(XmlEscape, EscapesMarkupAndControlCharacters) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&#39;?");
}

TEST(ShortNumber, UsesSuffixes) {
  EXPECT_EQ(ShortNumber(950), "950");
  EXPECT_EQ(ShortNumber(12500), "12.5k");
  EXPECT_EQ(ShortNumber(3.2e6), "3.2M");
}

TEST(RenderLineChart, DrawsOnePolylinePerSeriesAndDropsNonPositiveOnLogScale) {
  LineChart chart;
  chart.title = "t <&>";
  chart.log_y = true;
  chart.x_categories = {"p50", "p99"};
  chart.series = {{"ziggydb", {}, {1, 100}}, {"rocksdb", {}, {0, 10}}};
  const std::string svg = RenderLineChart(chart);
  EXPECT_EQ(Count(svg, "<polyline"), 2u);
  EXPECT_EQ(Count(svg, "<circle"), 3u);  // the 0 of rocksdb is not drawn on a log axis
  EXPECT_NE(svg.find("t &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("t <&>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<svg"), Count(svg, "</svg>"));
}

TEST(WriteBenchReport, WritesIndexAndOneSvgPerChart) {
  test::TempDir dir;
  std::vector<nlohmann::json> lines = {Line("ziggydb", "load", 1000),
                                       Line("ziggydb", "run", 2000),
                                       Line("rock<s>", "load", 500),
                                       Line("rock<s>", "run", 800),
                                       {{"engine", "lmdb"}, {"ok", false}}};
  std::vector<std::string> files;
  ASSERT_TRUE(WriteBenchReport(lines, dir.Join("r"), &files).ok());
  // throughput + per phase (timeline + read + update latency) x 2 phases + index.html
  EXPECT_EQ(files.size(), 1u + 2 * 3 + 1);
  for (const std::string& f : files)
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  const std::string html = ReadAll(dir.Join("r/index.html"));
  EXPECT_EQ(Count(html, "<svg"), 7u);
  EXPECT_EQ(Count(html, "</svg>"), 7u);
  EXPECT_NE(html.find("rock&lt;s&gt;"), std::string::npos);
  EXPECT_EQ(html.find("rock<s>"), std::string::npos);
  EXPECT_EQ(html.find("lmdb"), std::string::npos);   // failed lines are left out
  EXPECT_NE(html.find("2.50x"), std::string::npos);  // ziggydb 2000 / 800 in the run phase
  EXPECT_TRUE(std::filesystem::exists(dir.Join("r/latency-ycsba-run-update.svg")));
}

TEST(ReadJsonLines, ParsesLinesAndNamesABadOne) {
  test::TempDir dir;
  {
    std::ofstream out(dir.Join("a.json"));
    out << "{\"engine\":\"x\"}\n\n{\"engine\":\"y\"}\n";
    std::ofstream bad(dir.Join("b.json"));
    bad << "{\"engine\":\"x\"}\n{oops\n";
  }
  std::vector<nlohmann::json> lines;
  ASSERT_TRUE(ReadJsonLines(dir.Join("a.json"), &lines).ok());
  EXPECT_EQ(lines.size(), 2u);
  lines.clear();
  const Status s = ReadJsonLines(dir.Join("b.json"), &lines);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("b.json:2"), std::string::npos) << s.ToString();
  EXPECT_TRUE(ReadJsonLines(dir.Join("missing.json"), &lines).IsIOError());
}

}  // namespace
}  // namespace ziggydb::bench

// Minimal SVG charts for the bench report, rendered to strings: a line chart (numeric or
// categorical x, linear or log10 y) and a grouped bar chart, each with title, axis labels, ticks
// and a legend. Output is well-formed XML (every text escaped) and needs no scripts or fonts
// beyond the generic sans-serif.
#ifndef ZIGGYDB_TOOLS_BENCH_REPORT_SVG_H_
#define ZIGGYDB_TOOLS_BENCH_REPORT_SVG_H_

#include <string>
#include <string_view>
#include <vector>

namespace ziggydb::bench {

struct ChartSeries {
  std::string name;
  std::vector<double> x;  // ignored when the chart has categories: point i sits at category i
  std::vector<double> y;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> x_categories;  // empty: x is numeric
  bool log_y = false;                     // log10 y axis; non-positive values are dropped
  std::vector<ChartSeries> series;
};

struct BarChart {
  std::string title;
  std::string y_label;
  std::vector<std::string> groups;          // x axis categories
  std::vector<std::string> series_names;    // one bar per series in every group
  std::vector<std::vector<double>> values;  // [series][group]; <= 0 draws no bar
};

std::string RenderLineChart(const LineChart& chart);
std::string RenderBarChart(const BarChart& chart);

// &, <, >, " and ' as entities.
std::string XmlEscape(std::string_view text);
// A fixed colour per known engine (ZiggyDB, RocksDB, LevelDB, LMDB), else from a palette by index.
std::string SeriesColor(std::string_view name, size_t index);
// "950", "12.5k", "3.2M": short labels for axis ticks.
std::string ShortNumber(double value);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_REPORT_SVG_H_

#include "tools/bench/report_svg.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/core.h>

namespace ziggydb::bench {
namespace {

// Frame of every chart, in pixels.
constexpr double kHeight = 380;
constexpr double kLeft = 84;
constexpr double kRight = 170;  // the legend sits here
constexpr double kTop = 44;
constexpr double kBottom = 64;
constexpr double kLineWidth = 760;
constexpr double kBarSlot = 14;  // minimum pixels per bar
constexpr int kTicksTarget = 6;
constexpr size_t kMarkersMax = 40;  // points drawn with markers at most

// One axis: the data range shown and where its ticks go.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;

  // Position of `v` between pixel p0 (at lo) and p1 (at hi).
  double Map(double v, double p0, double p1) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

Axis LinearAxis(double lo, double hi) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / kTicksTarget;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  Axis axis;
  axis.lo = std::floor(lo / step) * step;
  axis.hi = std::ceil(hi / step) * step;
  for (double t = axis.lo; t <= axis.hi + step / 2; t += step)
    axis.ticks.push_back(std::abs(t) < step / 1e6 ? 0.0 : t);
  return axis;
}

Axis LogAxis(double lo, double hi) {
  Axis axis;
  axis.log = true;
  const double lo_exp = std::floor(std::log10(lo));
  double hi_exp = std::ceil(std::log10(hi));
  if (hi_exp <= lo_exp) hi_exp = lo_exp + 1;
  axis.lo = std::pow(10.0, lo_exp);
  axis.hi = std::pow(10.0, hi_exp);
  for (double e = lo_exp; e <= hi_exp; ++e)
    axis.ticks.push_back(std::pow(10.0, e));
  return axis;
}

std::string Header(double width, double height, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<title>{2}</title>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" fill=\"#ffffff\"/>\n"
      "<text x=\"{3:.1f}\" y=\"24\" font-size=\"15\" font-weight=\"bold\" "
      "text-anchor=\"middle\">{2}</text>\n",
      width, height, XmlEscape(title), width / 2);
}

// The y axis with grid lines and tick labels, the axis labels, and the plot frame.
std::string Frame(const Axis& y, double x0, double x1, double y0, double y1,
                  const std::string& x_label, const std::string& y_label) {
  std::string out;
  for (double t : y.ticks) {
    const double py = y.Map(t, y1, y0);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#dddddd\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        x0, py, x1, py, x0 - 6, py + 4, XmlEscape(ShortNumber(t)));
  }
  out += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
      "stroke=\"#333333\"/>\n",
      x0, y0, x1 - x0, y1 - y0);
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                     (x0 + x1) / 2, kHeight - 12, XmlEscape(x_label));
  out += fmt::format(
      "<text x=\"18\" y=\"{0:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {0:.1f})\">"
      "{1}</text>\n",
      (y0 + y1) / 2, XmlEscape(y_label));
  return out;
}

std::string Legend(const std::vector<std::string>& names, double x) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    const double y = kTop + 8 + 20 * static_cast<double>(i);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"14\" height=\"10\" fill=\"{}\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
        x, y, SeriesColor(names[i], i), x + 20, y + 10, XmlEscape(names[i]));
  }
  return out;
}

// The x axis of a line chart: categories, or a linear axis over the series' x values.
Axis LineXAxis(const LineChart& chart) {
  if (!chart.x_categories.empty()) {
    Axis axis;
    axis.lo = -0.5;
    axis.hi = static_cast<double>(chart.x_categories.size()) - 0.5;
    return axis;
  }
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (const ChartSeries& s : chart.series)
    for (double x : s.x) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  return lo > hi ? LinearAxis(0, 1) : LinearAxis(lo, hi);
}

Axis LineYAxis(const LineChart& chart) {
  double lo = std::numeric_limits<double>::max(), hi = 0;
  for (const ChartSeries& s : chart.series)
    for (double y : s.y) {
      if (chart.log_y && y <= 0) continue;
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  if (lo > hi) return chart.log_y ? LogAxis(1, 10) : LinearAxis(0, 1);
  return chart.log_y ? LogAxis(lo, hi) : LinearAxis(0, hi);
}

std::string XTicks(const LineChart& chart, const Axis& x, double x0, double x1, double y1) {
  std::string out;
  auto tick = [&](double v, const std::string& label) {
    const double px = x.Map(v, x0, x1);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#333333\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        px, y1, y1 + 5, y1 + 18, XmlEscape(label));
  };
  if (!chart.x_categories.empty()) {
    for (size_t i = 0; i < chart.x_categories.size(); ++i)
      tick(static_cast<double>(i), chart.x_categories[i]);
  } else {
    for (double t : x.ticks)
      tick(t, ShortNumber(t));
  }
  return out;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
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
        // Control characters are not allowed in XML 1.0 text.
        out += static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' ? '?' : c;
    }
  }
  return out;
}

std::string SeriesColor(std::string_view name, size_t index) {
  if (name == "ziggydb") return "#d62728";
  if (name == "rocksdb") return "#1f77b4";
  if (name == "leveldb") return "#2ca02c";
  if (name == "lmdb") return "#9467bd";
  static const char* const kPalette[] = {"#ff7f0e", "#8c564b", "#e377c2",
                                         "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[index % std::size(kPalette)];
}

std::string ShortNumber(double value) {
  const double a = std::abs(value);
  if (a >= 1e9) return fmt::format("{:g}G", value / 1e9);
  if (a >= 1e6) return fmt::format("{:g}M", value / 1e6);
  if (a >= 1e4) return fmt::format("{:g}k", value / 1e3);
  return fmt::format("{:g}", value);
}

std::string RenderLineChart(const LineChart& chart) {
  const double x0 = kLeft, x1 = kLineWidth - kRight, y0 = kTop, y1 = kHeight - kBottom;
  const Axis x = LineXAxis(chart);
  const Axis y = LineYAxis(chart);
  std::string out = Header(kLineWidth, kHeight, chart.title);
  out += Frame(y, x0, x1, y0, y1, chart.x_label, chart.y_label);
  out += XTicks(chart, x, x0, x1, y1);
  std::vector<std::string> names;
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const ChartSeries& s = chart.series[i];
    names.push_back(s.name);
    const std::string color = SeriesColor(s.name, i);
    std::string points, markers;
    const size_t n = std::min(s.y.size(), chart.x_categories.empty() ? s.x.size() : s.y.size());
    for (size_t k = 0; k < n; ++k) {
      if (chart.log_y && s.y[k] <= 0) continue;
      const double px = x.Map(chart.x_categories.empty() ? s.x[k] : static_cast<double>(k), x0, x1);
      const double py = y.Map(s.y[k], y1, y0);
      points += fmt::format("{:.1f},{:.1f} ", px, py);
      if (n <= kMarkersMax) {
        markers += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px,
                               py, color);
      }
    }
    out +=
        fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n{}",
                    color, points, markers);
  }
  out += Legend(names, x1 + 14);
  out += "</svg>\n";
  return out;
}

std::string RenderBarChart(const BarChart& chart) {
  const double groups = static_cast<double>(std::max<size_t>(chart.groups.size(), 1));
  const double bars = static_cast<double>(std::max<size_t>(chart.series_names.size(), 1));
  const double width = std::max(kLineWidth, kLeft + kRight + groups * (bars + 1) * kBarSlot);
  const double bottom = kBottom + 40;  // room for slanted group labels
  const double x0 = kLeft, x1 = width - kRight, y0 = kTop, y1 = kHeight + 40 - bottom;
  double hi = 0;
  for (const auto& row : chart.values)
    for (double v : row)
      hi = std::max(hi, v);
  const Axis y = LinearAxis(0, hi > 0 ? hi : 1);
  std::string out = Header(width, kHeight + 40, chart.title);
  out += Frame(y, x0, x1, y0, y1, "", chart.y_label);
  const double group_width = (x1 - x0) / groups;
  const double bar_width = group_width * 0.8 / bars;
  for (size_t g = 0; g < chart.groups.size(); ++g) {
    const double gx = x0 + group_width * static_cast<double>(g);
    for (size_t s = 0; s < chart.values.size() && s < chart.series_names.size(); ++s) {
      const double v = g < chart.values[s].size() ? chart.values[s][g] : 0;
      if (v <= 0) continue;
      const double top = y.Map(v, y1, y0);
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>{} {}: {}</title></rect>\n",
          gx + group_width * 0.1 + bar_width * static_cast<double>(s), top, bar_width, y1 - top,
          SeriesColor(chart.series_names[s], s), XmlEscape(chart.series_names[s]),
          XmlEscape(chart.groups[g]), XmlEscape(ShortNumber(v)));
    }
    const double lx = gx + group_width / 2;
    out += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"end\" transform=\"rotate(-30 {0:.1f} "
        "{1:.1f})\">{2}</text>\n",
        lx, y1 + 16, XmlEscape(chart.groups[g]));
  }
  out += Legend(chart.series_names, x1 + 14);
  out += "</svg>\n";
  return out;
}

}  // namespace ziggydb::bench

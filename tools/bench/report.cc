#include "tools/bench/report.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/core.h>
#include <fmt/format.h>

#include "tools/bench/report_svg.h"
#include "tools/cli_util.h"
#include "tools/json_output.h"

namespace ziggydb::bench {
namespace {

using tools::JsonNumber;

// The operation types in chart order; db_bench lines use the same names.
constexpr const char* kOpTypes[] = {"read", "update", "insert", "scan", "rmw"};
constexpr const char* kPercentileKeys[] = {"p50_us", "p95_us", "p99_us", "p999_us", "max_us"};
constexpr const char* kPercentileNames[] = {"p50", "p95", "p99", "p99.9", "max"};

// What the report needs of one JSON line.
struct Entry {
  std::string engine, workload, phase;
  double ops_per_sec = 0;
  std::vector<double> timeline;
  nlohmann::json ops;  // {<op type>: {p50_us, ...}}
  nlohmann::json line;
};

// The usable lines (ok, not skipped, not a transaction cell: those are a grid of
// threads x isolation the charts have no axis for), the last one winning for a repeated (engine,
// workload, phase); engines and workloads in order of first appearance.
struct ReportData {
  std::vector<Entry> entries;
  std::vector<std::string> engines;
  std::vector<std::string> workloads;

  const Entry* Find(const std::string& engine, const std::string& workload,
                    const std::string& phase) const {
    for (const Entry& e : entries)
      if (e.engine == engine && e.workload == workload && e.phase == phase) return &e;
    return nullptr;
  }
};

ReportData Collect(const std::vector<nlohmann::json>& lines) {
  ReportData data;
  for (const nlohmann::json& j : lines) {
    if (!j.is_object() || !j.value("ok", false) || j.value("skipped", false)) continue;
    if (j.value("kind", "") == "txn") continue;
    Entry e;
    e.engine = j.value("engine", "?");
    e.workload = j.value("workload", "?");
    e.phase = j.value("phase", "run");
    e.ops_per_sec =
        j.contains("ops_per_sec") ? JsonNumber(j, "ops_per_sec") : JsonNumber(j, "ops_per_second");
    if (j.contains("timeline_ops_per_sec") && j["timeline_ops_per_sec"].is_array()) {
      for (const nlohmann::json& v : j["timeline_ops_per_sec"])
        if (v.is_number()) e.timeline.push_back(v.get<double>());
    }
    if (j.contains("ops") && j["ops"].is_object()) e.ops = j["ops"];
    if (j.contains("op_latency") && j["op_latency"].is_object()) e.ops = j["op_latency"];
    e.line = j;
    auto same = [&e](const Entry& o) {
      return o.engine == e.engine && o.workload == e.workload && o.phase == e.phase;
    };
    data.entries.erase(std::remove_if(data.entries.begin(), data.entries.end(), same),
                       data.entries.end());
    if (std::find(data.engines.begin(), data.engines.end(), e.engine) == data.engines.end())
      data.engines.push_back(e.engine);
    if (std::find(data.workloads.begin(), data.workloads.end(), e.workload) == data.workloads.end())
      data.workloads.push_back(e.workload);
    data.entries.push_back(std::move(e));
  }
  return data;
}

std::string FileSafe(std::string_view name) {
  std::string out;
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out;
}

struct Chart {
  std::string file;  // name within the report directory
  std::string svg;
};

Chart ThroughputBars(const ReportData& data) {
  BarChart bars;
  bars.title = "Throughput per workload and phase";
  bars.y_label = "operations per second";
  bars.series_names = data.engines;
  bars.values.assign(data.engines.size(), {});
  for (const std::string& workload : data.workloads) {
    bool has_load = false;
    for (const std::string& engine : data.engines)
      has_load = has_load || data.Find(engine, workload, "load") != nullptr;
    for (const char* phase : {"load", "run"}) {
      bool any = false;
      for (const std::string& engine : data.engines)
        any = any || data.Find(engine, workload, phase) != nullptr;
      if (!any) continue;
      bars.groups.push_back(has_load ? workload + " " + phase : workload);
      for (size_t i = 0; i < data.engines.size(); ++i) {
        const Entry* e = data.Find(data.engines[i], workload, phase);
        bars.values[i].push_back(e != nullptr ? e->ops_per_sec : 0);
      }
    }
  }
  return {"throughput.svg", RenderBarChart(bars)};
}

// Throughput over time of one workload phase; empty svg when no engine has a timeline.
Chart Timeline(const ReportData& data, const std::string& workload, const std::string& phase) {
  LineChart chart;
  chart.title = fmt::format("{} {}: throughput over time", workload, phase);
  chart.x_label = "seconds since the phase began";
  chart.y_label = "operations per second";
  for (const std::string& engine : data.engines) {
    const Entry* e = data.Find(engine, workload, phase);
    if (e == nullptr || e->timeline.empty()) continue;
    ChartSeries s{engine, {}, e->timeline};
    for (size_t i = 0; i < e->timeline.size(); ++i)
      s.x.push_back(static_cast<double>(i + 1));
    chart.series.push_back(std::move(s));
  }
  if (chart.series.empty()) return {};
  return {fmt::format("timeline-{}-{}.svg", FileSafe(workload), phase), RenderLineChart(chart)};
}

Chart LatencyCurve(const ReportData& data, const std::string& workload, const std::string& phase,
                   const char* op) {
  LineChart chart;
  chart.title = fmt::format("{} {}: {} latency percentiles", workload, phase, op);
  chart.x_label = "percentile";
  chart.y_label = "latency, microseconds (log scale)";
  chart.log_y = true;
  chart.x_categories.assign(std::begin(kPercentileNames), std::end(kPercentileNames));
  for (const std::string& engine : data.engines) {
    const Entry* e = data.Find(engine, workload, phase);
    if (e == nullptr || !e->ops.contains(op)) continue;
    ChartSeries s{engine, {}, {}};
    for (const char* key : kPercentileKeys)
      s.y.push_back(JsonNumber(e->ops[op], key));
    chart.series.push_back(std::move(s));
  }
  if (chart.series.empty()) return {};
  return {fmt::format("latency-{}-{}-{}.svg", FileSafe(workload), phase, op),
          RenderLineChart(chart)};
}

std::string SummaryTable(const ReportData& data) {
  std::string out =
      "<table>\n<tr><th>workload</th><th>phase</th><th>engine</th><th>ops/s</th>"
      "<th>ziggy/x</th><th>seconds</th><th>cpu s</th><th>stall s</th><th>write amp</th>"
      "<th>space amp</th><th>db MB</th></tr>\n";
  for (const std::string& workload : data.workloads) {
    for (const char* phase : {"load", "run"}) {
      const Entry* ziggy = data.Find("ziggydb", workload, phase);
      for (const std::string& engine : data.engines) {
        const Entry* e = data.Find(engine, workload, phase);
        if (e == nullptr) continue;
        const std::string ratio =
            tools::RatioText(ziggy != nullptr ? ziggy->ops_per_sec : 0, e->ops_per_sec);
        out += fmt::format(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{}</td><td>{:.2f}</td>"
            "<td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.1f}</td></tr>\n",
            XmlEscape(workload), phase, XmlEscape(engine), e->ops_per_sec, ratio,
            JsonNumber(e->line, "seconds"), JsonNumber(e->line, "cpu_seconds"),
            JsonNumber(e->line, "stall_seconds"), JsonNumber(e->line, "write_amp"),
            JsonNumber(e->line, "space_amp"), JsonNumber(e->line, "db_bytes") / 1e6);
      }
    }
  }
  return out + "</table>\n";
}

// The charts of one workload, in page order.
std::vector<Chart> WorkloadCharts(const ReportData& data, const std::string& workload) {
  std::vector<Chart> charts;
  for (const char* phase : {"load", "run"}) {
    if (Chart c = Timeline(data, workload, phase); !c.svg.empty()) charts.push_back(std::move(c));
    for (const char* op : kOpTypes)
      if (Chart c = LatencyCurve(data, workload, phase, op); !c.svg.empty())
        charts.push_back(std::move(c));
  }
  return charts;
}

constexpr std::string_view kHead =
    "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
    "<meta charset=\"utf-8\"/>\n<title>ZiggyDB bench report</title>\n<style>\n"
    "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
    "svg { display: block; margin: 1em 0; }\n"
    "table { border-collapse: collapse; }\n"
    "td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }\n"
    "</style>\n</head>\n<body>\n<h1>ZiggyDB bench report</h1>\n";

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

}  // namespace

Status ReadJsonLines(const std::string& path, std::vector<nlohmann::json>* lines) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::string text;
  for (size_t number = 1; std::getline(in, text); ++number) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::InvalidArgument(fmt::format("{}:{}: not a JSON object", path, number));
    }
    lines->push_back(std::move(j));
  }
  return Status::OK();
}

Status WriteBenchReport(const std::vector<nlohmann::json>& lines, const std::string& dir,
                        std::vector<std::string>* files) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir, ec.message());
  const ReportData data = Collect(lines);
  std::string html(kHead);
  html +=
      fmt::format("<p>{} engines ({}), {} workloads, from {} result lines. ", data.engines.size(),
                  XmlEscape(fmt::format("{}", fmt::join(data.engines, ", "))),
                  data.workloads.size(), lines.size());
  html += "ziggy/x: ZiggyDB's ops/s divided by the engine's (above 1: ZiggyDB is faster).</p>\n";
  std::vector<Chart> charts = {ThroughputBars(data)};
  html += "<h2>Throughput</h2>\n" + charts.back().svg + SummaryTable(data);
  for (const std::string& workload : data.workloads) {
    html += fmt::format("<h2>{}</h2>\n", XmlEscape(workload));
    for (Chart& c : WorkloadCharts(data, workload)) {
      html += c.svg;
      charts.push_back(std::move(c));
    }
  }
  html += "</body>\n</html>\n";
  for (const Chart& c : charts) {
    const std::string path = dir + "/" + c.file;
    Status s = WriteFile(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + c.svg);
    if (!s.ok()) return s;
    files->push_back(path);
  }
  Status s = WriteFile(dir + "/index.html", html);
  if (s.ok()) files->push_back(dir + "/index.html");
  return s;
}

}  // namespace ziggydb::bench

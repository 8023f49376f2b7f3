// The HTML report of `ziggy bench --report DIR` and `ziggy bench-report`: DIR/index.html with
// inline SVG charts (no scripts, no external resources), each chart also written as DIR/<name>.svg.
// Charts, drawn from the bench JSON lines (tools/bench/bench_output.h):
//   1. ops/s per workload and phase, grouped bars, one bar per engine;
//   2. per YCSB workload and phase, throughput over time (timeline_ops_per_sec), a line per engine;
//   3. per workload, phase and operation type, the latency percentile curve p50, p95, p99, p99.9,
//      max (log scale), a line per engine.
// The output is well-formed XML (XHTML served as HTML): every text is escaped.
#ifndef ZIGGYDB_TOOLS_BENCH_REPORT_H_
#define ZIGGYDB_TOOLS_BENCH_REPORT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ziggydb/status.h"

namespace ziggydb::bench {

// Reads one JSON object per non-empty line; InvalidArgument naming the line on bad JSON.
[[nodiscard]] Status ReadJsonLines(const std::string& path, std::vector<nlohmann::json>* lines);

// Writes the report into `dir` (created if missing); *files gets the paths written.
[[nodiscard]] Status WriteBenchReport(const std::vector<nlohmann::json>& lines,
                                      const std::string& dir, std::vector<std::string>* files);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_REPORT_H_

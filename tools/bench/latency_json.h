// The latency summary of one operation type in `ziggy bench`'s JSON lines (YCSB's ops, db_bench's
// op_latency, the transaction workloads' txn/commit/plain latencies).
#ifndef ZIGGYDB_TOOLS_BENCH_LATENCY_JSON_H_
#define ZIGGYDB_TOOLS_BENCH_LATENCY_JSON_H_

#include <nlohmann/json.hpp>

#include "util/histogram.h"

namespace ziggydb::bench {

// {count, p50_us, p95_us, p99_us, p999_us, max_us} of latencies recorded in nanoseconds.
nlohmann::json LatencyJson(const Histogram& latency_ns);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_LATENCY_JSON_H_

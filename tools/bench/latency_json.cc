#include "tools/bench/latency_json.h"

#include "tools/cli_util.h"

namespace ziggydb::bench {

nlohmann::json LatencyJson(const Histogram& latency_ns) {
  return {{"count", latency_ns.Count()},
          {"p50_us", tools::NsToUs(latency_ns.Percentile(50))},
          {"p95_us", tools::NsToUs(latency_ns.Percentile(95))},
          {"p99_us", tools::NsToUs(latency_ns.Percentile(99))},
          {"p999_us", tools::NsToUs(latency_ns.Percentile(99.9))},
          {"max_us", tools::NsToUs(latency_ns.Max())}};
}

}  // namespace ziggydb::bench

#include "tools/bench/bench_output.h"

#include <algorithm>

#include <fmt/core.h>

#include "tools/bench/latency_json.h"
#include "tools/cli_util.h"
#include "tools/json_output.h"

namespace ziggydb::bench {
namespace {

using tools::JsonNumber;
using tools::NsToUs;
using tools::RatioText;
using tools::WithCommas;

void AddCost(const PhaseCost& cost, uint64_t user_write_bytes, nlohmann::json* j) {
  (*j)["disk_write_bytes"] = cost.disk_write_bytes;
  (*j)["cancelled_write_bytes"] = cost.cancelled_write_bytes;
  (*j)["user_write_bytes"] = user_write_bytes;
  (*j)["write_amp"] = Ratio(cost.disk_write_bytes, user_write_bytes);
  (*j)["settle_write_bytes"] = cost.settle_write_bytes;
  (*j)["settle_seconds"] = cost.settle_seconds;
  (*j)["write_amp_settled"] =
      Ratio(cost.disk_write_bytes + cost.settle_write_bytes, user_write_bytes);
  (*j)["db_bytes"] = cost.db_bytes;
  (*j)["cpu_seconds"] = cost.cpu_seconds;
  (*j)["stall_seconds"] = cost.stall_seconds;
  (*j)["fetched_bytes"] = cost.fetched_bytes;
  (*j)["major_faults"] = cost.major_faults;
  (*j)["device_reads"] = cost.device_reads;
}

// Per operation: CPU-seconds-normalised throughput (what a shared host's scheduling does not
// move) and the reads that reached storage.
void AddPerOp(const PhaseCost& cost, uint64_t ops, nlohmann::json* j) {
  const double n = static_cast<double>(std::max<uint64_t>(ops, 1));
  (*j)["ops_per_cpu_sec"] = cost.cpu_seconds > 0 ? static_cast<double>(ops) / cost.cpu_seconds : 0;
  (*j)["fetched_kib_per_op"] = static_cast<double>(cost.fetched_bytes) / 1024 / n;
  (*j)["major_faults_per_op"] = static_cast<double>(cost.major_faults) / n;
  (*j)["device_reads_per_op"] = static_cast<double>(cost.device_reads) / n;
}

// The YCSB operation type a db_bench workload exercises.
std::string_view DbBenchOpType(std::string_view workload) {
  if (workload == "overwrite") return "update";
  if (workload.starts_with("fill")) return "insert";
  if (workload.starts_with("read") && workload != "readseq" && workload != "readreverse") {
    return "read";
  }
  return "scan";
}

// The ZiggyDB line among `lines`, or nullptr.
const nlohmann::json* ZiggyLine(const std::vector<nlohmann::json>& lines) {
  for (const nlohmann::json& j : lines)
    if (j.value("engine", "") == "ziggydb" && j.value("ok", false)) return &j;
  return nullptr;
}

void PrintLatencyRows(const std::vector<nlohmann::json>& lines) {
  const nlohmann::json* ziggy = ZiggyLine(lines);
  fmt::print("  {:<7} {:<8} {:>9} {:>9} {:>9} {:>10} {:>10} {:>12}\n", "op", "engine", "p50 us",
             "p95 us", "p99 us", "p99.9 us", "max us", "p99 x/ziggy");
  for (size_t i = 0; i < kYcsbOpCount; ++i) {
    const std::string op(YcsbOpName(static_cast<YcsbOp>(i)));
    for (const nlohmann::json& j : lines) {
      if (!j.value("ok", false) || !j.contains("ops") || !j["ops"].contains(op)) continue;
      const nlohmann::json& s = j["ops"][op];
      double ziggy_p99 = 0;
      if (ziggy != nullptr && ziggy->contains("ops") && (*ziggy)["ops"].contains(op)) {
        ziggy_p99 = JsonNumber((*ziggy)["ops"][op], "p99_us");
      }
      fmt::print("  {:<7} {:<8} {:>9.2f} {:>9.2f} {:>9.2f} {:>10.2f} {:>10.1f} {:>12}\n", op,
                 j.value("engine", ""), JsonNumber(s, "p50_us"), JsonNumber(s, "p95_us"),
                 JsonNumber(s, "p99_us"), JsonNumber(s, "p999_us"), JsonNumber(s, "max_us"),
                 RatioText(JsonNumber(s, "p99_us"), ziggy_p99));
    }
  }
}

}  // namespace

nlohmann::json YcsbToJson(const YcsbPhaseResult& r, const YcsbPhaseConfig& config) {
  nlohmann::json ops = nlohmann::json::object();
  for (size_t i = 0; i < kYcsbOpCount; ++i) {
    if (r.latency_ns[i].Count() > 0) {
      ops[std::string(YcsbOpName(static_cast<YcsbOp>(i)))] = LatencyJson(r.latency_ns[i]);
    }
  }
  const YcsbSpec& spec = config.spec;
  nlohmann::json j = {
      {"engine", r.engine},
      {"workload", r.workload},
      {"kind", "ycsb"},
      {"phase", std::string(YcsbPhaseName(r.phase))},
      {"ok", r.status.ok()},
      {"description", r.phase == YcsbPhase::kLoad ? "100% insert" : spec.Describe()},
      {"distribution", std::string(DistributionName(spec.request_distribution))},
      {"records", spec.record_count},
      {"operations", r.operations},
      {"threads", config.threads},
      {"target_ops_per_sec", r.phase == YcsbPhase::kRun ? config.target_ops_per_sec : 0.0},
      {"field_count", spec.field_count},
      {"field_length", spec.field_length},
      {"seconds", r.seconds},
      {"ops_per_sec", r.ops_per_sec()},
      {"ops", ops},
      {"timeline_ops_per_sec", r.timeline_ops_per_sec},
      {"live_user_bytes", r.live_user_bytes},
      {"space_amp", Ratio(r.cost.db_bytes, r.live_user_bytes)},
      {"read_misses", r.read_misses},
      {"scanned_records", r.scanned_records},
  };
  AddCost(r.cost, r.user_write_bytes, &j);
  AddPerOp(r.cost, r.operations, &j);
  if (!r.status.ok()) j["error"] = r.status.ToString();
  return j;
}

nlohmann::json DbBenchToJson(const WorkloadResult& r, const BenchConfig& config, bool sync,
                             const PhaseCost& cost) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0;
  const Histogram& h = r.latency_ns;
  const std::string_view op = DbBenchOpType(r.workload);
  const bool writes = op == "insert" || op == "update";
  nlohmann::json j = {
      {"engine", r.engine},
      {"workload", r.workload},
      {"kind", "dbbench"},
      {"phase", "run"},
      {"ok", r.status.ok()},
      {"skipped", r.skipped},
      {"note", r.note},
      {"num", config.num},
      {"value_bytes", config.value_bytes},
      {"threads", config.threads},
      {"batch", config.batch},
      {"sync", sync},
      {"ops", r.ops},
      {"seconds", r.seconds},
      {"ops_per_second", rate},
      {"ops_per_sec", rate},
      {"bytes", r.bytes},
      {"found", r.found},
      {"latency_us_p50", NsToUs(h.Percentile(50))},
      {"latency_us_p95", NsToUs(h.Percentile(95))},
      {"latency_us_p99", NsToUs(h.Percentile(99))},
      {"latency_us_p999", NsToUs(h.Percentile(99.9))},
      {"latency_us_max", NsToUs(h.Max())},
      {"op_latency", {{std::string(op), LatencyJson(h)}}},
  };
  AddCost(cost, writes ? r.bytes : 0, &j);
  AddPerOp(cost, r.ops, &j);
  if (!r.status.ok()) j["error"] = r.status.ToString();
  return j;
}

void PrintDbBenchTable(const std::string& workload, const std::vector<WorkloadResult>& results,
                       const BenchConfig& config) {
  const WorkloadInfo* info = FindWorkload(workload);
  fmt::print("\n{} ({}; {} ops, {} B values, {} thread{}{})\n", workload, info->description,
             WithCommas(OperationCount(*info, config)), config.value_bytes, config.threads,
             config.threads == 1 ? "" : "s",
             config.batch > 1 ? fmt::format(", batch {}", config.batch) : "");
  fmt::print("  {:<8} {:>12} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9}  {}\n", "engine", "ops/s", "MB/s",
             "p50 us", "p95 us", "p99 us", "max us", "ziggy/x", "");
  double ziggy_rate = 0;
  auto rate_of = [](const WorkloadResult& r) {
    return r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0;
  };
  for (const WorkloadResult& r : results)
    if (r.engine == "ziggydb" && r.status.ok() && !r.skipped) ziggy_rate = rate_of(r);
  for (const WorkloadResult& r : results) {
    if (!r.status.ok() || r.skipped) {
      fmt::print("  {:<8} {}\n", r.engine,
                 r.status.ok() ? r.note : "ERROR: " + r.status.ToString());
      continue;
    }
    const double rate = rate_of(r);
    fmt::print("  {:<8} {:>12} {:>8.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>10.1f} {:>9}  {}\n", r.engine,
               WithCommas(static_cast<uint64_t>(rate)),
               static_cast<double>(r.bytes) / std::max(r.seconds, 1e-9) / 1e6,
               NsToUs(r.latency_ns.Percentile(50)), NsToUs(r.latency_ns.Percentile(95)),
               NsToUs(r.latency_ns.Percentile(99)), NsToUs(r.latency_ns.Max()),
               RatioText(ziggy_rate, rate), r.note);
  }
}

void PrintAmplification(const std::string& workload, const std::vector<nlohmann::json>& lines) {
  bool header = false;
  for (const nlohmann::json& j : lines) {
    if (j.value("kind", "") != "dbbench" || j.value("workload", "") != workload ||
        !j.value("ok", false) || JsonNumber(j, "user_write_bytes") == 0) {
      continue;
    }
    if (!header) {
      fmt::print("  {:<8} {:>9} {:>9} {:>9} {:>9} {:>8}\n", "engine", "disk MB", "w-amp",
                 "settle s", "settled", "db MB");
      header = true;
    }
    fmt::print("  {:<8} {:>9.1f} {:>9.2f} {:>9.1f} {:>9.2f} {:>8.1f}\n", j.value("engine", ""),
               (JsonNumber(j, "disk_write_bytes") + JsonNumber(j, "settle_write_bytes")) / 1e6,
               JsonNumber(j, "write_amp"), JsonNumber(j, "settle_seconds"),
               JsonNumber(j, "write_amp_settled"), JsonNumber(j, "db_bytes") / 1e6);
  }
}

void PrintYcsbTable(const std::vector<nlohmann::json>& lines) {
  if (lines.empty()) return;
  const nlohmann::json& first = lines.front();
  fmt::print("\n{} {} ({}; {} records, {} x {} B fields, {} thread{})\n",
             first.value("workload", ""), first.value("phase", ""), first.value("description", ""),
             WithCommas(first.value("records", uint64_t{0})), first.value("field_count", 0),
             first.value("field_length", 0), first.value("threads", 1),
             first.value("threads", 1) == 1 ? "" : "s");
  fmt::print("  {:<8} {:>11} {:>11} {:>8} {:>7} {:>7} {:>7} {:>9} {:>6} {:>8} {:>6}  {}\n",
             "engine", "ops", "ops/s", "ziggy/x", "secs", "cpu s", "stall s", "disk MB", "w-amp",
             "db MB", "s-amp", "");
  const nlohmann::json* ziggy = ZiggyLine(lines);
  const double ziggy_rate = ziggy != nullptr ? JsonNumber(*ziggy, "ops_per_sec") : 0;
  for (const nlohmann::json& j : lines) {
    if (!j.value("ok", false)) {
      fmt::print("  {:<8} ERROR: {}\n", j.value("engine", ""), j.value("error", ""));
      continue;
    }
    const uint64_t misses = j.value("read_misses", uint64_t{0});
    fmt::print(
        "  {:<8} {:>11} {:>11} {:>8} {:>7.2f} {:>7.2f} {:>7.2f} {:>9.1f} {:>6.2f} {:>8.1f} "
        "{:>6.2f}  {}\n",
        j.value("engine", ""), WithCommas(j.value("operations", uint64_t{0})),
        WithCommas(static_cast<uint64_t>(JsonNumber(j, "ops_per_sec"))),
        RatioText(ziggy_rate, JsonNumber(j, "ops_per_sec")), JsonNumber(j, "seconds"),
        JsonNumber(j, "cpu_seconds"), JsonNumber(j, "stall_seconds"),
        JsonNumber(j, "disk_write_bytes") / 1e6, JsonNumber(j, "write_amp"),
        JsonNumber(j, "db_bytes") / 1e6, JsonNumber(j, "space_amp"),
        misses > 0 ? fmt::format("{} reads missed", WithCommas(misses)) : "");
  }
  PrintLatencyRows(lines);
}

}  // namespace ziggydb::bench

namespace ziggydb::bench {

void PrintPerCpuAndReads(const std::vector<nlohmann::json>& lines) {
  const nlohmann::json* ziggy = ZiggyLine(lines);
  const double ziggy_rate = ziggy != nullptr ? JsonNumber(*ziggy, "ops_per_cpu_sec") : 0;
  bool header = false;
  for (const nlohmann::json& j : lines) {
    if (!j.value("ok", false) || j.value("skipped", false)) continue;
    if (!header) {
      fmt::print("  {:<8} {:>12} {:>8} {:>11} {:>10} {:>11}\n", "engine", "ops/cpu-s", "ziggy/x",
                 "read KiB/op", "majflt/op", "dev rd/op");
      header = true;
    }
    fmt::print("  {:<8} {:>12} {:>8} {:>11.2f} {:>10.3f} {:>11.3f}\n", j.value("engine", ""),
               WithCommas(static_cast<uint64_t>(JsonNumber(j, "ops_per_cpu_sec"))),
               RatioText(ziggy_rate, JsonNumber(j, "ops_per_cpu_sec")),
               JsonNumber(j, "fetched_kib_per_op"), JsonNumber(j, "major_faults_per_op"),
               JsonNumber(j, "device_reads_per_op"));
  }
}

}  // namespace ziggydb::bench

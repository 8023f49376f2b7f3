// What `ziggy bench` prints and records: one JSON object per (engine, workload, phase) — the
// format of `--json` lines and the input of the report — and the comparison tables on stdout.
//
// YCSB line fields: engine, workload, kind ("ycsb"), phase ("load" | "run"), ok, error,
// description, distribution, records, operations, threads, field_count, field_length, seconds,
// ops_per_sec, ops: {<read|update|insert|scan|rmw>: {count, p50_us, p95_us, p99_us, p999_us,
// max_us}}, timeline_ops_per_sec: [...], disk_write_bytes (dirtied minus cancelled, see
// phase_metrics.h), cancelled_write_bytes, user_write_bytes, write_amp, db_bytes, live_user_bytes,
// space_amp, cpu_seconds, stall_seconds, read_misses, scanned_records. db_bench lines keep their
// fields (ops_per_second, latency_us_*, ...) and add kind ("dbbench"), phase ("run"), ops_per_sec,
// op_latency (like YCSB's ops, one type: insert, update, read or scan; "ops" stays the operation
// count), disk_write_bytes, user_write_bytes, write_amp, db_bytes, cpu_seconds, stall_seconds.
// Both kinds also carry (issue 17) ops_per_cpu_sec (operations per CPU-second of the whole process,
// background threads included), fetched_bytes, major_faults and device_reads (reads that reached
// storage, phase_metrics.h) with their _per_op forms fetched_kib_per_op, major_faults_per_op,
// device_reads_per_op, and memory_limit_mib in the bigger-than-memory mode.
#ifndef ZIGGYDB_TOOLS_BENCH_BENCH_OUTPUT_H_
#define ZIGGYDB_TOOLS_BENCH_BENCH_OUTPUT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/bench/phase_metrics.h"
#include "tools/bench/workloads.h"
#include "tools/bench/ycsb_runner.h"

namespace ziggydb::bench {

nlohmann::json YcsbToJson(const YcsbPhaseResult& r, const YcsbPhaseConfig& config);
// `cost` measured around the workload by the caller.
nlohmann::json DbBenchToJson(const WorkloadResult& r, const BenchConfig& config, bool sync,
                             const PhaseCost& cost);

// The db_bench table of one workload (ops/s, MB/s, latency percentiles, ZiggyDB's ratio).
void PrintDbBenchTable(const std::string& workload, const std::vector<WorkloadResult>& results,
                       const BenchConfig& config);
// The YCSB table of one (workload, phase) from its JSON lines, one per engine: throughput and
// costs with ziggy/x, then latency percentiles per operation type with the p99 ratio.
void PrintYcsbTable(const std::vector<nlohmann::json>& lines);
// For a db_bench workload that wrote: per engine, the disk bytes written (the workload and the
// background work it left), write amplification during the workload and once settled, the
// seconds spent settling, and the store's size once settled.
void PrintAmplification(const std::string& workload, const std::vector<nlohmann::json>& lines);
// Per engine of one (workload, phase): operations per CPU-second with ZiggyDB's ratio (on a
// shared host, where wall-clock rates of engines run minutes apart move with the neighbours'
// load) and the storage reads per operation (KiB fetched, major faults, device reads).
void PrintPerCpuAndReads(const std::vector<nlohmann::json>& lines);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_BENCH_OUTPUT_H_

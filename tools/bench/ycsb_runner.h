// The load and run phases of a YCSB core workload against an Engine.
//
// Load: record_count inserts of records 0..record_count-1 (key YcsbKey(i), value of
// field_count x field_length bytes written as one value), split into contiguous index ranges over
// the threads. Run: operation_count operations (or until duration_seconds), split evenly over the
// threads; each thread draws its operation types and keys from its own Random seeded by (seed,
// thread), so the same seed gives every engine the same request sequence per thread.
//
// Run-phase inserts: thread t's j-th insert writes record record_count + j * threads + t. A thread
// chooses keys among the records it knows exist — the loaded ones and its own inserts, newest
// last — so its sequence does not depend on the other threads' timing and never asks for a record
// not yet written; with several threads, records another thread inserted are not read.
// Key choice over the known records: uniform; zipfian = scrambled zipfian over record_count + 2 x
// the expected inserts (redrawn while above the known records, as YCSB does); latest = zipfian
// over recency, the newest record the most popular. Updates and read-modify-writes
// rewrite the whole record. With a target rate, engines can be compared at the same offered
// load: their latencies then come from the same amount of work per second, background work
// included.
#ifndef ZIGGYDB_TOOLS_BENCH_YCSB_RUNNER_H_
#define ZIGGYDB_TOOLS_BENCH_YCSB_RUNNER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/bench/engine.h"
#include "tools/bench/phase_metrics.h"
#include "tools/bench/ycsb_spec.h"
#include "util/histogram.h"
#include "ziggydb/status.h"

namespace ziggydb::bench {

enum class YcsbPhase : uint8_t { kLoad, kRun };
// "load", "run"
std::string_view YcsbPhaseName(YcsbPhase phase);

struct YcsbPhaseConfig {
  YcsbSpec spec;  // normalized; operation_count 0 = unbounded (needs duration_seconds)
  int threads = 1;
  uint64_t seed = 42;
  double duration_seconds = 0;  // run phase: stop after this long; 0 = operation_count ops
  // Run phase: the offered load over all threads, operations per second (YCSB's -target); 0 = as
  // fast as the engine goes. Each thread starts its operations on a fixed schedule (operation j
  // at j x threads / target seconds after the thread began) and, when behind it, runs the late
  // ones back to back; latencies stay service times (call to return), not time since the
  // scheduled start.
  double target_ops_per_sec = 0;
  bool print_progress = true;  // the once-per-second line on stderr
};

struct YcsbPhaseResult {
  std::string engine;
  std::string workload;
  YcsbPhase phase = YcsbPhase::kLoad;
  uint64_t operations = 0;  // operations completed
  double seconds = 0;
  std::array<Histogram, kYcsbOpCount> latency_ns;  // indexed by YcsbOp
  uint64_t read_misses = 0;       // reads and read-modify-writes that found nothing (expect 0)
  uint64_t scanned_records = 0;   // records returned by scans
  uint64_t user_write_bytes = 0;  // key + value bytes of every insert, update and rmw write
  uint64_t new_record_bytes = 0;  // key + value bytes of the records inserted
  std::vector<double> timeline_ops_per_sec;
  // Filled by the caller, which owns the store's directory and lifetime.
  PhaseCost cost;
  uint64_t live_user_bytes = 0;  // key + value bytes of the records in the store at the end
  Status status;

  double ops_per_sec() const { return seconds > 0 ? static_cast<double>(operations) / seconds : 0; }
};

// Runs one phase on an open engine (the run phase expects the load phase's records).
YcsbPhaseResult RunYcsbPhase(Engine* engine, YcsbPhase phase, const YcsbPhaseConfig& config);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_YCSB_RUNNER_H_

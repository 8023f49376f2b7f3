// The db_bench-style workloads of `ziggy bench`, run against any Engine.
//
// Keys are GeneratedKey(i) for i in [0, num) (16 bytes); values come from a seeded ValueSource;
// the write workloads and Preload write them with tools::WriteDataset, as `ziggy load` does.
// Operations are split evenly over `threads` threads; each thread keeps its own latency histogram
// (nanoseconds per operation) and they are merged at the end.
#ifndef ZIGGYDB_TOOLS_BENCH_WORKLOADS_H_
#define ZIGGYDB_TOOLS_BENCH_WORKLOADS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/bench/engine.h"
#include "util/histogram.h"
#include "ziggydb/status.h"

namespace ziggydb::bench {

struct BenchConfig {
  uint64_t num = 1'000'000;    // keys in the dataset, and operations per workload
  uint64_t sync_num = 20'000;  // operations of fillsync (each waits for an fdatasync)
  uint64_t reads = 0;          // operations of readrandom/readmissing/seekrandom; 0 = num
  size_t value_bytes = 100;
  int threads = 1;
  uint32_t batch = 1;  // updates per write in the fill workloads
  uint64_t seed = 42;
  size_t scan_chunk = 1000;  // entries per Scan call in readseq/readreverse
  uint32_t seek_nexts = 0;   // seekrandom: entries read after each seek (db_bench's --seek_nexts)
  bool progress = false;
  EngineConfig engine;
};

struct WorkloadInfo {
  std::string_view name;
  std::string_view description;
  bool fresh_db;    // starts from an empty store
  bool needs_data;  // expects the num-key dataset to be loaded
  bool sync;        // every write synced, whatever the config says
  bool writes;      // leaves the dataset loaded (fills) or keeps it (overwrite)
};

// Every workload, in the order of the default --benchmarks list.
const std::vector<WorkloadInfo>& AllWorkloads();
const WorkloadInfo* FindWorkload(std::string_view name);

struct WorkloadResult {
  std::string engine;
  std::string workload;
  uint64_t ops = 0;    // operations (entries, for scans)
  uint64_t bytes = 0;  // user key + value bytes written or read
  uint64_t found = 0;  // reads that found their key
  double seconds = 0;
  Histogram latency_ns;  // per call into the engine
  bool skipped = false;
  std::string note;  // why skipped, or "found X of Y"
  Status status;
};

// Operations `workload` runs under `config`.
uint64_t OperationCount(const WorkloadInfo& workload, const BenchConfig& config);

// Runs one workload on an open engine and returns its measurements.
WorkloadResult RunWorkload(Engine* engine, const WorkloadInfo& workload, const BenchConfig& config);

// Writes the num-key dataset (ascending, batches of 1000) untimed, for read workloads that follow
// a workload leaving the store without it.
Status Preload(Engine* engine, const BenchConfig& config);

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_WORKLOADS_H_

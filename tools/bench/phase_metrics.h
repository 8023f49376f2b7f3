// Process-level measurements around one benchmark phase: bytes the process caused to be written to
// storage, CPU time of all threads (getrusage),
// the engine's cumulative stall time, and the allocated size of a store's directory. Plus a
// ThroughputMonitor that samples a phase's progress once per second for the timeline and prints
// the progress line.
#ifndef ZIGGYDB_TOOLS_BENCH_PHASE_METRICS_H_
#define ZIGGYDB_TOOLS_BENCH_PHASE_METRICS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tools/bench/engine.h"
#include "util/mutex.h"

namespace ziggydb::bench {

// Bytes written to storage come from /proc/self/io, which counts a page-cache page when it is
// dirtied (write_bytes; background flushes and compactions of every thread count) and, apart,
// dirty bytes the process discarded before they were written back by truncating or deleting
// their file (cancelled_write_bytes). The difference is what reached the disk: an engine that
// deletes a write-ahead log it never synced (RocksDB and LevelDB with sync=false) dirtied those
// bytes but never wrote them.
struct ProcIoBytes {
  uint64_t dirtied = 0;    // write_bytes; 0 where unavailable
  uint64_t cancelled = 0;  // cancelled_write_bytes
  // read_bytes: bytes the process caused to be fetched from storage (read calls and page faults
  // of memory mappings alike; page-cache hits count nothing).
  uint64_t fetched = 0;
};

struct ResourceSnapshot {
  ProcIoBytes io;
  double cpu_seconds = 0;     // user + system, all threads
  uint64_t stall_micros = 0;  // Engine::StallMicros()
  uint64_t major_faults = 0;  // page faults that waited for storage (getrusage ru_majflt)
  // Read requests completed by the block device holding the store (/sys/dev/block/M:m/stat):
  // every process's, so only meaningful on a quiet host; 0 where unknown.
  uint64_t device_reads = 0;
};

// What a phase cost, from two snapshots and the store's state at its end.
struct PhaseCost {
  // Bytes dirtied minus bytes cancelled in the phase (0 if more were cancelled than dirtied,
  // which a phase that only deletes files written earlier can show).
  uint64_t disk_write_bytes = 0;
  uint64_t cancelled_write_bytes = 0;  // included in disk_write_bytes' subtraction
  double cpu_seconds = 0;
  double stall_seconds = 0;
  uint64_t db_bytes = 0;  // DirBytesOnDisk of the store once settled
  // The background work the phase left behind (SettleBackgroundWork): bytes written (net of
  // cancelled, as disk_write_bytes) and seconds spent after the timed part until the engine was
  // idle.
  uint64_t settle_write_bytes = 0;
  double settle_seconds = 0;
  // Reads that reached storage in the phase (the bigger-than-memory figures, I/Os per Get).
  uint64_t fetched_bytes = 0;
  uint64_t major_faults = 0;
  uint64_t device_reads = 0;

  static PhaseCost Between(const ResourceSnapshot& begin, const ResourceSnapshot& end,
                           uint64_t db_bytes);
};

// `device_dir` names a directory on the block device whose reads are counted ("" for none).
ResourceSnapshot TakeSnapshot(Engine* engine, const std::string& device_dir = "");
// Read requests completed so far by the block device holding `path` (its whole-disk or partition
// stat file), or 0 when unknown.
uint64_t DeviceReadsCompleted(const std::string& path);

// Waits until `engine` has no background work left: Engine::WaitForBackgroundWork, then until
// the process has written to storage at under 1 MiB/s for `quiet_seconds` (an engine that cannot
// say whether it compacts, such as LevelDB, is idle when it stops writing). Gives up after 10
// minutes. Sets cost->settle_write_bytes and settle_seconds.
Status SettleBackgroundWork(Engine* engine, double quiet_seconds, PhaseCost* cost);
// Sum over the regular files under `dir` of the bytes they hold: written extents up to the file
// size (FIEMAP), so neither sparse holes nor preallocated space count, whether it lies inside the
// size (ZiggyDB's zero-filled WAL reservation) or beyond it (FALLOC_FL_KEEP_SIZE, RocksDB's WAL).
// Where FIEMAP is unsupported, min(allocated bytes, file size). 0 when dir is missing.
uint64_t DirBytesOnDisk(const std::string& dir);
// numerator / denominator, or 0 when the denominator is 0.
double Ratio(uint64_t numerator, uint64_t denominator);

// Samples `done()` (operations completed so far, callable from any thread) once per second on a
// thread of its own, records the ops/s of each second, and prints "<label>: 12 s, 1,234,567 ops,
// 98,765 ops/s" to stderr when `print` is set. Stop() ends it and appends the last partial
// second (scaled to a rate) when it holds any operations.
class ThroughputMonitor {
 public:
  ThroughputMonitor(std::string label, std::function<uint64_t()> done, bool print);
  ~ThroughputMonitor();
  ThroughputMonitor(const ThroughputMonitor&) = delete;
  ThroughputMonitor& operator=(const ThroughputMonitor&) = delete;

  // Idempotent; returns the ops/s of each second.
  std::vector<double> Stop();

 private:
  void Loop();

  const std::string label_;
  const std::function<uint64_t()> done_;
  const bool print_;
  Mutex mu_;
  CondVar stop_requested_;  // waiter: Loop; notifier: Stop
  bool stop_ GUARDED_BY(mu_) = false;
  std::vector<double> timeline_;  // written by the loop thread until it is joined
  std::thread thread_;
};

}  // namespace ziggydb::bench

#endif  // ZIGGYDB_TOOLS_BENCH_PHASE_METRICS_H_

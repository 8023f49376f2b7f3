// Statistics: counters ("tickers") and latency/size histograms that a DB updates as it works.
//
// Enable by setting Options::statistics to CreateStatistics(); one object may be shared by
// several DBs (their counts add up, in their properties too). With Options::statistics null the
// DB still counts its own work (writes, WAL, flushes, compactions, stalls) in a private object,
// which its properties read, but records no latencies and no read-path tickers: those cost one
// pointer test and no clock read.
//
// The object CreateStatistics() returns keeps per-thread-group shards of relaxed atomic counters
// (cache-line padded; a thread picks its shard once, round robin), so recording is a few
// uncontended atomic adds and never takes a lock. Reads sum the shards: a value read while other
// threads record is a recent value, never a torn one; once recording stops the sums are exact.
//
// Names (TickerName, HistogramName) are stable, snake_case, and become the Prometheus metric
// names ziggydb_<name>_total (tickers) and ziggydb_<name> (histograms): see
// docs/design/observability.md.
//
// Thread safety: every method may be called concurrently.
#ifndef ZIGGYDB_STATISTICS_H_
#define ZIGGYDB_STATISTICS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ziggydb {

// Monotonic counters. Not persisted; values may be renumbered between releases.
enum class Ticker : uint32_t {
  kBytesWritten,            // encoded bytes of the user write batches applied
  kKeysWritten,             // updates (puts and deletes) in the user write batches applied
  kWrites,                  // user write batches applied (with or without WAL)
  kWalWrites,               // user write batches written to the WAL
  kWalRecords,              // WAL records of write groups (one per group commit)
  kBytesRead,               // value bytes returned by Get, key+value bytes of iterator positions
  kKeysRead,                // Gets that found a value, plus iterator positions landed on
  kWalBytes,                // bytes of records appended to the WAL
  kWalSyncs,                // WAL fdatasyncs (sync writes and memtable switches)
  kMemtableHits,            // Gets answered (found or deleted) by a memtable
  kMemtableMisses,          // Gets that had to go on to the tables
  kRowCacheHits,            // Gets answered (found or deleted) by the row cache
  kRowCacheMisses,          // Gets that looked in the row cache and went on to the tables
  kBlockCacheHits,          // data-block lookups served from the block cache
  kBlockCacheMisses,        // data-block lookups that read the file
  kBlockCacheInserts,       // blocks added to the block cache
  kBlockCacheEvictions,     // blocks evicted from the block cache to make room
  kBloomChecks,             // table lookups that consulted a bloom filter
  kBloomUseful,             // ... of which the filter ruled the key out (no block read)
  kTableFileReads,          // reads of table files (data blocks, and the 2 reads of each open)
  kTableFileReadBytes,      // bytes those reads returned
  kFlushes,                 // memtables flushed to L0 tables
  kFlushBytes,              // bytes of the L0 tables flushes wrote
  kCompactions,             // merging compactions completed
  kCompactionTrivialMoves,  // compactions done by moving a table to the next level
  kCompactionReadBytes,     // table bytes merging compactions read
  kCompactionWriteBytes,    // table bytes merging compactions wrote
  kStallL0SlowdownMicros,   // writes delayed: L0 at l0_slowdown_trigger
  kStallPendingBytesSlowdownMicros,  // writes delayed: soft_pending_compaction_bytes
  kStallL0StopMicros,                // writes stopped: L0 at l0_stop_trigger
  kStallPendingBytesStopMicros,      // writes stopped: hard_pending_compaction_bytes
  kStallMemtableStopMicros,          // writes stopped: max_immutable_memtables waiting for flush
  kStallL0SlowdownWrites,            // user batches delayed: L0 at l0_slowdown_trigger
  kStallPendingBytesSlowdownWrites,  // user batches delayed: soft_pending_compaction_bytes
  kStallL0StopWrites,                // user batches stopped: L0 at l0_stop_trigger
  kStallPendingBytesStopWrites,      // user batches stopped: hard_pending_compaction_bytes
  kStallMemtableStopWrites,          // user batches stopped: immutable memtables waiting for flush
  kFlushesHeld,                      // flushes that waited for L0 to drop below l0_stop_trigger
  kFlushHeldMicros,                  // ... and how long
  kBackgroundErrors,                 // background errors that stopped writes
  kTxnConflicts,                     // transaction commits refused (Busy) by a conflict
  kTxnHistoryAborts,                 // ... refused (Busy): their history was no longer kept
  kNumTickers,                       // not a ticker: the count
};
inline constexpr size_t kNumTickers = static_cast<size_t>(Ticker::kNumTickers);

// Distributions. Not persisted; values may be renumbered between releases.
enum class HistogramType : uint32_t {
  kGetMicros,          // DB::Get latency
  kWriteMicros,        // DB::Put / Delete / Write latency (queueing and WAL sync included)
  kSeekMicros,         // iterator Seek / SeekForPrev / SeekToFirst / SeekToLast latency
  kNextMicros,         // iterator Next / Prev latency
  kWalSyncMicros,      // WAL fdatasync latency
  kWalGroupBatches,    // user batches per group commit (one WAL record)
  kFlushMicros,        // memtable flush duration
  kCompactionMicros,   // compaction duration (merging and trivial moves)
  kNumHistogramTypes,  // not a histogram: the count
};
inline constexpr size_t kNumHistogramTypes = static_cast<size_t>(HistogramType::kNumHistogramTypes);

// Stable snake_case names, e.g. "bytes_written", "get_micros".
std::string_view TickerName(Ticker ticker);
std::string_view HistogramName(HistogramType type);
// One-line descriptions (the Prometheus HELP text).
std::string_view TickerHelp(Ticker ticker);
std::string_view HistogramHelp(HistogramType type);

// Samples in [low, high] (inclusive bounds).
struct HistogramBucket {
  uint64_t low = 0;
  uint64_t high = 0;
  uint64_t count = 0;
};

// A copy of one histogram's state.
struct HistogramSnapshot {
  uint64_t count = 0;
  uint64_t sum = 0;  // wraps past 2^64 (not reachable for latencies in micros)
  uint64_t min = 0;  // 0 when empty
  uint64_t max = 0;
  // The non-empty buckets, ascending. Bucket widths grow with the value (log-linear): a bucket
  // is never wider than 1/16 of its lower bound.
  std::vector<HistogramBucket> buckets;

  double Mean() const;
  // Nearest-rank percentile p in [0, 100], interpolated inside its bucket and clamped to
  // [min, max]: within one bucket width of the exact value. 0 when empty.
  double Percentile(double p) const;
  // Samples <= bound, exact when bound is a bucket's high (every power of two is).
  uint64_t CountAtOrBelow(uint64_t bound) const;
};

class Statistics {
 public:
  virtual ~Statistics() = default;

  virtual void RecordTick(Ticker ticker, uint64_t count) = 0;
  void RecordTick(Ticker ticker) { RecordTick(ticker, 1); }
  virtual void RecordHistogram(HistogramType type, uint64_t value) = 0;

  virtual uint64_t GetTickerCount(Ticker ticker) const = 0;
  virtual HistogramSnapshot GetHistogram(HistogramType type) const = 0;
  // Zeroes every ticker and histogram. Events recorded concurrently with Reset may be lost or
  // kept.
  virtual void Reset() = 0;
  // Every ticker ("name: value") then every non-empty histogram ("name: count=... p50=..."), one
  // per line.
  virtual std::string ToString() const;
};

// The sharded, lock-free implementation described above.
std::shared_ptr<Statistics> CreateStatistics();

}  // namespace ziggydb

#endif  // ZIGGYDB_STATISTICS_H_

// DBStats: one consistent snapshot of a DB's counters and shape (DBImpl::GetStats), and the text
// of the properties rendered from it (db_properties.cc, the only place property text is made).
//
// Every number has one home: the counters of the DB's own work are statistics tickers (DBImpl's
// db_stats_, always present); the shape (levels, memtables, running compactions) is DB state
// read under the DB mutex. DBStats copies both, so tests and programs read numbers, not text.
// DBReadOnly::GetStats fills the same struct for the read-only DB (its one state, and no work of
// its own to count).
#ifndef ZIGGYDB_DB_DB_PROPERTIES_H_
#define ZIGGYDB_DB_DB_PROPERTIES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "db/version_edit.h"
#include "db/write_controller.h"
#include "table/lru_cache.h"
#include "ziggydb/listener.h"
#include "ziggydb/options.h"
#include "ziggydb/statistics.h"
#include "ziggydb/status.h"

namespace ziggydb {

class Version;

struct DBStats {
  // From the statistics tickers.
  uint64_t writes = 0;       // user batches applied (WAL or not)
  uint64_t wal_writes = 0;   // user batches written to the WAL
  uint64_t wal_records = 0;  // WAL records of write groups
  uint64_t wal_syncs = 0;
  uint64_t flushes = 0;
  uint64_t flush_bytes = 0;
  // Indexed by WriteStallCause: batches slowed or stopped, and for how long.
  std::array<uint64_t, kNumWriteStallCauses> stall_writes{};
  std::array<uint64_t, kNumWriteStallCauses> stall_micros{};
  uint64_t flushes_held = 0;  // flushes that waited at the L0 stop trigger
  uint64_t flush_held_micros = 0;
  // Recovery, from the last Open.
  uint64_t wal_tail_records_dropped = 0;
  uint64_t wal_records_skipped = 0;

  // DB state.
  size_t memtable_bytes = 0;
  size_t immutable_memtables = 0;
  uint64_t last_sequence = 0;
  uint64_t log_number = 0;
  Status background_error;
  std::optional<WriteStallCause> write_stall;  // the condition in force
  int compactions_running = 0;
  int peak_compactions_running = 0;
  uint64_t pending_compaction_bytes = 0;
  int base_level = 0;  // the level L0 compacts into
  struct Level {
    int files = 0;
    uint64_t bytes = 0;
    double score = 0;
    uint64_t target_bytes = 0;  // 0 for L0 (its trigger counts files)
    // Compactions into this level (for L0: nothing; flushes write it).
    uint64_t read_bytes = 0;
    uint64_t write_bytes = 0;
    uint64_t compactions = 0;
    uint64_t trivial_moves = 0;
  };
  std::array<Level, kNumLevels> levels{};
  CacheCounters table_cache;
  bool has_block_cache = false;
  CacheCounters block_cache;
  size_t block_cache_usage_bytes = 0;

  uint64_t TotalStallMicros() const;
};

// The fields of `stats` that come from the tickers of `statistics`.
void FillTickerStats(const Statistics& statistics, DBStats* stats);
// The per-level files, bytes, scores and targets of `version`, its base level and pending
// compaction bytes (under `options`), into `stats`.
void FillVersionStats(const Version& version, const Options& options, DBStats* stats);
// A Statistics nothing records into (every count 0), for the metrics of a DB that keeps none.
const Statistics& NoStatistics();

// The tickers that count the batches a stall cause slowed or stopped, and its micros.
Ticker StallWritesTicker(WriteStallCause cause);
Ticker StallMicrosTicker(WriteStallCause cause);

// "ziggydb.stats": counters, the per-level table, stalls and caches; then, when `statistics`
// (Options::statistics) is set, "--- statistics ---" and its ToString().
std::string StatsText(const DBStats& stats, const Statistics* statistics);
// "ziggydb.metrics": every ticker and histogram of `statistics` and the gauges of `stats`, in the
// Prometheus text format 0.0.4.
std::string MetricsText(const DBStats& stats, const Statistics& statistics);
// "ziggydb.sstables": every table per level with its key range (and its entry counts, when known).
std::string SstablesText(const Version& version);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_DB_PROPERTIES_H_

// Names and help texts of the tickers and histograms (ziggydb/statistics.h). The names are part of
// the interface (Prometheus metric names, docs/design/observability.md): never rename one.
#include <array>
#include <string_view>

#include "util/assert.h"
#include "ziggydb/statistics.h"

namespace ziggydb {
namespace {

struct NameAndHelp {
  std::string_view name;
  std::string_view help;
};

// Indexed by Ticker.
constexpr std::array<NameAndHelp, kNumTickers> kTickers = {{
    {"bytes_written", "Encoded bytes of the user write batches applied."},
    {"keys_written", "Updates (puts and deletes) in the user write batches applied."},
    {"writes", "User write batches applied, with or without the write-ahead log."},
    {"wal_writes", "User write batches written to the write-ahead log."},
    {"wal_records", "Write-ahead log records of write groups, one per group commit."},
    {"bytes_read", "Value bytes returned by Get plus key and value bytes of iterator positions."},
    {"keys_read", "Gets that found a value plus iterator positions landed on."},
    {"wal_bytes", "Bytes of records appended to the write-ahead log."},
    {"wal_syncs", "Write-ahead log fdatasyncs."},
    {"memtable_hits", "Gets answered by a memtable."},
    {"memtable_misses", "Gets that went on to the tables."},
    {"row_cache_hits", "Gets answered by the row cache."},
    {"row_cache_misses", "Gets that looked in the row cache and went on to the tables."},
    {"block_cache_hits", "Data block lookups served by the block cache."},
    {"block_cache_misses", "Data block lookups that read the table file."},
    {"block_cache_inserts", "Blocks added to the block cache."},
    {"block_cache_evictions", "Blocks evicted from the block cache to make room."},
    {"bloom_checks", "Table lookups that consulted a bloom filter."},
    {"bloom_useful", "Table lookups whose bloom filter ruled the key out."},
    {"table_file_reads", "Reads of table files."},
    {"table_file_read_bytes", "Bytes read from table files."},
    {"flushes", "Memtables flushed to L0 tables."},
    {"flush_bytes", "Bytes of the L0 tables written by flushes."},
    {"compactions", "Merging compactions completed."},
    {"compaction_trivial_moves", "Compactions done by moving a table down a level."},
    {"compaction_read_bytes", "Table bytes read by merging compactions."},
    {"compaction_write_bytes", "Table bytes written by merging compactions."},
    {"stall_l0_slowdown_micros", "Microseconds writes were delayed by the L0 slowdown trigger."},
    {"stall_pending_bytes_slowdown_micros",
     "Microseconds writes were delayed by the soft pending compaction bytes limit."},
    {"stall_l0_stop_micros", "Microseconds writes waited at the L0 stop trigger."},
    {"stall_pending_bytes_stop_micros",
     "Microseconds writes waited at the hard pending compaction bytes limit."},
    {"stall_memtable_stop_micros", "Microseconds writes waited for a memtable flush."},
    {"stall_l0_slowdown_writes", "Write batches delayed by the L0 slowdown trigger."},
    {"stall_pending_bytes_slowdown_writes",
     "Write batches delayed by the soft pending compaction bytes limit."},
    {"stall_l0_stop_writes", "Write batches that waited at the L0 stop trigger."},
    {"stall_pending_bytes_stop_writes",
     "Write batches that waited at the hard pending compaction bytes limit."},
    {"stall_memtable_stop_writes", "Write batches that waited for a memtable flush."},
    {"flushes_held", "Flushes that waited for L0 to drop below the stop trigger."},
    {"flush_held_micros", "Microseconds flushes waited for L0 to drop below the stop trigger."},
    {"background_errors", "Background errors that stopped writes."},
    {"txn_conflicts", "Transaction commits refused (Busy) because of a conflict."},
    {"txn_history_aborts",
     "Transaction commits refused (Busy) because the history needed to check them was no longer "
     "kept."},
}};

// Indexed by HistogramType.
constexpr std::array<NameAndHelp, kNumHistogramTypes> kHistograms = {{
    {"get_micros", "Get latency in microseconds."},
    {"write_micros", "Put, Delete and Write latency in microseconds."},
    {"seek_micros", "Iterator seek latency in microseconds."},
    {"next_micros", "Iterator Next and Prev latency in microseconds."},
    {"wal_sync_micros", "Write-ahead log fdatasync latency in microseconds."},
    {"wal_group_batches", "User write batches per group commit."},
    {"flush_micros", "Memtable flush duration in microseconds."},
    {"compaction_micros", "Compaction duration in microseconds."},
}};

}  // namespace

std::string_view TickerName(Ticker ticker) {
  ZIGGY_ASSERT(ticker < Ticker::kNumTickers);
  return kTickers[static_cast<size_t>(ticker)].name;
}

std::string_view TickerHelp(Ticker ticker) {
  ZIGGY_ASSERT(ticker < Ticker::kNumTickers);
  return kTickers[static_cast<size_t>(ticker)].help;
}

std::string_view HistogramName(HistogramType type) {
  ZIGGY_ASSERT(type < HistogramType::kNumHistogramTypes);
  return kHistograms[static_cast<size_t>(type)].name;
}

std::string_view HistogramHelp(HistogramType type) {
  ZIGGY_ASSERT(type < HistogramType::kNumHistogramTypes);
  return kHistograms[static_cast<size_t>(type)].help;
}

}  // namespace ziggydb

// DBImpl::GetProperty and GetStats, and the text of every property (db_properties.h). Formats:
// docs/design/observability.md.
#include "db/db_properties.h"

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include "db/compaction.h"
#include "db/db_impl.h"
#include "db/db_readonly.h"
#include "db/version_set.h"
#include "util/assert.h"
#include "util/escape.h"
#include "util/prometheus_text.h"

namespace ziggydb {
namespace {

// Indexed by WriteStallCause.
constexpr Ticker kStallWritesTickers[] = {
    Ticker::kStallL0SlowdownWrites, Ticker::kStallPendingBytesSlowdownWrites,
    Ticker::kStallL0StopWrites, Ticker::kStallPendingBytesStopWrites,
    Ticker::kStallMemtableStopWrites};
constexpr Ticker kStallMicrosTickers[] = {
    Ticker::kStallL0SlowdownMicros, Ticker::kStallPendingBytesSlowdownMicros,
    Ticker::kStallL0StopMicros, Ticker::kStallPendingBytesStopMicros,
    Ticker::kStallMemtableStopMicros};
static_assert(std::size(kStallWritesTickers) == kNumWriteStallCauses);
static_assert(std::size(kStallMicrosTickers) == kNumWriteStallCauses);

// Histogram `le` bounds of the metrics page: 0, then every power of two up to 2^36 (19 hours in
// micros). Each is a bucket bound of the statistics histograms, so every count is exact.
constexpr int kMetricsBucketBitsMax = 36;

double Ratio(uint64_t numerator, uint64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// The per-level table, stalls and running compactions of "ziggydb.stats".
std::string LevelStatsText(const DBStats& stats) {
  const uint64_t flushed = stats.flush_bytes;
  // W-Amp of a level: bytes written into it / bytes flushed from memtables; the sum row is the
  // DB's write amplification (WAL excluded).
  std::string out =
      "level files        bytes  score       target    read-bytes   write-bytes  w-amp  "
      "compactions moves\n";
  char line[200];
  uint64_t total_files = 0, total_bytes = 0, total_read = 0, total_written = flushed;
  for (int level = 0; level < kNumLevels; ++level) {
    const DBStats::Level& l = stats.levels[level];
    const uint64_t written = level == 0 ? flushed : l.write_bytes;
    if (level != 0) total_written += l.write_bytes;
    total_files += static_cast<uint64_t>(l.files);
    total_bytes += l.bytes;
    total_read += l.read_bytes;
    std::snprintf(line, sizeof(line),
                  "L%d%s  %5d %12" PRIu64 " %6.2f %12" PRIu64 " %13" PRIu64 " %13" PRIu64
                  " %6.2f %12" PRIu64 " %5" PRIu64 "\n",
                  level, level == stats.base_level ? "*" : " ", l.files, l.bytes, l.score,
                  l.target_bytes, l.read_bytes, written, Ratio(written, flushed), l.compactions,
                  l.trivial_moves);
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "sum  %6" PRIu64 " %12" PRIu64 "        %12s %13" PRIu64 " %13" PRIu64
                " %6.2f\n"
                "(* = base level; w-amp = bytes written into the level / bytes flushed)\n"
                "pending compaction bytes: %" PRIu64 "\n",
                total_files, total_bytes, "", total_read, total_written,
                Ratio(total_written, flushed), stats.pending_compaction_bytes);
  out += line;
  for (size_t i = 0; i < kNumWriteStallCauses; ++i) {
    std::snprintf(line, sizeof(line), "stall %s: %" PRIu64 " writes, %" PRIu64 " micros\n",
                  WriteStallCauseName(static_cast<WriteStallCause>(i)), stats.stall_writes[i],
                  stats.stall_micros[i]);
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "flushes held at the L0 stop trigger: %" PRIu64 ", %" PRIu64 " micros\n",
                stats.flushes_held, stats.flush_held_micros);
  out += line;
  std::snprintf(line, sizeof(line), "compactions running: %d (peak %d)\n",
                stats.compactions_running, stats.peak_compactions_running);
  out += line;
  return out;
}

}  // namespace

Ticker StallWritesTicker(WriteStallCause cause) {
  const auto index = static_cast<size_t>(cause);
  ZIGGY_ASSERT(index < kNumWriteStallCauses);  // WriteController makes only these
  return kStallWritesTickers[index];
}

Ticker StallMicrosTicker(WriteStallCause cause) {
  const auto index = static_cast<size_t>(cause);
  ZIGGY_ASSERT(index < kNumWriteStallCauses);
  return kStallMicrosTickers[index];
}

void FillTickerStats(const Statistics& s, DBStats* stats) {
  stats->writes = s.GetTickerCount(Ticker::kWrites);
  stats->wal_writes = s.GetTickerCount(Ticker::kWalWrites);
  stats->wal_records = s.GetTickerCount(Ticker::kWalRecords);
  stats->wal_syncs = s.GetTickerCount(Ticker::kWalSyncs);
  stats->flushes = s.GetTickerCount(Ticker::kFlushes);
  stats->flush_bytes = s.GetTickerCount(Ticker::kFlushBytes);
  for (size_t i = 0; i < kNumWriteStallCauses; ++i) {
    stats->stall_writes[i] = s.GetTickerCount(kStallWritesTickers[i]);
    stats->stall_micros[i] = s.GetTickerCount(kStallMicrosTickers[i]);
  }
  stats->flushes_held = s.GetTickerCount(Ticker::kFlushesHeld);
  stats->flush_held_micros = s.GetTickerCount(Ticker::kFlushHeldMicros);
}

void FillVersionStats(const Version& version, const Options& options, DBStats* stats) {
  const LevelTargets targets = ComputeLevelTargets(version, options);
  const auto scores = ComputeScores(version, options, targets);
  stats->pending_compaction_bytes = EstimatePendingCompactionBytes(version, options, targets);
  stats->base_level = targets.base_level;
  for (int level = 0; level < kNumLevels; ++level) {
    DBStats::Level& l = stats->levels[level];
    l.files = version.NumFiles(level);
    l.bytes = version.LevelBytes(level);
    l.score = scores[level];
    l.target_bytes = level == 0 ? 0 : targets.target_bytes[level];
  }
}

const Statistics& NoStatistics() {
  static const std::shared_ptr<Statistics> none = CreateStatistics();
  return *none;
}

uint64_t DBStats::TotalStallMicros() const {
  uint64_t total = 0;
  for (uint64_t micros : stall_micros)
    total += micros;
  return total;
}

std::string StatsText(const DBStats& stats, const Statistics* statistics) {
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "writes: %" PRIu64 "\nwal writes: %" PRIu64 "\nwal records (groups): %" PRIu64
                "\nwal syncs: %" PRIu64 "\nstall micros: %" PRIu64 "\nflushes: %" PRIu64
                "\nflush bytes: %" PRIu64 "\nwal tail records dropped: %" PRIu64
                "\nwal records skipped: %" PRIu64
                "\nmemtable bytes: %zu\nimmutable memtables: "
                "%zu\nlast sequence: %" PRIu64 "\nlog number: %" PRIu64 "\nbackground error: %s\n",
                stats.writes, stats.wal_writes, stats.wal_records, stats.wal_syncs,
                stats.TotalStallMicros(), stats.flushes, stats.flush_bytes,
                stats.wal_tail_records_dropped, stats.wal_records_skipped, stats.memtable_bytes,
                stats.immutable_memtables, stats.last_sequence, stats.log_number,
                stats.background_error.ToString().c_str());
  std::string out = buf;
  out += LevelStatsText(stats);
  std::snprintf(buf, sizeof(buf), "table cache: %" PRIu64 " hits, %" PRIu64 " misses\n",
                stats.table_cache.hits, stats.table_cache.misses);
  out += buf;
  if (stats.has_block_cache) {
    std::snprintf(buf, sizeof(buf),
                  "block cache: %" PRIu64 " hits, %" PRIu64 " misses, %zu bytes used\n",
                  stats.block_cache.hits, stats.block_cache.misses, stats.block_cache_usage_bytes);
    out += buf;
  }
  if (statistics != nullptr) out += "--- statistics ---\n" + statistics->ToString();
  return out;
}

std::string MetricsText(const DBStats& stats, const Statistics& statistics) {
  PrometheusText page;
  for (size_t i = 0; i < kNumTickers; ++i) {
    const auto ticker = static_cast<Ticker>(i);
    const std::string name = "ziggydb_" + std::string(TickerName(ticker)) + "_total";
    page.Family(name, "counter", TickerHelp(ticker));
    page.Sample(name, statistics.GetTickerCount(ticker));
  }
  for (size_t i = 0; i < kNumHistogramTypes; ++i) {
    const auto type = static_cast<HistogramType>(i);
    const HistogramSnapshot h = statistics.GetHistogram(type);
    std::vector<std::pair<uint64_t, uint64_t>> cumulative;
    cumulative.emplace_back(0, h.CountAtOrBelow(0));
    for (int bits = 0; bits <= kMetricsBucketBitsMax; ++bits) {
      const uint64_t bound = uint64_t{1} << bits;
      cumulative.emplace_back(bound, h.CountAtOrBelow(bound));
    }
    page.Histogram("ziggydb_" + std::string(HistogramName(type)), HistogramHelp(type), cumulative,
                   h.sum, h.count);
  }
  page.Family("ziggydb_level_files", "gauge", "Table files per level.");
  for (int level = 0; level < kNumLevels; ++level)
    page.Sample("ziggydb_level_files", {{"level", std::to_string(level)}},
                static_cast<uint64_t>(stats.levels[level].files));
  page.Family("ziggydb_level_bytes", "gauge", "Bytes of the table files per level.");
  for (int level = 0; level < kNumLevels; ++level)
    page.Sample("ziggydb_level_bytes", {{"level", std::to_string(level)}},
                stats.levels[level].bytes);
  auto gauge = [&page](const char* name, const char* help, uint64_t value) {
    page.Family(name, "gauge", help);
    page.Sample(name, value);
  };
  gauge("ziggydb_l0_files", "Table files in L0.", static_cast<uint64_t>(stats.levels[0].files));
  gauge("ziggydb_memtable_bytes", "Approximate bytes of the mutable memtable.",
        stats.memtable_bytes);
  gauge("ziggydb_immutable_memtables", "Frozen memtables waiting for flush.",
        stats.immutable_memtables);
  gauge("ziggydb_pending_compaction_bytes",
        "Estimated bytes compaction must rewrite to bring every level under its target.",
        stats.pending_compaction_bytes);
  gauge("ziggydb_block_cache_usage_bytes", "Bytes of blocks in the block cache.",
        stats.block_cache_usage_bytes);
  gauge("ziggydb_last_sequence", "Sequence number of the last write.", stats.last_sequence);
  gauge("ziggydb_background_error", "1 when a background error stopped writes.",
        stats.background_error.ok() ? 0 : 1);
  page.Family("ziggydb_write_stall", "gauge", "1 for the write stall condition in force.");
  for (size_t i = 0; i < kNumWriteStallCauses; ++i) {
    const auto cause = static_cast<WriteStallCause>(i);
    page.Sample("ziggydb_write_stall", {{"cause", WriteStallCauseName(cause)}},
                stats.write_stall == cause ? 1 : 0);
  }
  return page.text();
}

std::string SstablesText(const Version& version) {
  std::string out;
  char line[128];
  for (int level = 0; level < kNumLevels; ++level) {
    if (version.NumFiles(level) == 0) continue;
    out += "--- level " + std::to_string(level) + " ---\n";
    for (const auto& file : version.files(level)) {
      ParsedInternalKey smallest;
      ParsedInternalKey largest;
      if (!ParseInternalKey(file->smallest, &smallest) ||
          !ParseInternalKey(file->largest, &largest)) {
        continue;  // VersionEdit::DecodeFrom rejects such keys: never in a Version
      }
      std::snprintf(line, sizeof(line),
                    " %" PRIu64 ": %" PRIu64 " bytes, seq [%" PRIu64 ", %" PRIu64 "], keys [",
                    raw(file->number), file->file_bytes, raw(file->smallest_sequence),
                    raw(file->largest_sequence));
      out += line;
      // Appended piece by piece: GCC 12 at -O3 raises a false -Wrestrict on "'" + std::string&&.
      out += '\'';
      out += EscapeBytes(smallest.user_key);
      out += "' @ ";
      out += std::to_string(raw(smallest.sequence));
      out += " .. '";
      out += EscapeBytes(largest.user_key);
      out += "' @ ";
      out += std::to_string(raw(largest.sequence));
      out += "]";
      if (file->num_entries > 0) {
        std::snprintf(line, sizeof(line), ", %" PRIu64 " entries (%" PRIu64 " reclaimable)",
                      file->num_entries, file->reclaimable_entries);
        out += line;
      }
      out += "\n";
    }
  }
  return out;
}

DBStats DBImpl::GetStats() const {
  DBStats stats;
  FillTickerStats(*db_stats_, &stats);
  stats.wal_tail_records_dropped = wal_tail_records_dropped_.load(std::memory_order_relaxed);
  stats.wal_records_skipped = wal_records_skipped_.load(std::memory_order_relaxed);

  MutexLock lock(&mu_);
  stats.memtable_bytes = mem_ != nullptr ? mem_->ApproximateMemoryBytes() : size_t{0};
  stats.immutable_memtables = imm_.size();
  stats.last_sequence = raw(versions_->LastSequence());
  stats.log_number = raw(versions_->LogNumber());
  stats.background_error = bg_error_;
  stats.write_stall = write_controller_.condition();
  stats.compactions_running = compaction_scheduler_.running();
  stats.peak_compactions_running = compaction_scheduler_.peak_running();
  FillVersionStats(*versions_->current(), options_, &stats);
  for (int level = 0; level < kNumLevels; ++level) {
    DBStats::Level& l = stats.levels[level];
    const LevelCompactionStats& c = compaction_stats_[level];
    l.read_bytes = c.read_bytes;
    l.write_bytes = c.write_bytes;
    l.compactions = c.compactions;
    l.trivial_moves = c.trivial_moves;
  }
  stats.table_cache = reads_.table_cache()->counters();
  if (BlockCache* block_cache = reads_.block_cache(); block_cache != nullptr) {
    stats.has_block_cache = true;
    stats.block_cache = block_cache->counters();
    stats.block_cache_usage_bytes = block_cache->usage();
  }
  return stats;
}

DBStats DBReadOnly::GetStats() const {
  DBStats stats;
  // Its reads are counted in Options::statistics (if set); it writes, flushes and stalls nothing.
  if (options_.statistics != nullptr) FillTickerStats(*options_.statistics, &stats);
  stats.wal_tail_records_dropped = wal_tail_records_dropped_;
  stats.wal_records_skipped = wal_records_skipped_;
  stats.memtable_bytes = state_->mem()->ApproximateMemoryBytes();
  stats.last_sequence = snapshot_->sequence();
  stats.log_number = raw(versions_->LogNumber());
  FillVersionStats(*state_->version(), options_, &stats);
  stats.table_cache = reads_.table_cache()->counters();
  if (BlockCache* block_cache = reads_.block_cache(); block_cache != nullptr) {
    stats.has_block_cache = true;
    stats.block_cache = block_cache->counters();
    stats.block_cache_usage_bytes = block_cache->usage();
  }
  return stats;
}

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  value->clear();
  if (!CheckOpen().ok()) return false;
  constexpr std::string_view kLevelPrefix = "ziggydb.num-files-at-level";
  if (name.starts_with(kLevelPrefix)) {
    const std::string_view digits = name.substr(kLevelPrefix.size());
    if (digits.size() != 1 || digits[0] < '0' || digits[0] >= '0' + kNumLevels) return false;
    MutexLock lock(&mu_);
    *value = std::to_string(versions_->current()->NumFiles(digits[0] - '0'));
    return true;
  }
  if (name == "ziggydb.wal-syncs") {
    *value = std::to_string(db_stats_->GetTickerCount(Ticker::kWalSyncs));
  } else if (name == "ziggydb.wal-writes") {
    *value = std::to_string(db_stats_->GetTickerCount(Ticker::kWalWrites));
  } else if (name == "ziggydb.stall-micros") {
    uint64_t micros = 0;
    for (Ticker ticker : kStallMicrosTickers)
      micros += db_stats_->GetTickerCount(ticker);
    *value = std::to_string(micros);
  } else if (name == "ziggydb.stats") {
    *value = StatsText(GetStats(), stats_);
  } else if (name == "ziggydb.metrics") {
    *value = MetricsText(GetStats(), *db_stats_);
  } else if (name == "ziggydb.sstables") {
    MutexLock lock(&mu_);
    *value = SstablesText(*versions_->current());
  } else if (name == "ziggydb.memory") {
    // Each part of the memory budget, the total, the cap and the targets (memory_budget.h).
    MutexLock lock(&mu_);
    *value = memory_budget_.Describe(MemoryUsageNow());
  } else if (name == "ziggydb.estimate-live-data-size") {
    // The bytes of the current Version's tables: an upper bound that counts versions and
    // tombstones not yet compacted away (memtables excluded).
    MutexLock lock(&mu_);
    uint64_t bytes = 0;
    for (int level = 0; level < kNumLevels; ++level)
      bytes += versions_->current()->LevelBytes(level);
    *value = std::to_string(bytes);
  } else {
    return false;
  }
  return true;
}

}  // namespace ziggydb

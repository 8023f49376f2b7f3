// DBImpl observability: statistics recording helpers, event listeners, the one-line-per-event
// info LOG (format: docs/design/observability.md) and the "ziggydb.metrics" property.
//
// LOG event lines are "event=<name>" followed by space-separated key=value pairs; values never
// contain spaces except a status, which is last and double-quoted.
#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>

#include "db/db_impl.h"
#include "db/db_statistics.h"
#include "util/assert.h"
#include "util/prometheus_text.h"

namespace ziggydb {
namespace {

constexpr const char* kWriteStallCauseNames[] = {"l0-slowdown", "pending-bytes-slowdown", "l0-stop",
                                                 "pending-bytes-stop", "memtable-stop"};
constexpr Ticker kStallTickers[] = {
    Ticker::kStallL0SlowdownMicros, Ticker::kStallPendingBytesSlowdownMicros,
    Ticker::kStallL0StopMicros, Ticker::kStallPendingBytesStopMicros,
    Ticker::kStallMemtableStopMicros};
constexpr size_t kNumWriteStallCauses = std::size(kWriteStallCauseNames);
static_assert(std::size(kStallTickers) == kNumWriteStallCauses);
static_assert(static_cast<size_t>(WriteStallCause::kMemtableStop) + 1 == kNumWriteStallCauses);

// Histogram `le` bounds of the metrics page: 0, then every power of two up to 2^36 (19 hours in
// micros). Each is a bucket bound of the statistics histograms, so every count is exact.
constexpr int kMetricsBucketBitsMax = 36;

std::string QuotedStatus(const Status& s) {
  std::string out = "\"";
  for (char c : s.ToString()) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  out.push_back('"');
  return out;
}

std::string NumberList(const std::vector<uint64_t>& numbers) {
  std::string out;
  for (uint64_t n : numbers) {
    if (!out.empty()) out.push_back(',');
    out += std::to_string(n);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

const char* WriteStallCauseName(WriteStallCause cause) {
  const auto index = static_cast<size_t>(cause);
  ZIGGY_ASSERT(index < kNumWriteStallCauses);
  return kWriteStallCauseNames[index];
}

template <typename Callback>
void DBImpl::NotifyListeners(std::unique_lock<std::mutex>* lock, const Callback& callback) {
  if (options_.listeners.empty()) return;
  // The callbacks may call back into the DB (GetProperty takes mu_): never hold it across them.
  if (lock != nullptr) lock->unlock();
  for (const auto& listener : options_.listeners) {
    if (listener != nullptr) callback(*listener);
  }
  if (lock != nullptr) lock->lock();
}

void DBImpl::LogOptions() const {
  const Options& o = options_;
  char line[1024];
  std::snprintf(
      line, sizeof(line),
      "event=options create_if_missing=%d error_if_exists=%d paranoid_checks=%d "
      "memtable_bytes=%zu max_immutable_memtables=%d max_write_group_bytes=%zu "
      "wal_recovery_mode=%d block_size=%zu block_restart_interval=%d "
      "bloom_bits_per_key=%d compression=%d block_cache_bytes=%zu max_open_files=%d "
      "use_mmap_reads=%d "
      "max_background_jobs=%d l0_compaction_trigger=%d l0_slowdown_trigger=%d "
      "l0_stop_trigger=%d target_file_size=%" PRIu64
      " level_size_multiplier=%d "
      "max_bytes_for_level_base=%" PRIu64
      " compaction_priority=%d soft_pending_compaction_bytes=%" PRIu64
      " hard_pending_compaction_bytes=%" PRIu64 " delayed_write_bytes_per_sec=%" PRIu64
      " statistics=%d listeners=%zu",
      o.create_if_missing, o.error_if_exists, o.paranoid_checks, o.memtable_bytes,
      o.max_immutable_memtables, o.max_write_group_bytes, static_cast<int>(o.wal_recovery_mode),
      o.block_size, o.block_restart_interval, o.bloom_bits_per_key, static_cast<int>(o.compression),
      o.block_cache_bytes, o.max_open_files, o.use_mmap_reads, o.max_background_jobs,
      o.l0_compaction_trigger, o.l0_slowdown_trigger, o.l0_stop_trigger, o.target_file_size,
      o.level_size_multiplier, o.max_bytes_for_level_base, static_cast<int>(o.compaction_priority),
      o.soft_pending_compaction_bytes, o.hard_pending_compaction_bytes,
      o.delayed_write_bytes_per_sec, o.statistics != nullptr, o.listeners.size());
  Log(line);
}

void DBImpl::NotifyFlushBegin(const FlushJobInfo& info, std::unique_lock<std::mutex>* lock) {
  NotifyListeners(lock, [&](EventListener& l) { l.OnFlushBegin(this, info); });
}

void DBImpl::NotifyFlushCompleted(const FlushJobInfo& info, std::unique_lock<std::mutex>* lock) {
  char line[256];
  if (info.status.ok()) {
    RecordTick(stats_, Ticker::kFlushes);
    RecordTick(stats_, Ticker::kFlushBytes, info.file_bytes);
    RecordHistogram(stats_, HistogramType::kFlushMicros, info.duration_micros);
    std::snprintf(line, sizeof(line),
                  "event=flush_finished file=%" PRIu64 " entries=%" PRIu64 " bytes=%" PRIu64
                  " micros=%" PRIu64,
                  info.file_number, info.entries, info.file_bytes, info.duration_micros);
    Log(line);
  } else {
    std::snprintf(line, sizeof(line),
                  "event=flush_failed file=%" PRIu64 " entries=%" PRIu64 " micros=%" PRIu64
                  " status=",
                  info.file_number, info.entries, info.duration_micros);
    Log(line + QuotedStatus(info.status));
  }
  NotifyListeners(lock, [&](EventListener& l) { l.OnFlushCompleted(this, info); });
}

CompactionJobInfo DBImpl::MakeCompactionJobInfo(const Compaction& c) const {
  CompactionJobInfo info;
  info.db_name = dbname_;
  info.input_level = c.start_level();
  info.output_level = c.output_level();
  info.trivial_move = c.IsTrivialMove();
  for (int which = 0; which < 2; ++which) {
    for (const auto& file : c.inputs(which)) {
      info.input_file_numbers.push_back(raw(file->number));
      info.input_file_levels.push_back(which == 0 ? c.start_level() : c.output_level());
    }
  }
  info.read_bytes = c.InputBytes();
  return info;
}

void DBImpl::NotifyCompactionBegin(const CompactionJobInfo& info,
                                   std::unique_lock<std::mutex>* lock) {
  NotifyListeners(lock, [&](EventListener& l) { l.OnCompactionBegin(this, info); });
}

void DBImpl::NotifyCompactionCompleted(const CompactionJobInfo& info,
                                       std::unique_lock<std::mutex>* lock) {
  const char* event = !info.status.ok()   ? "compaction_failed"
                      : info.trivial_move ? "trivial_move"
                                          : "compaction_finished";
  if (info.status.ok()) {
    RecordTick(stats_, info.trivial_move ? Ticker::kCompactionTrivialMoves : Ticker::kCompactions);
    RecordTick(stats_, Ticker::kCompactionReadBytes, info.trivial_move ? 0 : info.read_bytes);
    RecordTick(stats_, Ticker::kCompactionWriteBytes, info.write_bytes);
    RecordHistogram(stats_, HistogramType::kCompactionMicros, info.duration_micros);
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "event=%s from_level=%d to_level=%d inputs=%zu outputs=%zu bytes_in=%" PRIu64
                " bytes_out=%" PRIu64 " dropped=%" PRIu64 " micros=%" PRIu64 " ",
                event, info.input_level, info.output_level, info.input_file_numbers.size(),
                info.output_file_numbers.size(), info.read_bytes, info.write_bytes,
                info.dropped_entries, info.duration_micros);
  std::string text = line;
  text += "input_files=" + NumberList(info.input_file_numbers);
  text += " output_files=" + NumberList(info.output_file_numbers);
  if (!info.status.ok()) text += " status=" + QuotedStatus(info.status);
  Log(text);
  NotifyListeners(lock, [&](EventListener& l) { l.OnCompactionCompleted(this, info); });
}

bool DBImpl::SetWriteStall(std::optional<WriteStallCause> cause,
                           std::unique_lock<std::mutex>* lock) {
  if (cause == write_stall_) return false;
  const std::optional<WriteStallCause> old = write_stall_;
  const uint64_t now_micros = env_->NowMicros();
  const uint64_t duration_micros = now_micros - write_stall_begin_micros_;
  write_stall_ = cause;
  write_stall_begin_micros_ = now_micros;
  if (old.has_value()) {
    Log(std::string("event=stall_end cause=") + WriteStallCauseName(*old) +
        " micros=" + std::to_string(duration_micros));
  }
  if (cause.has_value()) Log(std::string("event=stall_begin cause=") + WriteStallCauseName(*cause));
  NotifyListeners(lock, [&](EventListener& l) {
    if (old.has_value()) l.OnStallEnd(this, WriteStallInfo{dbname_, *old, duration_micros});
    if (cause.has_value()) l.OnStallBegin(this, WriteStallInfo{dbname_, *cause, 0});
  });
  return !options_.listeners.empty();
}

void DBImpl::RecordStallMicros(WriteStallCause cause, uint64_t micros) const {
  const auto index = static_cast<size_t>(cause);
  ZIGGY_ASSERT(index < kNumWriteStallCauses);
  RecordTick(stats_, kStallTickers[index], micros);
}

void DBImpl::ReportBackgroundError(std::unique_lock<std::mutex>* lock) {
  if (bg_error_.ok() || bg_error_reported_) return;
  bg_error_reported_ = true;
  const Status error = bg_error_;
  RecordTick(stats_, Ticker::kBackgroundErrors);
  Log("event=background_error status=" + QuotedStatus(error));
  NotifyListeners(lock, [&](EventListener& l) { l.OnBackgroundError(this, error); });
}

void DBImpl::RecordWriteGroup(size_t batches, uint64_t bytes, uint64_t keys,
                              uint64_t wal_bytes) const {
  if (stats_ == nullptr) return;
  stats_->RecordTick(Ticker::kBytesWritten, bytes);
  stats_->RecordTick(Ticker::kKeysWritten, keys);
  if (wal_bytes > 0) stats_->RecordTick(Ticker::kWalBytes, wal_bytes);
  stats_->RecordHistogram(HistogramType::kWalGroupBatches, batches);
}

void DBImpl::RecordWalSync(uint64_t micros) const {
  if (stats_ == nullptr) return;
  stats_->RecordTick(Ticker::kWalSyncs);
  stats_->RecordHistogram(HistogramType::kWalSyncMicros, micros);
}

std::string DBImpl::MetricsString() const {
  PrometheusText page;
  if (stats_ != nullptr) {
    for (size_t i = 0; i < kNumTickers; ++i) {
      const auto ticker = static_cast<Ticker>(i);
      const std::string name = "ziggydb_" + std::string(TickerName(ticker)) + "_total";
      page.Family(name, "counter", TickerHelp(ticker));
      page.Sample(name, stats_->GetTickerCount(ticker));
    }
    for (size_t i = 0; i < kNumHistogramTypes; ++i) {
      const auto type = static_cast<HistogramType>(i);
      const HistogramSnapshot h = stats_->GetHistogram(type);
      std::vector<std::pair<uint64_t, uint64_t>> cumulative;
      cumulative.emplace_back(0, h.CountAtOrBelow(0));
      for (int bits = 0; bits <= kMetricsBucketBitsMax; ++bits) {
        const uint64_t bound = uint64_t{1} << bits;
        cumulative.emplace_back(bound, h.CountAtOrBelow(bound));
      }
      page.Histogram("ziggydb_" + std::string(HistogramName(type)), HistogramHelp(type), cumulative,
                     h.sum, h.count);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  const Version& version = *versions_->current();
  page.Family("ziggydb_level_files", "gauge", "Table files per level.");
  for (int level = 0; level < kNumLevels; ++level)
    page.Sample("ziggydb_level_files", {{"level", std::to_string(level)}},
                static_cast<uint64_t>(version.NumFiles(level)));
  page.Family("ziggydb_level_bytes", "gauge", "Bytes of the table files per level.");
  for (int level = 0; level < kNumLevels; ++level)
    page.Sample("ziggydb_level_bytes", {{"level", std::to_string(level)}},
                version.LevelBytes(level));
  auto gauge = [&page](const char* name, const char* help, uint64_t value) {
    page.Family(name, "gauge", help);
    page.Sample(name, value);
  };
  gauge("ziggydb_l0_files", "Table files in L0.", static_cast<uint64_t>(version.NumFiles(0)));
  gauge("ziggydb_memtable_bytes", "Approximate bytes of the mutable memtable.",
        mem_ != nullptr ? mem_->ApproximateMemoryBytes() : 0);
  gauge("ziggydb_immutable_memtables", "Frozen memtables waiting for flush.", imm_.size());
  gauge("ziggydb_pending_compaction_bytes",
        "Estimated bytes compaction must rewrite to bring every level under its target.",
        EstimatePendingCompactionBytes(version, options_, ComputeLevelTargets(version, options_)));
  gauge("ziggydb_block_cache_usage_bytes", "Bytes of blocks in the block cache.",
        block_cache_ != nullptr ? block_cache_->usage() : 0);
  gauge("ziggydb_last_sequence", "Sequence number of the last write.",
        raw(versions_->LastSequence()));
  gauge("ziggydb_background_error", "1 when a background error stopped writes.",
        bg_error_.ok() ? 0 : 1);
  page.Family("ziggydb_write_stall", "gauge", "1 for the write stall condition in force.");
  for (size_t i = 0; i < kNumWriteStallCauses; ++i) {
    const bool active = write_stall_.has_value() && static_cast<size_t>(*write_stall_) == i;
    page.Sample("ziggydb_write_stall", {{"cause", kWriteStallCauseNames[i]}}, active ? 1 : 0);
  }
  return page.text();
}

}  // namespace ziggydb

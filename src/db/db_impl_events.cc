// DBImpl observability: counting into db_stats_, listener events (queued in events_ under mu_,
// delivered by the same thread without it: event_queue.h) and the one-line-per-event info LOG
// (format: docs/design/observability.md); and the background error's report and its clearing
// by Resume (docs/design/recovery.md).
//
// LOG event lines are "event=<name>" followed by space-separated key=value pairs; values never
// contain spaces except a status, which is last and double-quoted.
#include <cinttypes>
#include <cstdio>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "db/db_impl.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  out.push_back('"');
  return out;
}

std::string QuotedStatus(const Status& s) {
  return Quoted(s.ToString());
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

void DBImpl::LogOptions() const {
  const Options& o = options_;
  char line[1024];
  std::snprintf(
      line, sizeof(line),
      "event=options create_if_missing=%d error_if_exists=%d paranoid_checks=%d "
      "memtable_bytes=%zu max_immutable_memtables=%d max_write_group_bytes=%zu "
      "wal_recovery_mode=%d block_size=%zu block_restart_interval=%d "
      "bloom_bits_per_key=%d compression=%d block_cache_bytes=%zu row_cache_bytes=%zu "
      "max_open_files=%d "
      "use_mmap_reads=%d "
      "max_background_jobs=%d l0_compaction_trigger=%d read_compactions=%d l0_slowdown_trigger=%d "
      "l0_stop_trigger=%d target_file_size=%" PRIu64
      " level_size_multiplier=%d "
      "max_bytes_for_level_base=%" PRIu64
      " compaction_priority=%d soft_pending_compaction_bytes=%" PRIu64
      " hard_pending_compaction_bytes=%" PRIu64 " delayed_write_bytes_per_sec=%" PRIu64
      " statistics=%d listeners=%zu",
      o.create_if_missing, o.error_if_exists, o.paranoid_checks, o.memtable_bytes,
      o.max_immutable_memtables, o.max_write_group_bytes, static_cast<int>(o.wal_recovery_mode),
      o.block_size, o.block_restart_interval, o.bloom_bits_per_key, static_cast<int>(o.compression),
      o.block_cache_bytes, o.row_cache_bytes, o.max_open_files, o.use_mmap_reads,
      o.max_background_jobs, o.l0_compaction_trigger, o.read_compactions, o.l0_slowdown_trigger,
      o.l0_stop_trigger, o.target_file_size, o.level_size_multiplier, o.max_bytes_for_level_base,
      static_cast<int>(o.compaction_priority), o.soft_pending_compaction_bytes,
      o.hard_pending_compaction_bytes, o.delayed_write_bytes_per_sec, o.statistics != nullptr,
      o.listeners.size());
  Log(line);
}

void DBImpl::NotifyFlushBegin(const FlushJobInfo& info) {
  events_.Push([this, info](EventListener& l) { l.OnFlushBegin(this, info); });
}

void DBImpl::NotifyFlushCompleted(const FlushJobInfo& info) {
  char line[256];
  if (info.status.ok()) {
    db_stats_->RecordTick(Ticker::kFlushes);
    db_stats_->RecordTick(Ticker::kFlushBytes, info.file_bytes);
    db_stats_->RecordHistogram(HistogramType::kFlushMicros, info.duration_micros);
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
  events_.Push([this, info](EventListener& l) { l.OnFlushCompleted(this, info); });
}

CompactionJobInfo DBImpl::MakeCompactionJobInfo(const Compaction& c) const {
  CompactionJobInfo info;
  info.db_name = dbname_;
  info.reason = c.reason();
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

void DBImpl::NotifyCompactionBegin(const CompactionJobInfo& info) {
  events_.Push([this, info](EventListener& l) { l.OnCompactionBegin(this, info); });
}

void DBImpl::NotifyCompactionCompleted(const CompactionJobInfo& info) {
  const char* event = !info.status.ok()   ? "compaction_failed"
                      : info.trivial_move ? "trivial_move"
                                          : "compaction_finished";
  if (info.status.ok()) {
    db_stats_->RecordTick(info.trivial_move ? Ticker::kCompactionTrivialMoves
                                            : Ticker::kCompactions);
    db_stats_->RecordTick(Ticker::kCompactionReadBytes, info.trivial_move ? 0 : info.read_bytes);
    db_stats_->RecordTick(Ticker::kCompactionWriteBytes, info.write_bytes);
    db_stats_->RecordHistogram(HistogramType::kCompactionMicros, info.duration_micros);
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "event=%s reason=%s from_level=%d to_level=%d inputs=%zu outputs=%zu "
                "bytes_in=%" PRIu64 " bytes_out=%" PRIu64 " dropped=%" PRIu64 " micros=%" PRIu64
                " ",
                event, CompactionReasonName(info.reason), info.input_level, info.output_level,
                info.input_file_numbers.size(), info.output_file_numbers.size(), info.read_bytes,
                info.write_bytes, info.dropped_entries, info.duration_micros);
  std::string text = line;
  text += "input_files=" + NumberList(info.input_file_numbers);
  text += " output_files=" + NumberList(info.output_file_numbers);
  if (!info.status.ok()) text += " status=" + QuotedStatus(info.status);
  Log(text);
  events_.Push([this, info](EventListener& l) { l.OnCompactionCompleted(this, info); });
}

void DBImpl::NotifyStallChange(const StallChange& change) {
  if (change.ended.has_value()) {
    Log(std::string("event=stall_end cause=") + WriteStallCauseName(*change.ended) +
        " micros=" + std::to_string(change.ended_duration_micros));
    const WriteStallInfo info{dbname_, *change.ended, change.ended_duration_micros};
    events_.Push([this, info](EventListener& l) { l.OnStallEnd(this, info); });
  }
  if (change.began.has_value()) {
    Log(std::string("event=stall_begin cause=") + WriteStallCauseName(*change.began));
    const WriteStallInfo info{dbname_, *change.began, 0};
    events_.Push([this, info](EventListener& l) { l.OnStallBegin(this, info); });
  }
}

void DBImpl::ReportBackgroundError() {
  if (bg_error_.ok() || bg_error_reported_) return;
  // Out of memory part way: the next call does what is left, each part once.
  try {
    const Status error = bg_error_;
    if (!bg_error_logged_) {
      Log("event=background_error status=" + QuotedStatus(error));
      bg_error_logged_ = true;
    }
    events_.Push([this, error](EventListener& l) { l.OnBackgroundError(this, error); });
  } catch (const std::bad_alloc&) {
    return;
  }
  bg_error_reported_ = true;
  db_stats_->RecordTick(Ticker::kBackgroundErrors);
}

void DBImpl::OutOfMemoryBetweenJobs(std::string_view step) noexcept {
  try {
    SetResumableBackgroundError(Status::IOError("out of memory", step));
    ReportBackgroundError();
  } catch (const std::bad_alloc&) {
    StopWritesWithReservedError();  // no memory for the Status either
    return;
  }
  background_work_done_.NotifyAll();
}

bool DBImpl::CompactionInstalled(int level, FileNumber first_input) const {
  // Its inputs are registered as being compacted: only its own install takes them from `level`.
  for (const auto& file : versions_->current()->files(level)) {
    if (file->number == first_input) return false;
  }
  return true;
}

void DBImpl::AfterBackgroundOutOfMemory() {
  background_work_done_.NotifyAll();
  compaction_needed_.NotifyAll();
  flush_needed_.NotifyAll();
}

bool DBImpl::DeliverEvents() {
  if (!events_.HasMine()) return false;
  EventQueue::Batch batch;
  try {
    batch = events_.TakeMine();
  } catch (const std::bad_alloc&) {
    return false;  // out of memory: the events stay queued for this thread's next delivery
  }
  MutexUnlock unlock(&mu_);
  DeliverTaken(batch);
  return true;
}

void DBImpl::DeliverTaken(const EventQueue::Batch& batch) const {
  const EventQueue::Thrown thrown = events_.Deliver(batch);
  if (thrown.count == 0) return;
  try {
    Log("event=listener_threw callbacks=" + std::to_string(thrown.count) +
        " what=" + Quoted(thrown.first));
  } catch (...) {
    // Out of memory for the line: the callbacks ran; only the report of their failure is lost.
  }
}

void DBImpl::RecordWriteGroup(size_t batches, uint64_t bytes, uint64_t keys,
                              uint64_t wal_bytes) const {
  db_stats_->RecordTick(Ticker::kWrites, batches);
  db_stats_->RecordTick(Ticker::kBytesWritten, bytes);
  db_stats_->RecordTick(Ticker::kKeysWritten, keys);
  if (wal_bytes > 0) {
    db_stats_->RecordTick(Ticker::kWalWrites, batches);
    db_stats_->RecordTick(Ticker::kWalRecords);
    db_stats_->RecordTick(Ticker::kWalBytes, wal_bytes);
  }
  db_stats_->RecordHistogram(HistogramType::kWalGroupBatches, batches);
}

void DBImpl::RecordWalSync(uint64_t micros) const {
  db_stats_->RecordTick(Ticker::kWalSyncs);
  db_stats_->RecordHistogram(HistogramType::kWalSyncMicros, micros);
}

void DBImpl::SetResumableBackgroundError(const Status& s) {
  if (!bg_error_.ok()) return;  // the error that stopped writes first stands, resumable or not
  SetBackgroundError(s);
  bg_error_resumable_ = true;
}

Status DBImpl::BackgroundOutOfMemory(std::string_view job, bool installed) {
  const Status s = Status::IOError("out of memory", job);
  // Before its edit was installed, a job's effects are files no Version names (removed once
  // Resume's DeleteObsoleteFiles runs) and its pending outputs (released by unwinding): Resume
  // may retry it. After, the steps that follow the install (the new SuperVersion, the queue of
  // flushed memtables) may be half done: only a reopen, which rebuilds them from disk, is safe.
  if (!installed) {
    SetResumableBackgroundError(s);
  } else {
    SetBackgroundError(s);
  }
  return s;
}

Status DBImpl::Resume() {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&mu_);
  if (bg_error_.ok()) return Status::OK();
  // A failed WAL write or sync may have lost acknowledged writes from the log: only a reopen,
  // which replays what the log holds, knows the truth.
  if (!bg_error_resumable_) return bg_error_;
  // Compactions started before the error install nothing while it stands (RunCompaction checks
  // it); let them end first, so that none is mid-edit below.
  while (compaction_scheduler_.running() > 0 && !shutting_down_)
    background_work_done_.Wait(&mu_);
  if (shutting_down_) return bg_error_;
  // The failed edit may or may not be durable, and the MANIFEST may end in a partial record: the
  // next edit goes to a fresh MANIFEST (VersionSet never appends after a failed write) holding
  // exactly the installed state, so the durable state equals the one in memory before any file
  // is deleted or any work redone. An edit with no change does that (or appends harmlessly when
  // the failure was not the MANIFEST's).
  VersionEdit edit;
  if (Status s = versions_->LogAndApply(&edit, &mu_); !s.ok()) {
    Log("event=resume_failed status=" + QuotedStatus(s));
    return s;
  }
  Log("event=resumed status=" + QuotedStatus(bg_error_));  // the error cleared
  bg_error_ = Status::OK();
  bg_error_reported_ = false;
  bg_error_logged_ = false;
  bg_error_resumable_ = false;
  // The failed job's outputs are named by no MANIFEST now: they go; the flush thread redoes the
  // queued memtables, the compaction threads pick again, stalled writers look again.
  DeleteObsoleteFiles();
  flush_needed_.NotifyAll();
  compaction_needed_.NotifyAll();
  background_work_done_.NotifyAll();
  return Status::OK();
}

}  // namespace ziggydb

// DBImpl compaction: the compaction threads (max_background_jobs - 1), each running one
// compaction at a time that conflicts with none of the others (compaction.h picks it), and
// CompactRange, which runs alone. Design and crash-safety argument: docs/design/compaction.md.
//
// Order of a compaction: write every output table, sync each, sync the directory, then one
// LogAndApply edit that adds the outputs and removes the inputs. A crash before the edit is
// durable leaves the old Version (the outputs are unreferenced and deleted by the next Open); a
// crash after leaves the new one. Inputs are deleted by DeleteObsoleteFiles only once no live
// Version lists them.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/merging_iterator.h"
#include "table/table_builder.h"
#include "util/assert.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// Entries merged between two checks of shutdown_requested_.
constexpr uint64_t kShutdownCheckEntries = 1024;
// A delayed writer sleeps once it owes at least this much delay: shorter sleeps cost more in
// wake-up overhead than they throttle.
constexpr uint64_t kMinDelaySleepMicros = 1000;

// Why writes are slowed or stopped. Indexes DBImpl::stall_cause_micros_ (not persisted).
enum class StallCause : uint8_t {
  kL0Slowdown = 0,
  kPendingBytesSlowdown = 1,
  kL0Stop = 2,
  kPendingBytesStop = 3,
  kNone = 4,
};
constexpr const char* kStallCauseNames[] = {"l0-slowdown", "pending-bytes-slowdown", "l0-stop",
                                            "pending-bytes-stop"};
static_assert(std::size(kStallCauseNames) == static_cast<size_t>(StallCause::kNone));
// Statistics and listeners report a StallCause as the WriteStallCause of the same value.
static_assert(static_cast<int>(StallCause::kPendingBytesStop) ==
              static_cast<int>(WriteStallCause::kPendingBytesStop));

StallCause CurrentStall(const Version& version, const Options& options) {
  const int l0_files = version.NumFiles(0);
  const uint64_t pending =
      EstimatePendingCompactionBytes(version, options, ComputeLevelTargets(version, options));
  if (l0_files >= options.l0_stop_trigger) return StallCause::kL0Stop;
  if (options.hard_pending_compaction_bytes != 0 &&
      pending >= options.hard_pending_compaction_bytes) {
    return StallCause::kPendingBytesStop;
  }
  if (l0_files >= options.l0_slowdown_trigger) return StallCause::kL0Slowdown;
  if (options.soft_pending_compaction_bytes != 0 &&
      pending >= options.soft_pending_compaction_bytes) {
    return StallCause::kPendingBytesSlowdown;
  }
  return StallCause::kNone;
}

}  // namespace

struct DBImpl::CompactionOutput {
  FileMetaData meta;
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<TableBuilder> builder;  // null between output tables
  uint64_t smallest_sequence = std::numeric_limits<uint64_t>::max();
  uint64_t largest_sequence = 0;
};

void DBImpl::StartCompactionThreads() {
  ZIGGY_ASSERT(compaction_threads_.empty());
  // One of the background jobs is the flush thread (bg_thread_).
  const int threads = options_.max_background_jobs - 1;
  ZIGGY_ASSERT(threads >= 1);  // Options::Validate: max_background_jobs >= 2
  for (int i = 0; i < threads; ++i)
    compaction_threads_.emplace_back([this] { CompactionThreadMain(); });
}

void DBImpl::CompactionThreadMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::unique_ptr<Compaction> c;
    bg_cv_.wait(lock, [&] {
      if (shutting_down_) return true;
      if (!bg_error_.ok() || manual_compaction_running_ || manual_compactions_waiting_ > 0) {
        return false;
      }
      c = PickAutomaticCompaction();
      return c != nullptr;
    });
    if (shutting_down_) return;
    // INVARIANT: c conflicts with no running compaction; registered before mu_ is released, so
    // no other thread can pick any of its inputs or its key range at the levels it spans.
    compactions_in_progress_.Add(c.get());
    ++compactions_running_;
    peak_compactions_running_ = std::max(peak_compactions_running_, compactions_running_);
    Status s = RunCompaction(c.get(), &lock);
    compactions_in_progress_.Remove(c.get());
    --compactions_running_;
    c.reset();  // unpins the input Version, so that its tables can go
    if (!s.ok() && !shutting_down_) SetBackgroundError(s);
    // Wakes CompactRange callers waiting for compactions_running_ == 0, stalled writers, the
    // flush thread held by a full L0, and the other compaction threads (work may have appeared).
    bg_cv_.notify_all();
    ReportBackgroundError(&lock);
    if (s.ok()) DeleteObsoleteFiles(&lock);
  }
}

Status DBImpl::WaitForBackgroundWork() {
  std::unique_lock<std::mutex> lock(mu_);
  // bg_cv_ is notified after every flush and every compaction.
  bg_cv_.wait(lock, [this] {
    if (!bg_error_.ok() || shutting_down_) return true;
    if (!imm_.empty() || compactions_running_ > 0 || manual_compactions_waiting_ > 0) return false;
    // With nothing running, a level scoring >= 1 always yields a pick (nothing can conflict), so
    // the compaction threads are about to start it.
    const Version& version = *versions_->current();
    const auto scores = ComputeScores(version, options_, ComputeLevelTargets(version, options_));
    return *std::max_element(scores.begin(), scores.end()) < 1.0;
  });
  return bg_error_;
}

std::unique_ptr<Compaction> DBImpl::PickAutomaticCompaction() {
  return PickCompaction(versions_->current(), options_, versions_->compact_pointers(),
                        compactions_in_progress_);
}

void DBImpl::TEST_SetCompactionHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> guard(mu_);
  compaction_test_hook_ = std::move(hook);
}

std::array<std::string, kNumLevels> DBImpl::TEST_CompactPointers() {
  std::lock_guard<std::mutex> guard(mu_);
  return *versions_->compact_pointers();
}

Status DBImpl::RunCompaction(Compaction* c, std::unique_lock<std::mutex>* lock) {
  ZIGGY_ASSERT(compactions_running_ > 0);
  if (compaction_test_hook_) {
    // c is registered: while mu_ is released nothing else can take its inputs or key range.
    const std::function<void()> hook = compaction_test_hook_;
    lock->unlock();
    hook();
    lock->lock();
  }
  const uint64_t start_micros = env_->NowMicros();
  CompactionJobInfo info = MakeCompactionJobInfo(*c);
  NotifyCompactionBegin(info, lock);  // releases mu_ around listeners; c stays registered
  LevelCompactionStats& stats = compaction_stats_[c->output_level()];
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  if (c->IsTrivialMove()) {
    const FileMetaData& file = *c->inputs(0).front();
    edit.AddFile(c->output_level(), file);
    ZIGGY_RETURN_IF_ERROR(bg_error_);
    ZIGGY_RETURN_IF_ERROR(versions_->LogAndApply(&edit, lock));
    ++stats.trivial_moves;
    info.output_file_numbers.push_back(raw(file.number));
    info.duration_micros = env_->NowMicros() - start_micros;
    NotifyCompactionCompleted(info, lock);  // logs event=trivial_move
    return Status::OK();
  }
  const std::vector<SequenceNumber> snapshots = LiveSnapshotSequences();
  std::vector<FileMetaData> outputs;
  uint64_t dropped = 0;
  lock->unlock();
  Status s = WriteCompactionOutputs(c, snapshots, &outputs, &dropped);
  lock->lock();
  // After a background error the in-memory state may lag the MANIFEST: install nothing more.
  if (s.ok() && !bg_error_.ok()) s = bg_error_;
  if (!s.ok()) {
    RemoveCompactionOutputs(outputs);
  } else {
    for (const FileMetaData& out : outputs)
      edit.AddFile(c->output_level(), out);
    // A failed edit may still be durable: its outputs stay until the next Open sorts it out.
    s = versions_->LogAndApply(&edit, lock);
  }
  for (const FileMetaData& out : outputs)
    pending_outputs_.erase(out.number);
  info.duration_micros = env_->NowMicros() - start_micros;
  if (!s.ok()) {
    info.status = s;
    NotifyCompactionCompleted(info, lock);  // logs event=compaction_failed
    return s;
  }
  uint64_t written = 0;
  for (const FileMetaData& out : outputs)
    written += out.file_bytes;
  ++stats.compactions;
  stats.read_bytes += c->InputBytes();
  stats.write_bytes += written;
  stats.micros += info.duration_micros;
  for (const FileMetaData& out : outputs)
    info.output_file_numbers.push_back(raw(out.number));
  info.write_bytes = written;
  info.dropped_entries = dropped;
  NotifyCompactionCompleted(info, lock);  // logs event=compaction_finished
  return Status::OK();
}

Status DBImpl::WriteCompactionOutputs(Compaction* c, const std::vector<SequenceNumber>& snapshots,
                                      std::vector<FileMetaData>* outputs,
                                      uint64_t* dropped_entries) {
  ReadOptions read_options;
  read_options.fill_cache = false;  // a compaction reads each block once
  std::vector<std::unique_ptr<Iterator>> children;
  std::vector<std::shared_ptr<const TableReader>> tables;  // keeps the readers open
  for (int which = 0; which < 2; ++which) {
    for (const auto& file : c->inputs(which)) {
      std::shared_ptr<const TableReader> table;
      ZIGGY_RETURN_IF_ERROR(table_cache_->FindTable(file->number, file->file_bytes, &table));
      children.push_back(table->NewIterator(read_options));
      tables.push_back(std::move(table));
    }
  }
  MergingIterator input(&icmp_, std::move(children));
  VersionGarbageCollector gc(icmp_.user_comparator(), snapshots, c);
  const Comparator* ucmp = icmp_.user_comparator();
  CompactionOutput out;
  std::string last_user_key;
  bool has_last = false;
  uint64_t entries = 0;
  // A value that every reader sees, with nothing older left of its key and nothing below the
  // output, is written with sequence 0: its key's trailer then takes one byte in a table
  // (docs/format/internal_key.md, "Sequence 0"). Sequence 0 sorts after every newer version.
  const bool zero_sequences = c->OutputIsBottommost();
  std::string zeroed_key;
  Status s;
  for (input.SeekToFirst(); input.Valid(); input.Next()) {
    if (++entries % kShutdownCheckEntries == 0 &&
        shutdown_requested_.load(std::memory_order_relaxed)) {
      s = Status::Busy("compaction abandoned: the DB is closing");
      break;
    }
    ParsedInternalKey parsed;
    if (!ParseInternalKey(input.key(), &parsed)) {
      s = Status::Corruption("malformed internal key in a compaction input");
      break;
    }
    // Outputs end only between user keys: the versions of a key stay in one table.
    if (!has_last || ucmp->Compare(parsed.user_key, last_user_key) != 0) {
      const uint64_t output_bytes = out.builder != nullptr ? out.builder->FileSize() : 0;
      if (c->ShouldStopBefore(input.key(), output_bytes)) {
        s = FinishCompactionOutput(&out, outputs);
        if (!s.ok()) break;
      }
      last_user_key.assign(parsed.user_key);
      has_last = true;
    }
    if (gc.ShouldDrop(parsed)) continue;
    std::string_view key = input.key();
    if (zero_sequences && parsed.type == ValueType::kValue && raw(parsed.sequence) != 0 &&
        gc.KeptEntryVisibleToAll()) {
      parsed.sequence = SequenceNumber{0};
      zeroed_key.clear();
      AppendInternalKey(&zeroed_key, parsed);
      key = zeroed_key;
    }
    if (out.builder == nullptr) {
      s = OpenCompactionOutput(&out);
      if (!s.ok()) break;
      out.meta.smallest.assign(key);
    }
    out.builder->Add(key, input.value());
    out.meta.largest.assign(key);
    out.smallest_sequence = std::min(out.smallest_sequence, raw(parsed.sequence));
    out.largest_sequence = std::max(out.largest_sequence, raw(parsed.sequence));
  }
  if (s.ok()) s = input.status();
  if (s.ok() && out.builder != nullptr) s = FinishCompactionOutput(&out, outputs);
  if (!s.ok() && out.builder != nullptr) {
    out.builder->Abandon();
    out.builder.reset();
    out.file.reset();
    env_->RemoveFile(TableFileName(dbname_, out.meta.number)).PermitUncheckedError();
    std::lock_guard<std::mutex> guard(mu_);
    pending_outputs_.erase(out.meta.number);
  }
  if (s.ok() && !outputs->empty()) s = env_->SyncDir(dbname_);
  *dropped_entries = gc.dropped_shadowed() + gc.dropped_tombstones();
  return s;
}

Status DBImpl::OpenCompactionOutput(CompactionOutput* out) {
  ZIGGY_ASSERT(out->builder == nullptr);
  out->meta = FileMetaData();
  out->smallest_sequence = std::numeric_limits<uint64_t>::max();
  out->largest_sequence = 0;
  {
    std::lock_guard<std::mutex> guard(mu_);
    out->meta.number = versions_->NewFileNumber();
    pending_outputs_.insert(out->meta.number);
  }
  Status s = env_->NewWritableFile(TableFileName(dbname_, out->meta.number), &out->file);
  if (!s.ok()) {
    std::lock_guard<std::mutex> guard(mu_);
    pending_outputs_.erase(out->meta.number);
    return s;
  }
  out->builder = std::make_unique<TableBuilder>(table_options_, out->file.get());
  return Status::OK();
}

Status DBImpl::FinishCompactionOutput(CompactionOutput* out, std::vector<FileMetaData>* outputs) {
  ZIGGY_ASSERT(out->builder != nullptr && out->builder->NumEntries() > 0);
  out->builder->SetSequenceRange(out->smallest_sequence, out->largest_sequence);
  Status s = out->builder->Finish();
  if (s.ok()) s = out->file->Sync();
  if (s.ok()) s = out->file->Close();
  out->meta.file_bytes = out->builder->FileSize();
  out->meta.smallest_sequence = SequenceNumber{out->smallest_sequence};
  out->meta.largest_sequence = SequenceNumber{out->largest_sequence};
  out->builder.reset();
  out->file.reset();
  if (s.ok() && options_.paranoid_checks) {
    // Read back what was just written: footer and meta blocks, through the table cache.
    std::shared_ptr<const TableReader> table;
    s = table_cache_->FindTable(out->meta.number, out->meta.file_bytes, &table);
  }
  if (!s.ok()) {
    table_cache_->Evict(out->meta.number);
    env_->RemoveFile(TableFileName(dbname_, out->meta.number)).PermitUncheckedError();
    std::lock_guard<std::mutex> guard(mu_);
    pending_outputs_.erase(out->meta.number);
    return s;
  }
  ZIGGY_DASSERT(icmp_.Compare(out->meta.smallest, out->meta.largest) <= 0);
  outputs->push_back(out->meta);
  return Status::OK();
}

void DBImpl::RemoveCompactionOutputs(const std::vector<FileMetaData>& outputs) {
  for (const FileMetaData& out : outputs) {
    table_cache_->Evict(out.number);
    env_->RemoveFile(TableFileName(dbname_, out.number)).PermitUncheckedError();
  }
}

Status DBImpl::CompactRange(const std::string_view* begin, const std::string_view* end) {
  ZIGGY_RETURN_IF_ERROR(Flush());
  std::unique_lock<std::mutex> lock(mu_);
  ++manual_compactions_waiting_;
  // Automatic compactions start no new work while a manual one waits: the count only falls.
  bg_cv_.wait(lock, [this] { return compactions_running_ == 0 || !bg_error_.ok(); });
  --manual_compactions_waiting_;
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  ZIGGY_ASSERT(!manual_compaction_running_);
  manual_compaction_running_ = true;
  ++compactions_running_;
  peak_compactions_running_ = std::max(peak_compactions_running_, compactions_running_);
  Status s;
  // Level by level: each step moves the range's tables of one level into the next level that
  // holds the range (or the last); the last level is then rewritten in place, which drops what
  // the snapshots released since it was written no longer need.
  for (int level = 0; level < kNumLevels && s.ok(); ++level) {
    std::unique_ptr<Compaction> c =
        PickManualCompaction(versions_->current(), options_, level, begin, end);
    if (c == nullptr) continue;
    s = RunCompaction(c.get(), &lock);
    c.reset();  // unpins the input Version, so that its tables can go
    if (s.ok()) DeleteObsoleteFiles(&lock);
  }
  --compactions_running_;
  ZIGGY_ASSERT(compactions_running_ == 0);
  manual_compaction_running_ = false;
  if (!s.ok() && !shutting_down_) SetBackgroundError(s);
  bg_cv_.notify_all();
  ReportBackgroundError(&lock);
  return s;
}

Status DBImpl::ThrottleWrites(std::unique_lock<std::mutex>* lock, uint64_t bytes) {
  bool delayed = false;
  bool stopped = false;  // this write is counted once per stop cause, however often it wakes
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const StallCause cause = CurrentStall(*versions_->current(), options_);
    const std::optional<WriteStallCause> stall =
        cause == StallCause::kNone ? std::nullopt
                                   : std::optional(static_cast<WriteStallCause>(cause));
    if (SetWriteStall(stall, lock)) continue;  // mu_ was released for listeners: look again
    if (cause == StallCause::kNone) return Status::OK();
    const size_t index = static_cast<size_t>(cause);
    if (cause == StallCause::kL0Stop || cause == StallCause::kPendingBytesStop) {
      // A stop always has a compaction to wait for: its cause gives some level a score >= 1.
      if (!stopped) ++stall_cause_count_[index];
      stopped = true;
      const uint64_t start_micros = env_->NowMicros();
      bg_cv_.wait(*lock);
      const uint64_t waited = env_->NowMicros() - start_micros;
      stall_cause_micros_[index] += waited;
      RecordStallMicros(static_cast<WriteStallCause>(cause), waited);
      stall_micros_.fetch_add(waited, std::memory_order_relaxed);
      continue;
    }
    if (delayed) return Status::OK();  // one delay per write; a stop is still honoured above
    delayed = true;
    ++stall_cause_count_[index];
    delay_debt_micros_ += bytes * 1'000'000 / options_.delayed_write_bytes_per_sec;
    if (delay_debt_micros_ < kMinDelaySleepMicros) continue;
    const uint64_t sleep_micros = delay_debt_micros_;
    delay_debt_micros_ = 0;
    lock->unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_micros));
    lock->lock();
    stall_cause_micros_[index] += sleep_micros;
    RecordStallMicros(static_cast<WriteStallCause>(cause), sleep_micros);
    stall_micros_.fetch_add(sleep_micros, std::memory_order_relaxed);
  }
}

void DBImpl::ChargeWriteDelay(uint64_t bytes, size_t writes) {
  if (write_stall_ != WriteStallCause::kL0Slowdown &&
      write_stall_ != WriteStallCause::kPendingBytesSlowdown) {
    return;
  }
  stall_cause_count_[static_cast<size_t>(*write_stall_)] += writes;
  delay_debt_micros_ += bytes * 1'000'000 / options_.delayed_write_bytes_per_sec;
}

bool DBImpl::HoldFlushWhileL0Full(std::unique_lock<std::mutex>* lock) {
  if (versions_->current()->NumFiles(0) < options_.l0_stop_trigger) return false;
  ++flushes_held_;
  Log("L0 reached the stop trigger: flushes wait for a compaction");
  const uint64_t start_micros = env_->NowMicros();
  bg_cv_.wait(*lock, [this] {
    return shutting_down_ || !bg_error_.ok() ||
           versions_->current()->NumFiles(0) < options_.l0_stop_trigger;
  });
  flush_held_micros_ += env_->NowMicros() - start_micros;
  return true;
}

std::string DBImpl::LevelStatsString() const {
  const Version& version = *versions_->current();
  const LevelTargets targets = ComputeLevelTargets(version, options_);
  const auto scores = ComputeScores(version, options_, targets);
  const uint64_t flushed = flush_bytes_.load(std::memory_order_relaxed);
  // W-Amp of a level: bytes written into it / bytes flushed from memtables; the sum row is the
  // DB's write amplification (WAL excluded).
  std::string out =
      "level files        bytes  score       target    read-bytes   write-bytes  w-amp  "
      "compactions moves\n";
  char line[200];
  uint64_t total_files = 0, total_bytes = 0, total_read = 0, total_written = flushed;
  for (int level = 0; level < kNumLevels; ++level) {
    const LevelCompactionStats& stats = compaction_stats_[level];
    const uint64_t written = level == 0 ? flushed : stats.write_bytes;
    if (level != 0) total_written += stats.write_bytes;
    total_files += version.NumFiles(level);
    total_bytes += version.LevelBytes(level);
    total_read += stats.read_bytes;
    std::snprintf(line, sizeof(line),
                  "L%d%s  %5d %12" PRIu64 " %6.2f %12" PRIu64 " %13" PRIu64 " %13" PRIu64
                  " %6.2f %12" PRIu64 " %5" PRIu64 "\n",
                  level, level == targets.base_level ? "*" : " ", version.NumFiles(level),
                  version.LevelBytes(level), scores[level],
                  level == 0 ? uint64_t{0} : targets.target_bytes[level], stats.read_bytes, written,
                  flushed == 0 ? 0.0 : static_cast<double>(written) / static_cast<double>(flushed),
                  stats.compactions, stats.trivial_moves);
    out += line;
  }
  std::snprintf(
      line, sizeof(line),
      "sum  %6" PRIu64 " %12" PRIu64 "        %12s %13" PRIu64 " %13" PRIu64
      " %6.2f\n"
      "(* = base level; w-amp = bytes written into the level / bytes flushed)\n"
      "pending compaction bytes: %" PRIu64 "\n",
      total_files, total_bytes, "", total_read, total_written,
      flushed == 0 ? 0.0 : static_cast<double>(total_written) / static_cast<double>(flushed),
      EstimatePendingCompactionBytes(version, options_, targets));
  out += line;
  for (size_t i = 0; i < stall_cause_count_.size(); ++i) {
    std::snprintf(line, sizeof(line), "stall %s: %" PRIu64 " writes, %" PRIu64 " micros\n",
                  kStallCauseNames[i], stall_cause_count_[i], stall_cause_micros_[i]);
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "flushes held at the L0 stop trigger: %" PRIu64 ", %" PRIu64 " micros\n",
                flushes_held_, flush_held_micros_);
  out += line;
  std::snprintf(line, sizeof(line), "compactions running: %d (peak %d)\n", compactions_running_,
                peak_compactions_running_);
  out += line;
  return out;
}

std::string DBImpl::SstablesString() const {
  const Version& version = *versions_->current();
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
      out += "]\n";
    }
  }
  return out;
}

}  // namespace ziggydb

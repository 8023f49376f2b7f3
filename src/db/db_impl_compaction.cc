// DBImpl compaction: the compaction threads (max_background_jobs - 1), each running one
// compaction at a time that conflicts with none of the others (compaction_scheduler.h decides
// which may start), and CompactRange, which runs alone. The merge itself is a CompactionJob
// (compaction_job.h); this file installs its result. Design and crash-safety argument:
// docs/design/compaction.md.
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
#include <thread>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "util/assert.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

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
      if (!bg_error_.ok()) return false;
      c = compaction_scheduler_.StartAutomatic(versions_->current(), options_,
                                               versions_->compact_pointers());
      return c != nullptr;
    });
    if (shutting_down_) return;
    Status s = RunCompaction(c.get(), &lock);
    compaction_scheduler_.FinishAutomatic(c.get());
    c.reset();  // unpins the input Version, so that its tables can go
    if (!s.ok() && !shutting_down_) SetBackgroundError(s);
    // Wakes CompactRange callers waiting for no compaction to run, stalled writers, the
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
    if (!imm_.empty() || !compaction_scheduler_.Idle()) return false;
    // With nothing running, a level scoring >= 1 always yields a pick (nothing can conflict), so
    // the compaction threads are about to start it.
    const Version& version = *versions_->current();
    const auto scores = ComputeScores(version, options_, ComputeLevelTargets(version, options_));
    return *std::max_element(scores.begin(), scores.end()) < 1.0;
  });
  return bg_error_;
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
  ZIGGY_ASSERT(compaction_scheduler_.running() > 0);
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
  if (c->IsTrivialMove()) {
    CompactionJob job(MakeCompactionJobContext(), c, {});
    ZIGGY_RETURN_IF_ERROR(job.Run());  // no I/O: the input table moves as it is
    job.AddToEdit(&edit);
    ZIGGY_RETURN_IF_ERROR(bg_error_);
    ZIGGY_RETURN_IF_ERROR(versions_->LogAndApply(&edit, lock));
    ++stats.trivial_moves;
    info.output_file_numbers.push_back(raw(c->inputs(0).front()->number));
    info.duration_micros = env_->NowMicros() - start_micros;
    NotifyCompactionCompleted(info, lock);  // logs event=trivial_move
    return Status::OK();
  }
  // Destroyed at return, under mu_: its outputs stay pending until the edit is installed.
  CompactionJob job(MakeCompactionJobContext(), c, LiveSnapshotSequences());
  lock->unlock();
  Status s = job.Run();
  lock->lock();
  // After a background error the in-memory state may lag the MANIFEST: install nothing more.
  if (s.ok() && !bg_error_.ok()) s = bg_error_;
  if (!s.ok()) {
    job.RemoveOutputs();
  } else {
    job.AddToEdit(&edit);
    // A failed edit may still be durable: its outputs stay until the next Open sorts it out.
    s = versions_->LogAndApply(&edit, lock);
  }
  info.duration_micros = env_->NowMicros() - start_micros;
  if (!s.ok()) {
    info.status = s;
    NotifyCompactionCompleted(info, lock);  // logs event=compaction_failed
    return s;
  }
  ++stats.compactions;
  stats.read_bytes += c->InputBytes();
  stats.write_bytes += job.write_bytes();
  stats.micros += info.duration_micros;
  for (const FileMetaData& out : job.outputs())
    info.output_file_numbers.push_back(raw(out.number));
  info.write_bytes = job.write_bytes();
  info.dropped_entries = job.dropped_entries();
  NotifyCompactionCompleted(info, lock);  // logs event=compaction_finished
  return Status::OK();
}

CompactionJobContext DBImpl::MakeCompactionJobContext() {
  CompactionJobContext context;
  context.icmp = &icmp_;
  context.table_cache = table_cache_.get();
  context.output = MakeTableOutputContext();
  context.new_output = [this] {
    std::lock_guard<std::mutex> guard(mu_);
    return NewPendingOutput();
  };
  context.shutdown_requested = &shutdown_requested_;
  return context;
}

Status DBImpl::CompactRange(const std::string_view* begin, const std::string_view* end) {
  ZIGGY_RETURN_IF_ERROR(Flush());
  std::unique_lock<std::mutex> lock(mu_);
  compaction_scheduler_.BeginManualWait();
  // Automatic compactions start no new work while a manual one waits: the count only falls.
  bg_cv_.wait(lock, [this] { return compaction_scheduler_.ManualMayStart() || !bg_error_.ok(); });
  compaction_scheduler_.EndManualWait();
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  compaction_scheduler_.StartManual();
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
  compaction_scheduler_.FinishManual();
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
  std::snprintf(line, sizeof(line), "compactions running: %d (peak %d)\n",
                compaction_scheduler_.running(), compaction_scheduler_.peak_running());
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
      out += "'" + EscapeBytes(smallest.user_key) + "' @ " +
             std::to_string(raw(smallest.sequence)) + " .. '" + EscapeBytes(largest.user_key) +
             "' @ " + std::to_string(raw(largest.sequence)) + "]\n";
    }
  }
  return out;
}

}  // namespace ziggydb

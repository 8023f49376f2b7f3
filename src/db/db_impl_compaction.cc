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
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "db/db_impl.h"
#include "db/filename.h"
#include "env/kill_point.h"
#include "util/assert.h"
#include "util/status_macros.h"

namespace ziggydb {
void DBImpl::StartCompactionThreads() {
  ZIGGY_ASSERT(compaction_threads_.empty());
  // One of the background jobs is the flush thread (bg_thread_).
  const int threads = options_.max_background_jobs - 1;
  ZIGGY_ASSERT(threads >= 1);  // Options::Validate: max_background_jobs >= 2
  for (int i = 0; i < threads; ++i)
    compaction_threads_.emplace_back([this] { CompactionThreadMain(); });
}

void DBImpl::CompactionThreadMain() {
  MutexLock lock(&mu_);
  while (true) {
    DeliverEvents();  // any that a delivery short of memory left queued
    std::unique_ptr<Compaction> c;
    while (true) {
      if (shutting_down_) {
        DeliverEvents();
        return;
      }
      if (bg_error_.ok()) {
        try {
          c = compaction_scheduler_.StartAutomatic(versions_->current(), options_,
                                                   versions_->compact_pointers(), OldestSnapshot());
        } catch (const std::bad_alloc&) {
          // Out of memory for the pick: nothing started (StartAutomatic registers a compaction
          // only whole). A resumable error, so that the work is not silently left undone
          // (WaitForBackgroundWork would wait for it); Resume picks again.
          c = nullptr;
          OutOfMemoryBetweenJobs("picking a compaction");
          // Its event goes out before this thread waits. Delivering released mu_: a Resume may
          // have come and gone, its wake-up missed, so everything is checked again first.
          if (DeliverEvents()) continue;
        }
        if (c != nullptr) break;
      }
      compaction_needed_.Wait(&mu_);
    }
    try {
      BackgroundCompaction(std::move(c));
    } catch (const std::bad_alloc&) {
      AfterBackgroundOutOfMemory();
    }
  }
}

void DBImpl::BackgroundCompaction(std::unique_ptr<Compaction> c) {
  Status s;
  try {
    s = RunCompaction(c.get());
  } catch (const std::bad_alloc&) {
    try {
      // Unwinding re-locked mu_.
      s = BackgroundOutOfMemory(
          "compaction", CompactionInstalled(c->start_level(), c->inputs(0).front()->number));
    } catch (const std::bad_alloc&) {
      // Out of memory again: c is unregistered before it goes (a pick must never meet a freed
      // compaction, nor its inputs stay marked busy), and writes stop until a reopen (whether
      // the job installed its edit went unrecorded); the thread's catch wakes the other waiters.
      compaction_scheduler_.FinishAutomatic(c.get());
      StopWritesWithReservedError();
      throw;
    }
  }
  // c is still registered: listeners hear of it before WaitForBackgroundWork can return.
  DeliverEvents();
  compaction_scheduler_.FinishAutomatic(c.get());
  c.reset();  // unpins the input Version, so that its tables can go
  if (!s.ok() && !shutting_down_) SetResumableBackgroundError(s);
  // Wakes CompactRange callers waiting for no compaction to run, stalled writers, the flush
  // thread held by a full L0 and WaitForBackgroundWork; and the other compaction threads (work
  // may have appeared, and this compaction's inputs no longer conflict).
  background_work_done_.NotifyAll();
  compaction_needed_.NotifyAll();
  ReportBackgroundError();
  DeliverEvents();
  if (s.ok()) ScheduleObsoleteFileDeletion();
}

Status DBImpl::WaitForBackgroundWork() {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&mu_);
  // background_work_done_ is notified after every flush and every compaction.
  while (bg_error_.ok() && !shutting_down_) {
    if (imm_.empty() && compaction_scheduler_.Idle()) {
      // With nothing running, needed work always yields a pick (nothing can conflict), so the
      // compaction threads are about to start it.
      if (!NeedsCompaction(*versions_->current(), options_, OldestSnapshot())) break;
    }
    AwaitBackgroundWork();
  }
  // A compaction wakes its waiters before its obsolete-file pass (stepped, the pass is a step
  // of its own): without a pass here the inputs of finished work could still be on disk on
  // return. It waits for a pass in progress, and does a pending step's work.
  if (bg_error_.ok() && !shutting_down_) {
    obsolete_files_pending_ = false;
    DeleteObsoleteFiles();
  }
  return bg_error_;
}

void DBImpl::TEST_SetCompactionHook(std::function<void()> hook) {
  MutexLock lock(&mu_);
  compaction_test_hook_ = std::move(hook);
}

std::array<std::string, kNumLevels> DBImpl::TEST_CompactPointers() {
  MutexLock lock(&mu_);
  return *versions_->compact_pointers();
}

Status DBImpl::RunCompaction(Compaction* c) {
  ZIGGY_ASSERT(compaction_scheduler_.running() > 0);
  if (compaction_test_hook_) {
    // c is registered: while mu_ is released nothing else can take its inputs or key range.
    const std::function<void()> hook = compaction_test_hook_;
    MutexUnlock unlock(&mu_);
    hook();
  }
  const uint64_t start_micros = env_->NowMicros();
  CompactionJobInfo info = MakeCompactionJobInfo(*c);
  NotifyCompactionBegin(info);  // delivered once mu_ is released (a trivial move: by the caller)
  try {
    return RunCompactionJob(c, start_micros, &info);
  } catch (const std::bad_alloc&) {
    // Every begin has its end (listener.h rule 5). Queuing it allocates too: should that fail,
    // the end is lost and the new std::bad_alloc goes on instead.
    info.status = Status::IOError("out of memory", "compaction");
    NotifyCompactionCompleted(info);
    throw;
  }
}

Status DBImpl::RunCompactionJob(Compaction* c, uint64_t start_micros, CompactionJobInfo* info_out) {
  CompactionJobInfo& info = *info_out;
  LevelCompactionStats& stats = compaction_stats_[c->output_level()];
  VersionEdit edit;
  if (c->IsTrivialMove()) {
    CompactionJob job(MakeCompactionJobContext(), c, {});
    Status s = job.Run();  // no I/O: the input table moves as it is
    if (s.ok()) s = bg_error_;
    if (s.ok()) {
      job.AddToEdit(&edit);
      s = versions_->LogAndApply(&edit, &mu_);
      if (s.ok()) InstallSuperVersion();
      if (s.ok()) ZIGGY_DB_KILL_POINT("db:compaction-installed");
    }
    info.duration_micros = env_->NowMicros() - start_micros;
    // Every begin has its end, a failed move's included.
    info.status = s;
    if (s.ok()) {
      ++stats.trivial_moves;
      info.output_file_numbers.push_back(raw(c->inputs(0).front()->number));
    }
    NotifyCompactionCompleted(info);  // logs event=trivial_move or compaction_failed
    return s;
  }
  // Destroyed at return, under mu_: its outputs stay pending until the edit is installed.
  CompactionJob job(MakeCompactionJobContext(), c, LiveSnapshotSequences());
  const EventQueue::Batch begin_events = events_.TakeMine();
  Status s;
  {
    MutexUnlock unlock(&mu_);
    DeliverTaken(begin_events);
    s = job.Run();
  }
  // After a background error the in-memory state may lag the MANIFEST: install nothing more.
  if (s.ok() && !bg_error_.ok()) s = bg_error_;
  if (!s.ok()) {
    job.RemoveOutputs();
  } else {
    job.AddToEdit(&edit);
    // A failed edit may still be durable: its outputs stay until the next Open sorts it out.
    s = versions_->LogAndApply(&edit, &mu_);
    if (s.ok()) InstallSuperVersion();
    if (s.ok()) ZIGGY_DB_KILL_POINT("db:compaction-installed");
  }
  // The outputs' index and filter blocks were pinned as the job wrote them (or released with
  // them): the memory budget's parts changed.
  RebalanceMemory();
  info.duration_micros = env_->NowMicros() - start_micros;
  if (!s.ok()) {
    info.status = s;
    NotifyCompactionCompleted(info);  // logs event=compaction_failed
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
  NotifyCompactionCompleted(info);  // logs event=compaction_finished
  return Status::OK();
}

CompactionJobContext DBImpl::MakeCompactionJobContext() {
  CompactionJobContext context;
  context.icmp = &icmp_;
  context.table_cache = reads_.table_cache();
  context.output = MakeTableOutputContext();
  context.new_output = [this](PendingOutput* output) {
    MutexLock lock(&mu_);
    return NewPendingOutput(output);
  };
  context.shutdown_requested = &shutdown_requested_;
  return context;
}

Status DBImpl::CompactRange(std::optional<std::string_view> begin,
                            std::optional<std::string_view> end) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  ZIGGY_RETURN_IF_ERROR(Flush());
  MutexLock lock(&mu_);
  compaction_scheduler_.BeginManualWait();
  // Automatic compactions start no new work while a manual one waits: the count only falls, and
  // each compaction's end notifies background_work_done_.
  while (!compaction_scheduler_.ManualMayStart() && bg_error_.ok()) {
    AwaitBackgroundWork();
  }
  compaction_scheduler_.EndManualWait();
  ZIGGY_RETURN_IF_ERROR(bg_error_);
  compaction_scheduler_.StartManual();
  Status s;
  // Level by level: each step moves the range's tables of one level into the next level that
  // holds the range (or the last); the last level is then rewritten in place, which drops what
  // the snapshots released since it was written no longer need.
  // An allocation failure is the automatic compactions' background error (BackgroundCompaction),
  // also returned here.
  for (int level = 0; level < kNumLevels && s.ok(); ++level) {
    std::optional<std::pair<int, FileNumber>> first_input;  // once a step is picked
    try {
      std::unique_ptr<Compaction> c = PickManualCompaction(
          versions_->current(), options_, level, begin ? &*begin : nullptr, end ? &*end : nullptr);
      if (c == nullptr) continue;
      first_input.emplace(c->start_level(), c->inputs(0).front()->number);
      s = RunCompaction(c.get());
      c.reset();  // unpins the input Version, so that its tables can go
    } catch (const std::bad_alloc&) {
      try {
        // Unwinding re-locked mu_.
        s = BackgroundOutOfMemory(
            "manual compaction",
            first_input && CompactionInstalled(first_input->first, first_input->second));
      } catch (const std::bad_alloc&) {
        // Out of memory again: automatic compactions may run again (they would stay off for
        // good), writes stop until a reopen (whether the step installed its edit went
        // unrecorded), and the waiters wake to see that. No Status can be built: the caller
        // gets std::bad_alloc (db.h).
        compaction_scheduler_.FinishManual();
        StopWritesWithReservedError();
        compaction_needed_.NotifyAll();
        throw;
      }
    }
    // The step may have taken L0 below the stop trigger: writers and a flush held by a full L0
    // go on now, not when every level is done (automatic compactions stay paused till then).
    background_work_done_.NotifyAll();
    DeliverEvents();
    if (s.ok()) ScheduleObsoleteFileDeletion();
  }
  compaction_scheduler_.FinishManual();
  if (!s.ok() && !shutting_down_) SetResumableBackgroundError(s);
  // Automatic compactions may start again (and the Version changed); another CompactRange
  // caller may start, and WaitForBackgroundWork may find nothing left to do.
  compaction_needed_.NotifyAll();
  background_work_done_.NotifyAll();
  ReportBackgroundError();
  DeliverEvents();
  return s;
}

}  // namespace ziggydb

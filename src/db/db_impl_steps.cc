// DBImpl stepped background work (background_steps.h): what a DB opened by
// OpenWithSteppedBackground runs instead of its flush and compaction threads. Each step is the
// body of one iteration of a background thread's loop (BackgroundFlush, BackgroundCompaction) or
// one DeleteObsoleteFiles pass, run on the caller's thread under mu_; what the threads would wait
// for (a full L0 before a flush, a needed compaction) decides which steps are runnable.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/background_steps.h"
#include "db/compaction.h"
#include "db/db_impl.h"
#include "util/assert.h"
#include "util/out_of_memory.h"
#include "util/status_macros.h"

namespace ziggydb {

Status OpenWithSteppedBackground(const Options& options, const std::string& path,
                                 StepPolicy* policy, std::unique_ptr<DB>* db) {
  ZIGGY_ASSERT(policy != nullptr);
  db->reset();
  ZIGGY_RETURN_IF_ERROR(options.Validate());
  // As DB::Open (db_impl.cc), with the steps chosen before anything starts.
  return CatchOutOfMemory("DB::Open", [&] {
    auto impl = std::make_unique<DBImpl>(options, path);
    impl->UseSteppedBackground(policy);
    ZIGGY_RETURN_IF_ERROR(impl->OpenImpl());
    *db = std::move(impl);
    return Status::OK();
  });
}

std::vector<BackgroundStep> RunnableBackgroundSteps(DB* db) {
  return static_cast<DBImpl*>(db)->RunnableSteps();
}

bool RunBackgroundStep(DB* db, BackgroundStep step) {
  return static_cast<DBImpl*>(db)->RunStep(step);
}

std::vector<BackgroundStep> DBImpl::RunnableSteps() {
  MutexLock lock(&mu_);
  return RunnableStepsLocked();
}

bool DBImpl::RunStep(BackgroundStep step) {
  ZIGGY_ASSERT(step_policy_ != nullptr);
  if (!CheckOpen().ok()) return false;
  MutexLock lock(&mu_);
  return RunStepLocked(step);
}

std::vector<BackgroundStep> DBImpl::RunnableStepsLocked() {
  std::vector<BackgroundStep> runnable;
  // The threads do no work after a background error, until Resume clears it.
  if (shutting_down_ || !bg_error_.ok()) return runnable;
  const Version& version = *versions_->current();
  // The flush thread holds a flush while L0 is full (HoldFlushWhileL0Full).
  if (!imm_.empty() && !write_controller_.ShouldHoldFlush(version.NumFiles(0)))
    runnable.push_back(BackgroundStep::kFlush);
  // Nothing runs between steps (invariant 1): needed work always yields a pick.
  if (NeedsCompaction(version, options_, OldestSnapshot()))
    runnable.push_back(BackgroundStep::kCompaction);
  if (obsolete_files_pending_) runnable.push_back(BackgroundStep::kDeleteObsoleteFiles);
  return runnable;
}

bool DBImpl::RunStepLocked(BackgroundStep step) {
  const std::vector<BackgroundStep> runnable = RunnableStepsLocked();
  if (std::find(runnable.begin(), runnable.end(), step) == runnable.end()) return false;
  switch (step) {
    case BackgroundStep::kFlush:
      BackgroundFlush();
      return true;
    case BackgroundStep::kCompaction: {
      std::unique_ptr<Compaction> c = compaction_scheduler_.StartAutomatic(
          versions_->current(), options_, versions_->compact_pointers(), OldestSnapshot());
      if (c == nullptr) return false;
      BackgroundCompaction(std::move(c));
      return true;
    }
    case BackgroundStep::kDeleteObsoleteFiles:
      obsolete_files_pending_ = false;
      DeleteObsoleteFiles();
      return true;
  }
  return false;
}

void DBImpl::AwaitBackgroundWork() {
  if (step_policy_ == nullptr) {
    background_work_done_.Wait(&mu_);
    return;
  }
  // Invariant 2: only an error or shutdown, which end every wait, leave nothing to run.
  if (!RunChosenStepLocked()) ZIGGY_ASSERT(!bg_error_.ok() || shutting_down_);
}

void DBImpl::SteppedSleep(uint64_t micros) {
  step_policy_->Sleep(micros);
  RunChosenStepLocked();
}

bool DBImpl::RunChosenStepLocked() {
  const std::vector<BackgroundStep> runnable = RunnableStepsLocked();
  if (runnable.empty()) return false;
  const bool ran = RunStepLocked(step_policy_->Choose(runnable));
  ZIGGY_ASSERT(ran);
  return true;
}

void DBImpl::ScheduleObsoleteFileDeletion() {
  if (step_policy_ == nullptr) {
    DeleteObsoleteFiles();
    return;
  }
  obsolete_files_pending_ = true;
}

}  // namespace ziggydb

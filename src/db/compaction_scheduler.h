// CompactionScheduler: which compactions may run now, and the counts of those that do.
// Automatic compactions run side by side as long as none conflicts with another (compaction.h,
// invariant 3); a manual one (CompactRange) runs alone: it waits until none runs, and no
// automatic one starts while it waits or runs. The DB owns the threads and the waiting; this
// class owns the decision, so it is tested without a DB (compaction_scheduler_test.cc).
//
// Thread safety: none of its own; the DB guards it with its mutex (GUARDED_BY(mu_) in DBImpl,
// so the analysis checks each call), held across each call and across the pick-and-register in
// StartAutomatic.
//
// Invariants (between calls):
//   1. running() == the automatic compactions started and not finished, plus 1 while a manual
//      one runs; in_progress() holds exactly those automatic ones.
//   2. A manual compaction runs only when no automatic one does, and at most one at a time.
//   3. No automatic compaction starts while a manual one runs or waits.
#ifndef ZIGGYDB_DB_COMPACTION_SCHEDULER_H_
#define ZIGGYDB_DB_COMPACTION_SCHEDULER_H_

#include <array>
#include <memory>
#include <string>

#include "db/compaction.h"
#include "db/version_set.h"
#include "ziggydb/options.h"

namespace ziggydb {

class CompactionScheduler {
 public:
  CompactionScheduler() = default;
  CompactionScheduler(const CompactionScheduler&) = delete;
  CompactionScheduler& operator=(const CompactionScheduler&) = delete;

  // The next automatic compaction of `version` that may start now, registered as running (call
  // FinishAutomatic before destroying it); null when a manual compaction runs or waits, or when
  // no needed compaction can run alongside the running ones. compact_pointers: as PickCompaction.
  // A level's compaction goes first, then a read compaction, then a reclaim compaction
  // (oldest_snapshot: as PickReclaimCompaction).
  std::unique_ptr<Compaction> StartAutomatic(std::shared_ptr<const Version> version,
                                             const Options& options,
                                             std::array<std::string, kNumLevels>* compact_pointers,
                                             SequenceNumber oldest_snapshot);
  // Precondition: c came from StartAutomatic and is not finished.
  void FinishAutomatic(const Compaction* c);

  // A manual compaction: BeginManualWait, wait until ManualMayStart(), EndManualWait, then
  // StartManual ... FinishManual (or give up after EndManualWait).
  void BeginManualWait() { ++manual_waiting_; }
  void EndManualWait();
  bool ManualMayStart() const { return running_ == 0; }
  // Precondition: ManualMayStart().
  void StartManual();
  // Precondition: StartManual was called and no automatic compaction started since.
  void FinishManual();

  // No compaction runs, and none waits to run.
  bool Idle() const { return running_ == 0 && manual_waiting_ == 0; }
  int running() const { return running_; }
  int peak_running() const { return peak_running_; }  // the most ever running at once
  bool manual_running() const { return manual_running_; }
  const CompactionsInProgress& in_progress() const { return in_progress_; }

 private:
  void CountStart();

  int running_ = 0;
  int peak_running_ = 0;
  bool manual_running_ = false;        // a CompactRange holds the compaction role
  int manual_waiting_ = 0;             // CompactRange callers waiting: automatic ones yield
  CompactionsInProgress in_progress_;  // the automatic compactions running
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_COMPACTION_SCHEDULER_H_

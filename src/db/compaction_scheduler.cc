#include "db/compaction_scheduler.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"

namespace ziggydb {

std::unique_ptr<Compaction> CompactionScheduler::StartAutomatic(
    std::shared_ptr<const Version> version, const Options& options,
    std::array<std::string, kNumLevels>* compact_pointers, SequenceNumber oldest_snapshot) {
  if (manual_running_ || manual_waiting_ > 0) return nullptr;
  std::unique_ptr<Compaction> c = PickCompaction(version, options, compact_pointers, in_progress_);
  if (c == nullptr) c = PickReadCompaction(version, options, in_progress_);
  if (c == nullptr)
    c = PickReclaimCompaction(std::move(version), options, oldest_snapshot, in_progress_);
  if (c == nullptr) return nullptr;
  // INVARIANT: c conflicts with no running compaction; registered before the DB mutex is
  // released, so no other pick can take any of its inputs or its key range at the levels it
  // spans.
  in_progress_.Add(c.get());
  CountStart();
  return c;
}

void CompactionScheduler::FinishAutomatic(const Compaction* c) {
  ZIGGY_ASSERT(running_ > 0 && !manual_running_);
  in_progress_.Remove(c);
  --running_;
}

void CompactionScheduler::EndManualWait() {
  ZIGGY_ASSERT(manual_waiting_ > 0);
  --manual_waiting_;
}

void CompactionScheduler::StartManual() {
  ZIGGY_ASSERT(ManualMayStart() && !manual_running_);
  manual_running_ = true;
  CountStart();
}

void CompactionScheduler::FinishManual() {
  ZIGGY_ASSERT(manual_running_ && running_ == 1);
  manual_running_ = false;
  --running_;
}

void CompactionScheduler::CountStart() {
  ++running_;
  peak_running_ = std::max(peak_running_, running_);
}

}  // namespace ziggydb

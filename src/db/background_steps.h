// Stepped background work, for deterministic replay tests (docs/design/testing.md, "Deterministic
// replay"). A DB opened with OpenWithSteppedBackground starts no background thread: each piece of
// its background work (one flush, one automatic compaction, one pass of obsolete-file deletion)
// waits until the caller runs it with RunBackgroundStep. A foreground call that would wait for
// background progress (a write stopped by a stall, Flush, CompactRange, WaitForBackgroundWork,
// Close's flush) instead runs steps itself, each chosen by the StepPolicy, until it may go on.
// Everything then happens on the caller's thread, so a seeded caller over an in-memory Env with a
// simulated clock gets one exact interleaving per seed.
//
// Invariants of a stepped DB (whenever no call into it is in progress):
//   1. No compaction is running and no flush is in progress: a step runs to its end within the
//      call that started it.
//   2. A foreground wait always finds a step to run: whatever it waits for is a flush (runnable
//      unless L0 holds l0_stop_trigger tables, which makes a compaction runnable) or a
//      compaction (runnable when some level scores >= 1, which nothing running can block).
// Thread safety: a stepped DB must be used from one thread at a time.
#ifndef ZIGGYDB_DB_BACKGROUND_STEPS_H_
#define ZIGGYDB_DB_BACKGROUND_STEPS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

enum class BackgroundStep : uint8_t {
  kFlush,                // flush the oldest immutable memtable to an L0 table
  kCompaction,           // pick one automatic compaction and run it
  kDeleteObsoleteFiles,  // delete what the last flushes and compactions made obsolete
};

// Decides for a stepped DB what a foreground call that must wait runs next, and stands in for the
// clock when a delayed write would sleep. Called on the caller's thread with the DB mutex held:
// must not call into the DB.
class StepPolicy {
 public:
  virtual ~StepPolicy() = default;
  // runnable: non-empty, in BackgroundStep order. Returns one of them.
  virtual BackgroundStep Choose(const std::vector<BackgroundStep>& runnable) = 0;
  // A delayed write would sleep `micros` now (a simulated clock advances by it). One chosen step
  // runs afterwards, if any is runnable, as a background thread would have meanwhile.
  virtual void Sleep(uint64_t micros) = 0;
};

// The simplest policy: the first runnable step (flushes before compactions before deletions);
// a delayed write does not sleep.
class FirstRunnableStepPolicy final : public StepPolicy {
 public:
  BackgroundStep Choose(const std::vector<BackgroundStep>& runnable) override {
    return runnable.front();
  }
  void Sleep(uint64_t /*micros*/) override {}
};

// DB::Open, but the DB runs its background work as steps (above). policy must outlive the DB.
[[nodiscard]] Status OpenWithSteppedBackground(const Options& options, const std::string& path,
                                               StepPolicy* policy, std::unique_ptr<DB>* db);
// The steps of a DB opened by OpenWithSteppedBackground that have work now, in BackgroundStep
// order. None after a background error (Resume makes them runnable again) or Close.
std::vector<BackgroundStep> RunnableBackgroundSteps(DB* db);
// Runs `step` to its end on this thread; false (and nothing done) if it had no work.
bool RunBackgroundStep(DB* db, BackgroundStep step);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_BACKGROUND_STEPS_H_

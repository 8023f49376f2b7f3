// WriteController: when writes are slowed down or stopped, and how much delay they owe.
//
// A pure component like the compaction picker (compaction.h): it sees the DB only as the plain
// numbers a caller passes in (L0 tables, pending compaction bytes, immutable memtables, batch
// bytes, clock readings) and answers with a decision; it sleeps, waits and locks nothing. The DB
// feeds it under its mutex (one thread at a time: the write leader, or the flush thread for
// ShouldHoldFlush) and then sleeps or waits as told.
//
// Rules (docs/design/observability.md, "Write stalls"):
//   1. Stops come before slowdowns: L0 at l0_stop_trigger, then pending compaction bytes at the
//      hard limit, then the immutable memtables at max_immutable_memtables (checked only when a
//      write needs a new memtable); then L0 at l0_slowdown_trigger, then the soft byte limit.
//   2. Under a slowdown every batch owes bytes / delayed_write_bytes_per_sec of delay. The debt
//      builds up across batches (followers of a group included) and is paid by the leader that
//      brings it to kMinDelaySleepMicros or more: shorter sleeps cost more in wake-ups than they
//      throttle. A batch is delayed at most once; a stop is honoured even after a delay.
//   3. At most one stall condition is in force; each change of it is reported once, as the end
//      of the old condition (with its duration) and the begin of the new one.
//   4. A batch counts once per cause that slowed or stopped it, however often it wakes.
#ifndef ZIGGYDB_DB_WRITE_CONTROLLER_H_
#define ZIGGYDB_DB_WRITE_CONTROLLER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "ziggydb/listener.h"
#include "ziggydb/options.h"

namespace ziggydb {

inline constexpr size_t kNumWriteStallCauses =
    static_cast<size_t>(WriteStallCause::kMemtableStop) + 1;

// True for the causes that make writes wait (the others delay them).
bool IsStopCause(WriteStallCause cause);

// The DB's shape as far as compaction debt is concerned.
struct CompactionLoad {
  int l0_files = 0;
  uint64_t pending_compaction_bytes = 0;
};

// A change of the stall condition in force (rule 3).
struct StallChange {
  std::optional<WriteStallCause> ended;  // with ended_duration_micros since it began
  uint64_t ended_duration_micros = 0;
  std::optional<WriteStallCause> began;
};

// One batch's passage through the controller: create one per leader batch and pass it to every
// call for that batch.
struct StalledWrite {
  uint64_t bytes = 0;
  bool delayed = false;  // its delay was charged (rule 2)
  uint32_t counted = 0;  // bit i: counted for cause i (rule 4)
};

struct WriteDecision {
  enum class Action : uint8_t {
    kProceed,  // write now
    kDelay,    // sleep delay_micros, then ask again
    kStop,     // wait for a flush or compaction to finish, then ask again
  };
  Action action = Action::kProceed;
  std::optional<WriteStallCause> cause;  // set for kDelay and kStop
  uint64_t delay_micros = 0;             // kDelay only
  bool count_write = false;              // the batch is newly slowed or stopped by `cause`
  std::optional<StallChange> change;     // the condition in force changed: report it
};

class WriteController {
 public:
  // A delayed writer sleeps once it owes at least this much delay (rule 2).
  static constexpr uint64_t kMinDelaySleepMicros = 1000;

  explicit WriteController(const Options& options);

  // The condition `load` calls for, ignoring memtables (rule 1); nullopt: none.
  std::optional<WriteStallCause> CompactionStall(const CompactionLoad& load) const;
  // No condition in force and none called for by `load`: BeforeWrite would return kProceed and
  // change nothing, so a caller may skip it (and the clock reading it needs).
  bool Quiet(const CompactionLoad& load) const {
    return !condition_.has_value() && !CompactionStall(load).has_value();
  }

  // Before the leader writes `write` (rule 1 without the memtable stop, and rule 2).
  WriteDecision BeforeWrite(const CompactionLoad& load, uint64_t now_micros, StalledWrite* write);

  // When the leader needs a new memtable and `immutable_memtables` wait for flush: kStop while
  // they are max_immutable_memtables, else kProceed (ending a memtable stop in force).
  WriteDecision BeforeMemtableSwitch(size_t immutable_memtables, uint64_t now_micros,
                                     StalledWrite* write);

  // `bytes` of `writes` follower batches joined a group whose leader was already charged: under
  // a slowdown they add to the debt. Returns the slowdown they count for, if any.
  std::optional<WriteStallCause> ChargeFollowers(uint64_t bytes, size_t writes);

  // The flush thread holds a flush while L0 is at the stop trigger, so that L0 never exceeds it
  // (writers then stop on the full immutable memtables instead).
  bool ShouldHoldFlush(int l0_files) const { return l0_files >= l0_stop_trigger_; }

  std::optional<WriteStallCause> condition() const { return condition_; }
  uint64_t delay_debt_micros() const { return delay_debt_micros_; }

 private:
  // Makes `cause` the condition in force (rule 3).
  std::optional<StallChange> SetCondition(std::optional<WriteStallCause> cause,
                                          uint64_t now_micros);
  static bool Count(WriteStallCause cause, StalledWrite* write);

  const int l0_slowdown_trigger_;
  const int l0_stop_trigger_;
  const uint64_t soft_pending_compaction_bytes_;  // 0: no limit
  const uint64_t hard_pending_compaction_bytes_;  // 0: no limit
  const size_t max_immutable_memtables_;
  const uint64_t delayed_write_bytes_per_sec_;

  std::optional<WriteStallCause> condition_;
  uint64_t condition_begin_micros_ = 0;
  uint64_t delay_debt_micros_ = 0;  // delay owed but not yet slept
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_WRITE_CONTROLLER_H_

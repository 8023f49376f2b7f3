#include "db/write_controller.h"

#include <iterator>

#include "util/assert.h"

namespace ziggydb {

static_assert(kNumWriteStallCauses <= 32, "StalledWrite::counted has a bit per cause");

namespace {

// Indexed by WriteStallCause: the names of listener.h, LOG lines and metric labels.
constexpr const char* kWriteStallCauseNames[] = {"l0-slowdown", "pending-bytes-slowdown", "l0-stop",
                                                 "pending-bytes-stop", "memtable-stop"};
static_assert(std::size(kWriteStallCauseNames) == kNumWriteStallCauses);

}  // namespace

const char* WriteStallCauseName(WriteStallCause cause) {
  const auto index = static_cast<size_t>(cause);
  return index < kNumWriteStallCauses ? kWriteStallCauseNames[index] : "unknown";
}

bool IsStopCause(WriteStallCause cause) {
  return cause == WriteStallCause::kL0Stop || cause == WriteStallCause::kPendingBytesStop ||
         cause == WriteStallCause::kMemtableStop;
}

WriteController::WriteController(const Options& options)
    : l0_slowdown_trigger_(options.l0_slowdown_trigger),
      l0_stop_trigger_(options.l0_stop_trigger),
      soft_pending_compaction_bytes_(options.soft_pending_compaction_bytes),
      hard_pending_compaction_bytes_(options.hard_pending_compaction_bytes),
      max_immutable_memtables_(static_cast<size_t>(options.max_immutable_memtables)),
      delayed_write_bytes_per_sec_(options.delayed_write_bytes_per_sec) {
  ZIGGY_ASSERT(delayed_write_bytes_per_sec_ > 0);  // Options::Validate
}

std::optional<WriteStallCause> WriteController::CompactionStall(const CompactionLoad& load) const {
  const uint64_t pending = load.pending_compaction_bytes;
  if (load.l0_files >= l0_stop_trigger_) return WriteStallCause::kL0Stop;
  if (hard_pending_compaction_bytes_ != 0 && pending >= hard_pending_compaction_bytes_) {
    return WriteStallCause::kPendingBytesStop;
  }
  if (load.l0_files >= l0_slowdown_trigger_) return WriteStallCause::kL0Slowdown;
  if (soft_pending_compaction_bytes_ != 0 && pending >= soft_pending_compaction_bytes_) {
    return WriteStallCause::kPendingBytesSlowdown;
  }
  return std::nullopt;
}

WriteDecision WriteController::BeforeWrite(const CompactionLoad& load, uint64_t now_micros,
                                           StalledWrite* write) {
  WriteDecision decision;
  const std::optional<WriteStallCause> cause = CompactionStall(load);
  decision.change = SetCondition(cause, now_micros);
  if (!cause.has_value()) return decision;
  if (IsStopCause(*cause)) {
    decision.action = WriteDecision::Action::kStop;
    decision.cause = cause;
    decision.count_write = Count(*cause, write);
    return decision;
  }
  if (write->delayed) return decision;
  write->delayed = true;
  decision.cause = cause;
  decision.count_write = Count(*cause, write);
  delay_debt_micros_ += write->bytes * 1'000'000 / delayed_write_bytes_per_sec_;
  if (delay_debt_micros_ < kMinDelaySleepMicros) return decision;
  decision.action = WriteDecision::Action::kDelay;
  decision.delay_micros = delay_debt_micros_;
  delay_debt_micros_ = 0;
  return decision;
}

WriteDecision WriteController::BeforeMemtableSwitch(size_t immutable_memtables, uint64_t now_micros,
                                                    StalledWrite* write) {
  WriteDecision decision;
  if (immutable_memtables < max_immutable_memtables_) {
    if (condition_ == WriteStallCause::kMemtableStop) {
      decision.change = SetCondition(std::nullopt, now_micros);
    }
    return decision;
  }
  decision.change = SetCondition(WriteStallCause::kMemtableStop, now_micros);
  decision.action = WriteDecision::Action::kStop;
  decision.cause = WriteStallCause::kMemtableStop;
  decision.count_write = Count(WriteStallCause::kMemtableStop, write);
  return decision;
}

std::optional<WriteStallCause> WriteController::ChargeFollowers(uint64_t bytes, size_t writes) {
  if (condition_ != WriteStallCause::kL0Slowdown &&
      condition_ != WriteStallCause::kPendingBytesSlowdown) {
    return std::nullopt;
  }
  if (writes == 0) return std::nullopt;
  delay_debt_micros_ += bytes * 1'000'000 / delayed_write_bytes_per_sec_;
  return condition_;
}

std::optional<StallChange> WriteController::SetCondition(std::optional<WriteStallCause> cause,
                                                         uint64_t now_micros) {
  if (cause == condition_) return std::nullopt;
  StallChange change;
  change.ended = condition_;
  // A clock that stepped back yields 0, not a wrapped duration.
  change.ended_duration_micros =
      now_micros > condition_begin_micros_ ? now_micros - condition_begin_micros_ : 0;
  change.began = cause;
  condition_ = cause;
  condition_begin_micros_ = now_micros;
  return change;
}

bool WriteController::Count(WriteStallCause cause, StalledWrite* write) {
  const uint32_t bit = uint32_t{1} << static_cast<uint32_t>(cause);
  if ((write->counted & bit) != 0) return false;
  write->counted |= bit;
  return true;
}

}  // namespace ziggydb

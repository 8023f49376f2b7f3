// DBImpl write stalls: feeds write_controller_ (write_controller.h) the numbers it decides on,
// then sleeps, waits or delivers events as it says. The controller holds the stall condition in
// force and the delay debt; counts go to db_stats_ (one ticker pair per WriteStallCause).
//
// Every loop here decides under mu_ and acts; an action that releases mu_ (a sleep, a wait on
// background_work_done_, delivering this thread's listener events) is followed by a new decision,
// as any wake-up is. Stall events are delivered before the leader proceeds, so they reach listeners
// while it still leads (event_queue.h, invariant 2).
#include <chrono>

#include "db/compaction.h"
#include "db/db_impl.h"
#include "db/db_properties.h"

namespace ziggydb {

Status DBImpl::ThrottleWrites(uint64_t bytes) {
  StalledWrite write{.bytes = bytes};
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const CompactionLoad load = CurrentCompactionLoad();
    // Nothing in force and nothing called for: the common case reads no clock.
    if (write_controller_.Quiet(load) && !events_.HasMine()) return Status::OK();
    const WriteDecision decision = write_controller_.BeforeWrite(load, env_->NowMicros(), &write);
    RecordStallDecision(decision);
    switch (decision.action) {
      case WriteDecision::Action::kProceed:
        if (!DeliverEvents()) return Status::OK();
        break;
      case WriteDecision::Action::kDelay: {
        const uint64_t micros =
            DelayWrite(events_.TakeMine(), *decision.cause, decision.delay_micros);
        RecordStallMicros(*decision.cause, micros);
        break;
      }
      case WriteDecision::Action::kStop: {
        // A stop always has a compaction to wait for: its cause gives some level a score >= 1.
        const uint64_t start_micros = env_->NowMicros();
        WaitOrDeliverEvents();
        RecordStallMicros(*decision.cause, env_->NowMicros() - start_micros);
        break;
      }
    }
  }
}

bool DBImpl::MemtableSwitchMayProceed(StalledWrite* write) {
  const WriteDecision decision =
      write_controller_.BeforeMemtableSwitch(imm_.size(), env_->NowMicros(), write);
  RecordStallDecision(decision);
  if (decision.action == WriteDecision::Action::kStop) {
    // The flush thread is working on imm_.front(): its end wakes background_work_done_.
    const uint64_t start_micros = env_->NowMicros();
    WaitOrDeliverEvents();
    RecordStallMicros(*decision.cause, env_->NowMicros() - start_micros);
    return false;
  }
  return !DeliverEvents();
}

void DBImpl::ChargeWriteDelay(uint64_t bytes, size_t writes) {
  const std::optional<WriteStallCause> cause = write_controller_.ChargeFollowers(bytes, writes);
  if (cause.has_value()) db_stats_->RecordTick(StallWritesTicker(*cause), writes);
}

bool DBImpl::HoldFlushWhileL0Full() {
  if (!write_controller_.ShouldHoldFlush(versions_->current()->NumFiles(0))) return false;
  db_stats_->RecordTick(Ticker::kFlushesHeld);
  Log("L0 reached the stop trigger: flushes wait for a compaction");
  const uint64_t start_micros = env_->NowMicros();
  // A compaction out of L0 ends with a notify of background_work_done_.
  while (!shutting_down_ && bg_error_.ok() &&
         write_controller_.ShouldHoldFlush(versions_->current()->NumFiles(0))) {
    background_work_done_.Wait(&mu_);
  }
  db_stats_->RecordTick(Ticker::kFlushHeldMicros, env_->NowMicros() - start_micros);
  return true;
}

void DBImpl::RecordStallDecision(const WriteDecision& decision) {
  if (decision.change.has_value()) NotifyStallChange(*decision.change);
  if (decision.count_write) db_stats_->RecordTick(StallWritesTicker(*decision.cause));
}

void DBImpl::RecordStallMicros(WriteStallCause cause, uint64_t micros) const {
  db_stats_->RecordTick(StallMicrosTicker(cause), micros);
}

void DBImpl::WaitOrDeliverEvents() {
  if (!DeliverEvents()) AwaitBackgroundWork();
}

CompactionLoad DBImpl::CurrentCompactionLoad() const {
  const Version& version = *versions_->current();
  return CompactionLoad{
      version.NumFiles(0),
      EstimatePendingCompactionBytes(version, options_, ComputeLevelTargets(version, options_))};
}

uint64_t DBImpl::DelayWrite(const EventQueue::Batch& events, WriteStallCause cause,
                            uint64_t micros) {
  {
    MutexUnlock unlock(&mu_);
    DeliverTaken(events);
  }
  if (step_policy_ != nullptr) {
    SteppedSleep(micros);
    return micros;
  }
  // A wait, not a sleep of the whole debt (hours for the largest batch at the slowest rate):
  // each flush or compaction that ends (and Close, and a background error) wakes it, and the
  // pause ends once the slowdown is no longer called for, its debt forgiven.
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::microseconds(micros);
  // Checked before each wait as well: the work may have ended while the events were delivered.
  while (!shutting_down_ && bg_error_.ok() &&
         write_controller_.CompactionStall(CurrentCompactionLoad()) == cause &&
         background_work_done_.WaitUntil(&mu_, deadline)) {
  }
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

}  // namespace ziggydb

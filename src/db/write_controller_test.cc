#include "db/write_controller.h"

#include <gtest/gtest.h>

namespace ziggydb {
namespace {

using Action = WriteDecision::Action;

Options TestOptions() {
  Options options;
  options.l0_compaction_trigger = 2;
  options.l0_slowdown_trigger = 4;
  options.l0_stop_trigger = 8;
  options.soft_pending_compaction_bytes = 1000;
  options.hard_pending_compaction_bytes = 5000;
  options.max_immutable_memtables = 2;
  options.delayed_write_bytes_per_sec = 1'000'000;  // 1 byte owes 1 us
  return options;
}

CompactionLoad Load(int l0_files, uint64_t pending_bytes = 0) {
  return CompactionLoad{l0_files, pending_bytes};
}

TEST(WriteController, CausesInPriorityOrder) {
  const WriteController controller(TestOptions());
  EXPECT_EQ(controller.CompactionStall(Load(3, 999)), std::nullopt);
  EXPECT_EQ(controller.CompactionStall(Load(3, 1000)), WriteStallCause::kPendingBytesSlowdown);
  EXPECT_EQ(controller.CompactionStall(Load(4, 1000)), WriteStallCause::kL0Slowdown);
  EXPECT_EQ(controller.CompactionStall(Load(4, 5000)), WriteStallCause::kPendingBytesStop);
  EXPECT_EQ(controller.CompactionStall(Load(8, 5000)), WriteStallCause::kL0Stop);
}

TEST(WriteController, ZeroByteLimitsAreOff) {
  Options options = TestOptions();
  options.soft_pending_compaction_bytes = 0;
  options.hard_pending_compaction_bytes = 0;
  const WriteController controller(options);
  EXPECT_EQ(controller.CompactionStall(Load(0, UINT64_MAX)), std::nullopt);
}

TEST(WriteController, NoStallProceedsWithoutChange) {
  WriteController controller(TestOptions());
  StalledWrite write{.bytes = 100};
  const WriteDecision decision = controller.BeforeWrite(Load(1), 10, &write);
  EXPECT_EQ(decision.action, Action::kProceed);
  EXPECT_FALSE(decision.change.has_value());
  EXPECT_FALSE(decision.count_write);
  EXPECT_EQ(controller.condition(), std::nullopt);
}

TEST(WriteController, SlowdownAccumulatesDebtUntilWorthASleep) {
  WriteController controller(TestOptions());
  StalledWrite first{.bytes = 600};
  WriteDecision decision = controller.BeforeWrite(Load(4), 100, &first);
  EXPECT_EQ(decision.action, Action::kProceed);  // 600 us owed: below the minimum sleep
  EXPECT_EQ(decision.cause, WriteStallCause::kL0Slowdown);
  EXPECT_TRUE(decision.count_write);
  ASSERT_TRUE(decision.change.has_value());
  EXPECT_EQ(decision.change->ended, std::nullopt);
  EXPECT_EQ(decision.change->began, WriteStallCause::kL0Slowdown);
  EXPECT_EQ(controller.delay_debt_micros(), 600u);
  // The same batch asking again is not delayed twice.
  decision = controller.BeforeWrite(Load(4), 100, &first);
  EXPECT_EQ(decision.action, Action::kProceed);
  EXPECT_FALSE(decision.count_write);
  EXPECT_EQ(controller.delay_debt_micros(), 600u);

  StalledWrite second{.bytes = 500};
  decision = controller.BeforeWrite(Load(5), 200, &second);
  EXPECT_EQ(decision.action, Action::kDelay);
  EXPECT_EQ(decision.delay_micros, 1100u);  // the whole debt is paid at once
  EXPECT_FALSE(decision.change.has_value());
  EXPECT_EQ(controller.delay_debt_micros(), 0u);
}

TEST(WriteController, FollowersAddToTheDebtOnlyUnderASlowdown) {
  WriteController controller(TestOptions());
  EXPECT_EQ(controller.ChargeFollowers(5000, 3), std::nullopt);
  EXPECT_EQ(controller.delay_debt_micros(), 0u);
  StalledWrite leader{.bytes = 10};
  (void)controller.BeforeWrite(Load(1, 2000), 0, &leader);
  EXPECT_EQ(controller.ChargeFollowers(300, 3), WriteStallCause::kPendingBytesSlowdown);
  EXPECT_EQ(controller.delay_debt_micros(), 310u);
  EXPECT_EQ(controller.ChargeFollowers(0, 0), std::nullopt);  // a group of one
}

TEST(WriteController, StopIsCountedOnceAndHonouredAfterADelay) {
  WriteController controller(TestOptions());
  StalledWrite write{.bytes = 2000};
  WriteDecision decision = controller.BeforeWrite(Load(4), 0, &write);
  EXPECT_EQ(decision.action, Action::kDelay);
  decision = controller.BeforeWrite(Load(8), 50, &write);
  EXPECT_EQ(decision.action, Action::kStop);
  EXPECT_EQ(decision.cause, WriteStallCause::kL0Stop);
  EXPECT_TRUE(decision.count_write);
  ASSERT_TRUE(decision.change.has_value());
  EXPECT_EQ(decision.change->ended, WriteStallCause::kL0Slowdown);
  EXPECT_EQ(decision.change->ended_duration_micros, 50u);
  EXPECT_EQ(decision.change->began, WriteStallCause::kL0Stop);
  // Woken with L0 still full: the same stop, neither counted nor reported again.
  decision = controller.BeforeWrite(Load(9), 80, &write);
  EXPECT_EQ(decision.action, Action::kStop);
  EXPECT_FALSE(decision.count_write);
  EXPECT_FALSE(decision.change.has_value());
  // Compactions caught up.
  decision = controller.BeforeWrite(Load(1), 1050, &write);
  EXPECT_EQ(decision.action, Action::kProceed);
  ASSERT_TRUE(decision.change.has_value());
  EXPECT_EQ(decision.change->ended, WriteStallCause::kL0Stop);
  EXPECT_EQ(decision.change->ended_duration_micros, 1000u);
  EXPECT_EQ(decision.change->began, std::nullopt);
}

TEST(WriteController, MemtableStopBeginsAndEnds) {
  WriteController controller(TestOptions());
  StalledWrite write{.bytes = 10};
  WriteDecision decision = controller.BeforeMemtableSwitch(1, 0, &write);
  EXPECT_EQ(decision.action, Action::kProceed);
  EXPECT_FALSE(decision.change.has_value());

  decision = controller.BeforeMemtableSwitch(2, 100, &write);
  EXPECT_EQ(decision.action, Action::kStop);
  EXPECT_EQ(decision.cause, WriteStallCause::kMemtableStop);
  EXPECT_TRUE(decision.count_write);
  ASSERT_TRUE(decision.change.has_value());
  EXPECT_EQ(decision.change->began, WriteStallCause::kMemtableStop);
  decision = controller.BeforeMemtableSwitch(2, 150, &write);
  EXPECT_FALSE(decision.count_write);

  decision = controller.BeforeMemtableSwitch(1, 400, &write);
  EXPECT_EQ(decision.action, Action::kProceed);
  ASSERT_TRUE(decision.change.has_value());
  EXPECT_EQ(decision.change->ended, WriteStallCause::kMemtableStop);
  EXPECT_EQ(decision.change->ended_duration_micros, 300u);
  EXPECT_EQ(controller.condition(), std::nullopt);
}

TEST(WriteController, MemtableRoomLeavesACompactionSlowdownInForce) {
  WriteController controller(TestOptions());
  StalledWrite write{.bytes = 10};
  (void)controller.BeforeWrite(Load(4), 0, &write);
  const WriteDecision decision = controller.BeforeMemtableSwitch(0, 10, &write);
  EXPECT_EQ(decision.action, Action::kProceed);
  EXPECT_FALSE(decision.change.has_value());
  EXPECT_EQ(controller.condition(), WriteStallCause::kL0Slowdown);
}

TEST(WriteController, ClockSteppingBackGivesZeroDuration) {
  WriteController controller(TestOptions());
  StalledWrite write{.bytes = 10};
  (void)controller.BeforeWrite(Load(8), 500, &write);
  const WriteDecision decision = controller.BeforeWrite(Load(0), 100, &write);
  ASSERT_TRUE(decision.change.has_value());
  EXPECT_EQ(decision.change->ended_duration_micros, 0u);
}

TEST(WriteController, FlushesAreHeldAtTheStopTrigger) {
  const WriteController controller(TestOptions());
  EXPECT_FALSE(controller.ShouldHoldFlush(7));
  EXPECT_TRUE(controller.ShouldHoldFlush(8));
}

TEST(WriteController, EveryCauseHasAName) {
  EXPECT_STREQ(WriteStallCauseName(WriteStallCause::kL0Slowdown), "l0-slowdown");
  EXPECT_STREQ(WriteStallCauseName(WriteStallCause::kPendingBytesSlowdown),
               "pending-bytes-slowdown");
  EXPECT_STREQ(WriteStallCauseName(WriteStallCause::kL0Stop), "l0-stop");
  EXPECT_STREQ(WriteStallCauseName(WriteStallCause::kPendingBytesStop), "pending-bytes-stop");
  EXPECT_STREQ(WriteStallCauseName(WriteStallCause::kMemtableStop), "memtable-stop");
}

}  // namespace
}  // namespace ziggydb

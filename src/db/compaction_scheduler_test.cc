// CompactionScheduler on hand-built Versions: automatic compactions start side by side without
// conflicts, a manual one runs alone, and the counts follow.
#include "db/compaction_scheduler.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace ziggydb {
namespace {

FileMetaData File(uint64_t number, const std::string& smallest, const std::string& largest,
                  uint64_t bytes) {
  FileMetaData file;
  file.number = FileNumber{number};
  file.file_bytes = bytes;
  AppendInternalKey(&file.smallest, smallest, SequenceNumber{50}, ValueType::kValue);
  AppendInternalKey(&file.largest, largest, SequenceNumber{50}, ValueType::kValue);
  file.smallest_sequence = SequenceNumber{50};
  file.largest_sequence = SequenceNumber{50};
  return file;
}

class CompactionSchedulerTest : public ::testing::Test {
 protected:
  CompactionSchedulerTest() : icmp_(BytewiseComparator()) {
    options_.l0_compaction_trigger = 4;
    options_.max_bytes_for_level_base = 1000;
    options_.level_size_multiplier = 10;
    options_.target_file_size = 100;
    // L6 of 20000 bytes: L5's target is 2000. L5 holds 3000 in three disjoint tables, so two
    // compactions of L5 can run at once before it is under its target.
    VersionEdit edit;
    edit.AddFile(5, File(20, "d", "e", 1000));
    edit.AddFile(5, File(21, "f", "g", 1000));
    edit.AddFile(5, File(22, "h", "i", 1000));
    edit.AddFile(6, File(30, "a", "c", 5000));
    edit.AddFile(6, File(31, "d", "e", 5000));
    edit.AddFile(6, File(32, "f", "g", 5000));
    edit.AddFile(6, File(33, "h", "z", 5000));
    VersionBuilder builder(&icmp_, Version(&icmp_));
    EXPECT_TRUE(builder.Apply(edit).ok());
    EXPECT_TRUE(builder.Finish(&version_).ok());
  }

  std::unique_ptr<Compaction> StartAutomatic() {
    return scheduler_.StartAutomatic(version_, options_, &pointers_,
                                     SequenceNumber{kMaxSequenceNumber});
  }

  InternalKeyComparator icmp_;
  Options options_;
  std::shared_ptr<const Version> version_;
  std::array<std::string, kNumLevels> pointers_;
  CompactionScheduler scheduler_;
};

TEST_F(CompactionSchedulerTest, AutomaticCompactionsRunSideBySideWithoutConflicts) {
  EXPECT_TRUE(scheduler_.Idle());
  auto first = StartAutomatic();
  ASSERT_NE(first, nullptr);
  auto second = StartAutomatic();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first->inputs(0)[0]->number, second->inputs(0)[0]->number);
  EXPECT_EQ(scheduler_.running(), 2);
  EXPECT_EQ(scheduler_.in_progress().size(), 2u);
  EXPECT_TRUE(scheduler_.in_progress().IsBeingCompacted(first->inputs(0)[0]->number));
  // What is left of L5 is under its target: nothing more to start.
  EXPECT_EQ(StartAutomatic(), nullptr);
  scheduler_.FinishAutomatic(first.get());
  scheduler_.FinishAutomatic(second.get());
  EXPECT_TRUE(scheduler_.Idle());
  EXPECT_EQ(scheduler_.in_progress().size(), 0u);
  EXPECT_EQ(scheduler_.peak_running(), 2);
}

TEST_F(CompactionSchedulerTest, WaitingManualCompactionHoldsBackAutomaticOnes) {
  auto automatic = StartAutomatic();
  ASSERT_NE(automatic, nullptr);
  scheduler_.BeginManualWait();
  EXPECT_FALSE(scheduler_.ManualMayStart());
  EXPECT_EQ(StartAutomatic(), nullptr);  // work remains, but the manual one goes first
  scheduler_.FinishAutomatic(automatic.get());
  EXPECT_FALSE(scheduler_.Idle());  // a manual compaction still waits
  EXPECT_TRUE(scheduler_.ManualMayStart());
  scheduler_.EndManualWait();
  scheduler_.StartManual();
  EXPECT_TRUE(scheduler_.manual_running());
  EXPECT_EQ(scheduler_.running(), 1);
  EXPECT_FALSE(scheduler_.ManualMayStart());  // a second manual one waits for this one
  EXPECT_EQ(StartAutomatic(), nullptr);
  scheduler_.FinishManual();
  EXPECT_TRUE(scheduler_.Idle());
  auto resumed = StartAutomatic();  // automatic work resumes
  ASSERT_NE(resumed, nullptr);
  scheduler_.FinishAutomatic(resumed.get());
}

}  // namespace
}  // namespace ziggydb

// Compaction: level targets and picking (on hand-built Versions), the version GC rule, and DB-level
// behaviour: automatic compactions, CompactRange, snapshots across compactions, space reclaimed,
// crash safety with the fault-injecting file system.
#include "db/compaction.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "db/background_steps.h"
#include "db/db_test_util.h"
#include "db/table_key_ranges.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/listener.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

std::string IKey(const std::string& user_key, uint64_t sequence,
                 ValueType type = ValueType::kValue) {
  std::string key;
  AppendInternalKey(&key, user_key, SequenceNumber{sequence}, type);
  return key;
}

FileMetaData File(uint64_t number, const std::string& smallest, const std::string& largest,
                  uint64_t sequence, uint64_t bytes) {
  FileMetaData file;
  file.number = FileNumber{number};
  file.file_bytes = bytes;
  file.smallest = IKey(smallest, sequence);
  file.largest = IKey(largest, sequence);
  file.smallest_sequence = SequenceNumber{sequence};
  file.largest_sequence = SequenceNumber{sequence};
  return file;
}

class PickerTest : public ::testing::Test {
 protected:
  PickerTest() : icmp_(BytewiseComparator()) {
    options_.l0_compaction_trigger = 4;
    options_.max_bytes_for_level_base = 1000;
    options_.level_size_multiplier = 10;
    options_.target_file_size = 100;
  }
  std::shared_ptr<const Version> Build(const VersionEdit& edit) {
    VersionBuilder builder(&icmp_, Version(&icmp_));
    EXPECT_TRUE(builder.Apply(edit).ok());
    std::shared_ptr<const Version> version;
    EXPECT_TRUE(builder.Finish(&version).ok());
    return version;
  }

  InternalKeyComparator icmp_;
  Options options_;
  std::array<std::string, kNumLevels> pointers_;
  CompactionsInProgress running_;
};

TEST_F(PickerTest, EmptyDbCompactsL0IntoTheLastLevel) {
  VersionEdit edit;
  auto version = Build(edit);
  const LevelTargets targets = ComputeLevelTargets(*version, options_);
  EXPECT_EQ(targets.base_level, kNumLevels - 1);
  EXPECT_EQ(PickCompaction(version, options_, &pointers_, running_), nullptr);
}

TEST_F(PickerTest, LevelTargetsGrowFromTheLastLevelUp) {
  VersionEdit edit;
  edit.AddFile(6, File(10, "a", "z", 1, 1'000'000));
  auto version = Build(edit);
  const LevelTargets targets = ComputeLevelTargets(*version, options_);
  // 1e6 -> 1e5 -> 1e4 -> 1e3 (<= base 1000): the base level is 3.
  EXPECT_EQ(targets.base_level, 3);
  EXPECT_EQ(targets.target_bytes[6], 1'000'000u);
  EXPECT_EQ(targets.target_bytes[5], 100'000u);
  EXPECT_EQ(targets.target_bytes[4], 10'000u);
  EXPECT_EQ(targets.target_bytes[3], 1'000u);
}

TEST_F(PickerTest, BaseLevelTargetIsRaisedToTheBaseSize) {
  VersionEdit edit;
  edit.AddFile(6, File(10, "a", "z", 1, 5'000));
  auto version = Build(edit);
  const LevelTargets targets = ComputeLevelTargets(*version, options_);
  // 5000 -> 500 (<= base 1000): the base level is 5, and its target is the base size, not 500,
  // so it can absorb an L0 compaction without being rewritten into L6 at once.
  EXPECT_EQ(targets.base_level, 5);
  EXPECT_EQ(targets.target_bytes[6], 5'000u);
  EXPECT_EQ(targets.target_bytes[5], 1'000u);
}

TEST_F(PickerTest, PicksTheTableOverlappingTheLeastOfTheNextLevelPerByte) {
  VersionEdit edit;
  // L6 = 30'000 bytes: L5's target is 3000 and it holds 5000.
  edit.AddFile(5, File(10, "a", "b", 5, 1000));  // overlaps 3000 below: ratio 3
  edit.AddFile(5, File(11, "c", "d", 5, 2000));  // overlaps 1500 below: ratio 0.75
  edit.AddFile(5, File(12, "e", "f", 5, 2000));  // overlaps 1000 below: ratio 0.5
  edit.AddFile(6, File(20, "a", "a", 1, 3000));
  edit.AddFile(6, File(21, "c", "c", 1, 1500));
  edit.AddFile(6, File(22, "e", "e", 1, 1000));
  edit.AddFile(6, File(23, "x", "z", 1, 24'500));
  auto version = Build(edit);
  ASSERT_EQ(options_.compaction_priority, CompactionPriority::kMinOverlappingRatio);
  std::vector<uint64_t> picked;
  std::vector<std::unique_ptr<Compaction>> held;
  while (auto c = PickCompaction(version, options_, &pointers_, running_)) {
    ASSERT_EQ(c->start_level(), 5);
    picked.push_back(raw(c->inputs(0)[0]->number));
    running_.Add(c.get());  // keep it running so the next pick must take another table
    held.push_back(std::move(c));
  }
  // With 12 running L5 still scores 1 (3000 left); once 11 runs too, 1000 is under target.
  EXPECT_EQ(picked, (std::vector<uint64_t>{12, 11}));
  for (const auto& c : held)
    running_.Remove(c.get());
}

TEST_F(PickerTest, PicksL0WhenOverTriggerAndTakesOverlappingFiles) {
  VersionEdit edit;
  edit.AddFile(0, File(10, "a", "c", 10, 50));
  edit.AddFile(0, File(11, "b", "e", 11, 50));
  edit.AddFile(0, File(12, "x", "y", 12, 50));
  edit.AddFile(0, File(13, "d", "f", 13, 50));
  edit.AddFile(6, File(20, "e", "g", 1, 500));
  auto version = Build(edit);
  auto c = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->start_level(), 0);
  EXPECT_EQ(c->output_level(), 6);
  // The oldest (a..c) pulls in b..e, which pulls in d..f; x..y shares no key with them.
  EXPECT_EQ(c->inputs(0).size(), 3u);
  ASSERT_EQ(c->inputs(1).size(), 1u);
  EXPECT_EQ(c->inputs(1)[0]->number, FileNumber{20});
  EXPECT_FALSE(c->IsTrivialMove());
}

TEST_F(PickerTest, LevelPicksRoundRobinAndMovesTriviallyWhenNothingOverlaps) {
  options_.compaction_priority = CompactionPriority::kRoundRobin;
  VersionEdit edit;
  edit.AddFile(5, File(10, "a", "b", 5, 6000));  // L5 target: 10'000
  edit.AddFile(5, File(11, "c", "d", 5, 6000));
  edit.AddFile(6, File(20, "c", "c", 1, 100'000));
  auto version = Build(edit);
  auto first = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->start_level(), 5);
  EXPECT_EQ(first->inputs(0)[0]->number, FileNumber{10});
  EXPECT_TRUE(first->IsTrivialMove());
  auto second = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->inputs(0)[0]->number, FileNumber{11});
  EXPECT_EQ(second->inputs(1).size(), 1u);
  EXPECT_FALSE(second->IsTrivialMove());
  auto third = PickCompaction(version, options_, &pointers_, running_);
  EXPECT_EQ(third->inputs(0)[0]->number, FileNumber{10});  // wrapped around
}

TEST_F(PickerTest, ConcurrentPicksAvoidRunningCompactions) {
  // L6 of 20000 bytes: L5's target is 2000, L4's 200 (the base level). L5 holds 3000 (score 1.5),
  // L0 four tables (score 1).
  VersionEdit edit;
  for (int i = 0; i < 4; ++i)
    edit.AddFile(0, File(10 + i, "a", "c", 100 + i, 10));
  edit.AddFile(5, File(20, "d", "e", 50, 1000));
  edit.AddFile(5, File(21, "f", "g", 50, 1000));
  edit.AddFile(5, File(22, "h", "i", 50, 1000));
  edit.AddFile(6, File(30, "a", "c", 1, 5000));
  edit.AddFile(6, File(31, "d", "e", 1, 5000));
  edit.AddFile(6, File(32, "f", "g", 1, 5000));
  edit.AddFile(6, File(33, "h", "z", 1, 5000));
  auto version = Build(edit);
  auto first = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->start_level(), 5);
  EXPECT_EQ(raw(first->inputs(0)[0]->number), 20u);
  EXPECT_EQ(raw(first->inputs(1)[0]->number), 31u);
  running_.Add(first.get());
  EXPECT_TRUE(running_.Conflicts(*first));
  // L5 without the busy table scores 1, as does L0: the shallower level goes first, into the
  // base level, whose span [0, 4] does not meet [5, 6].
  auto second = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->start_level(), 0);
  EXPECT_EQ(second->output_level(), 4);
  EXPECT_EQ(second->inputs(0).size(), 4u);
  running_.Add(second.get());
  // L0 is taken; L5 continues round-robin after the pointer, with a disjoint range.
  auto third = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->start_level(), 5);
  EXPECT_EQ(raw(third->inputs(0)[0]->number), 21u);
  running_.Add(third.get());
  // What is left of L5 (1000 bytes) is under its target.
  EXPECT_EQ(PickCompaction(version, options_, &pointers_, running_), nullptr);
  running_.Remove(first.get());
  auto fourth = PickCompaction(version, options_, &pointers_, running_);
  ASSERT_NE(fourth, nullptr);
  EXPECT_EQ(raw(fourth->inputs(0)[0]->number), 22u);
  // A compaction whose level span meets a running one's conflicts when their key ranges overlap,
  // even without a shared table: an L4 table (not in the version, which holds none) into L5.
  running_.Remove(third.get());  // leaves L0 "a".."c" into L4: span [0, 4]
  auto level4 = [&](const std::string& key) {
    auto c = std::make_unique<Compaction>(version, 4, 5, options_);
    c->mutable_inputs(0).push_back(
        std::make_shared<const FileMetaData>(File(40, key, key, 60, 10)));
    c->SetupOtherInputs();
    return c;
  };
  EXPECT_TRUE(running_.Conflicts(*level4("b")));
  EXPECT_FALSE(running_.Conflicts(*level4("x")));
  running_.Remove(second.get());
  EXPECT_FALSE(running_.Conflicts(*level4("b")));
}

TEST_F(PickerTest, ManualCompactionSkipsLevelsThatDoNotOverlap) {
  VersionEdit edit;
  edit.AddFile(0, File(10, "a", "c", 10, 50));
  edit.AddFile(3, File(11, "x", "z", 5, 50));
  edit.AddFile(5, File(12, "b", "b", 4, 50));
  auto version = Build(edit);
  auto c = PickManualCompaction(version, options_, 0, nullptr, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->output_level(), 5);
  EXPECT_EQ(c->inputs(1).size(), 1u);
  EXPECT_EQ(PickManualCompaction(version, options_, 1, nullptr, nullptr), nullptr);
  const std::string_view begin = "d";
  EXPECT_EQ(PickManualCompaction(version, options_, 0, &begin, nullptr), nullptr);
}

// A table is rewritten in place for what it holds that no reader needs only when that rewrite
// drops it: nothing deeper overlaps it, no snapshot predates its entries, and enough goes.
TEST_F(PickerTest, ReclaimsABottomTableWhenNoSnapshotOrDeeperTableNeedsItsEntries) {
  auto with_counts = [](FileMetaData file, uint64_t entries, uint64_t reclaimable) {
    file.num_entries = entries;
    file.reclaimable_entries = reclaimable;
    return file;
  };
  VersionEdit edit;
  edit.AddFile(0, with_counts(File(1, "a", "z", 90, 10), 100, 100));  // L0: compacted anyway
  edit.AddFile(4, with_counts(File(2, "a", "c", 50, 10), 100, 25));   // a quarter: due
  edit.AddFile(4, with_counts(File(3, "d", "f", 50, 10), 100, 24));   // under a quarter
  edit.AddFile(4, with_counts(File(4, "g", "i", 50, 10), 100, 90));   // a deeper table overlaps
  edit.AddFile(5, with_counts(File(5, "h", "h", 40, 10), 10, 0));
  edit.AddFile(6, with_counts(File(6, "p", "r", 70, 10), 100, 50));  // the half: preferred
  edit.AddFile(6, File(7, "s", "u", 30, 10));                        // counts unknown
  auto version = Build(edit);
  const SequenceNumber none{kMaxSequenceNumber};
  const FileMetaData& l0 = *version->files(0).front();
  EXPECT_FALSE(IsReclaimCandidate(*version, 0, l0, none));
  const auto& l4 = version->files(4);
  EXPECT_TRUE(IsReclaimCandidate(*version, 4, *l4[0], none));
  EXPECT_FALSE(IsReclaimCandidate(*version, 4, *l4[1], none));
  EXPECT_FALSE(IsReclaimCandidate(*version, 4, *l4[2], none));
  EXPECT_FALSE(IsReclaimCandidate(*version, 6, *version->files(6)[1], none));
  // A snapshot older than a table's newest entry may need what it holds.
  EXPECT_TRUE(IsReclaimCandidate(*version, 6, *version->files(6)[0], SequenceNumber{70}));
  EXPECT_FALSE(IsReclaimCandidate(*version, 6, *version->files(6)[0], SequenceNumber{69}));

  std::unique_ptr<Compaction> c = PickReclaimCompaction(version, options_, none, running_);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->start_level(), 6);
  EXPECT_EQ(c->output_level(), 6);
  EXPECT_EQ(c->reason(), CompactionReason::kReclaim);
  ASSERT_EQ(c->inputs(0).size(), 1u);
  EXPECT_EQ(raw(c->inputs(0)[0]->number), 6u);
  EXPECT_TRUE(c->inputs(1).empty());
  EXPECT_FALSE(c->IsTrivialMove());
  EXPECT_TRUE(NeedsCompaction(*version, options_, none));
  // With that one running the other candidate goes next; under an old snapshot none is due.
  running_.Add(c.get());
  std::unique_ptr<Compaction> next = PickReclaimCompaction(version, options_, none, running_);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(raw(next->inputs(0)[0]->number), 2u);
  running_.Remove(c.get());
  EXPECT_EQ(PickReclaimCompaction(version, options_, SequenceNumber{49}, running_), nullptr);
}

TEST_F(PickerTest, ReadCompactionIsDueOnceSeeksPaidForOverlappingL0Tables) {
  VersionEdit edit;
  edit.AddFile(0, File(1, "a", "m", 20, 10));
  edit.AddFile(0, File(2, "k", "w", 30, 10));
  edit.AddFile(6, File(3, "a", "c", 5, 10));
  auto version = Build(edit);
  const SequenceNumber none{kMaxSequenceNumber};
  EXPECT_FALSE(NeedsCompaction(*version, options_, none));  // 2 L0 tables, trigger 4
  // One run only: "x" is in no table, "u" only in table 2 (L6 ends at "c").
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(version->ChargeSeek("x"));
    EXPECT_FALSE(version->ChargeSeek("u"));
  }
  EXPECT_FALSE(version->ReadCompactionDue());
  EXPECT_EQ(PickReadCompaction(version, options_, running_), nullptr);
  // "b" is in table 1 and in L6, "l" in both L0 tables: each charge counts, the budget's last
  // one says so.
  for (uint64_t i = 1; i < Version::kMinSeekBudget; ++i)
    ASSERT_FALSE(version->ChargeSeek(i % 2 == 0 ? "b" : "l")) << i;
  EXPECT_FALSE(version->ReadCompactionDue());
  EXPECT_TRUE(version->ChargeSeek("b"));
  EXPECT_TRUE(version->ReadCompactionDue());
  EXPECT_FALSE(version->ChargeSeek("l"));  // due already: no second wake-up
  EXPECT_TRUE(NeedsCompaction(*version, options_, none));

  std::unique_ptr<Compaction> c = PickReadCompaction(version, options_, running_);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reason(), CompactionReason::kReads);
  EXPECT_EQ(c->start_level(), 0);
  EXPECT_EQ(c->inputs(0).size(), 2u);
  // One L0 compaction at a time.
  running_.Add(c.get());
  EXPECT_EQ(PickReadCompaction(version, options_, running_), nullptr);
  running_.Remove(c.get());
  // A new Version starts counting from zero.
  EXPECT_FALSE(Build(edit)->ReadCompactionDue());
}

TEST_F(PickerTest, ReadCompactionBudgetIsTheRewriteInSeekCharges) {
  constexpr uint64_t kMiB = 1 << 20;
  VersionEdit edit;
  edit.AddFile(0, File(1, "a", "m", 20, 3 * kMiB));
  edit.AddFile(0, File(2, "k", "w", 30, 3 * kMiB));
  edit.AddFile(5, File(3, "a", "c", 5, 2 * kMiB));   // the level below: rewritten too
  edit.AddFile(6, File(4, "a", "c", 4, 64 * kMiB));  // not
  auto version = Build(edit);
  const uint64_t budget = 8 * kMiB / Version::kSeekChargeBytes;
  ASSERT_GT(budget, Version::kMinSeekBudget);
  for (uint64_t i = 1; i < budget; ++i)
    ASSERT_FALSE(version->ChargeSeek("l")) << i;
  EXPECT_TRUE(version->ChargeSeek("l"));
  // Without L0 tables nothing is charged.
  VersionEdit no_l0;
  no_l0.AddFile(5, File(3, "a", "c", 5, 10));
  no_l0.AddFile(6, File(4, "a", "c", 4, 10));
  auto deeper = Build(no_l0);
  for (uint64_t i = 0; i < 2 * Version::kMinSeekBudget; ++i)
    ASSERT_FALSE(deeper->ChargeSeek("b"));
  EXPECT_FALSE(deeper->ReadCompactionDue());
}

TEST_F(PickerTest, OutputIsCutWhenGrandparentOverlapGrows) {
  VersionEdit edit;
  edit.AddFile(4, File(10, "a", "z", 5, 10));
  for (int i = 0; i < 20; ++i) {
    const std::string key(1, static_cast<char>('a' + i));
    edit.AddFile(6, File(20 + i, key, key, 1, 600));  // each 6x target_file_size
  }
  auto version = Build(edit);
  Compaction c(version, 4, 5, options_);
  c.mutable_inputs(0).push_back(version->files(4)[0]);
  c.SetupOtherInputs();
  EXPECT_EQ(c.grandparents().size(), 20u);
  int cuts = 0;
  for (int i = 0; i < 20; ++i) {
    // A small output: only the grandparent overlap can cut it.
    if (c.ShouldStopBefore(IKey(std::string(1, static_cast<char>('a' + i)) + "m", 5), 1)) ++cuts;
  }
  EXPECT_GE(cuts, 5);  // 20 x 600 bytes past, a cut per 1000+
  EXPECT_LE(cuts, 10);
}

TEST_F(PickerTest, OutputEndsAtAGrandparentBoundaryOnceHalfFull) {
  VersionEdit edit;
  edit.AddFile(4, File(10, "a", "z", 5, 10));
  edit.AddFile(6, File(20, "a", "f", 1, 50));
  edit.AddFile(6, File(21, "g", "p", 1, 50));
  auto version = Build(edit);
  Compaction c(version, 4, 5, options_);  // target_file_size 100
  c.mutable_inputs(0).push_back(version->files(4)[0]);
  c.SetupOtherInputs();
  ASSERT_EQ(c.grandparents().size(), 2u);
  EXPECT_FALSE(c.ShouldStopBefore(IKey("a", 5), 0));  // nothing open yet
  EXPECT_FALSE(c.ShouldStopBefore(IKey("b", 5), 10));
  // Past the end of table 20 ("f"), but the output holds under half the target: keep going.
  EXPECT_FALSE(c.ShouldStopBefore(IKey("g", 5), 40));
  EXPECT_FALSE(c.ShouldStopBefore(IKey("h", 5), 60));  // half full, but no boundary here
  // Past the end of table 21 ("p") with the output over half full: end it here.
  EXPECT_TRUE(c.ShouldStopBefore(IKey("q", 5), 70));
  // And whatever the boundaries, an output ends at the target size.
  EXPECT_FALSE(c.ShouldStopBefore(IKey("r", 5), 99));
  EXPECT_TRUE(c.ShouldStopBefore(IKey("s", 5), 100));
}

TEST(VersionGarbageCollectorTest, KeepsTheNewestVersionPerSnapshotStripe) {
  // Snapshots at 5 and 10. Versions of "k" at 12, 11 (stripe latest), 9, 7 (stripe 10), 4, 3
  // (stripe 5): the newest of each stripe survives.
  VersionGarbageCollector gc(BytewiseComparator(), {SequenceNumber{10}, SequenceNumber{5}}, {});
  std::vector<bool> dropped;
  for (uint64_t sequence : {12, 11, 9, 7, 4, 3}) {
    const ParsedInternalKey key{"k", SequenceNumber{sequence}, ValueType::kValue};
    dropped.push_back(gc.ShouldDrop(key));
  }
  EXPECT_EQ(dropped, (std::vector<bool>{false, true, false, true, false, true}));
  // A new user key starts over.
  EXPECT_FALSE(gc.ShouldDrop({"l", SequenceNumber{2}, ValueType::kValue}));
  // A snapshot exactly at a version's sequence sees it.
  VersionGarbageCollector exact(BytewiseComparator(), {SequenceNumber{7}}, {});
  EXPECT_FALSE(exact.ShouldDrop({"k", SequenceNumber{8}, ValueType::kValue}));
  EXPECT_FALSE(exact.ShouldDrop({"k", SequenceNumber{7}, ValueType::kValue}));
  EXPECT_TRUE(exact.ShouldDrop({"k", SequenceNumber{6}, ValueType::kValue}));
  EXPECT_FALSE(exact.input_out_of_order());
  // Versions out of order (a damaged table whose checksums pass) are reported, never asserted:
  // across a snapshot stripe, and within one (where the newer one would be dropped as shadowed).
  EXPECT_FALSE(exact.ShouldDrop({"k", SequenceNumber{9}, ValueType::kValue}));
  EXPECT_TRUE(exact.input_out_of_order());
  VersionGarbageCollector no_snapshots(BytewiseComparator(), {}, {});
  EXPECT_FALSE(no_snapshots.ShouldDrop({"k", SequenceNumber{5}, ValueType::kValue}));
  EXPECT_FALSE(no_snapshots.ShouldDrop({"k", SequenceNumber{7}, ValueType::kValue}));
  EXPECT_TRUE(no_snapshots.input_out_of_order());
}

TEST(VersionGarbageCollectorTest, DropsBottommostTombstonesNoSnapshotNeeds) {
  const InternalKeyComparator icmp(BytewiseComparator());
  Options options;
  auto version = std::make_shared<const Version>(&icmp);
  Compaction c(version, 5, 6, options);
  VersionGarbageCollector gc(BytewiseComparator(), {}, c.BottommostForKeyFn());
  EXPECT_TRUE(gc.ShouldDrop({"k", SequenceNumber{9}, ValueType::kDeletion}));
  EXPECT_TRUE(gc.ShouldDrop({"k", SequenceNumber{8}, ValueType::kValue}));
  // With a snapshot between the tombstone and an older value, both stay.
  VersionGarbageCollector held(BytewiseComparator(), {SequenceNumber{8}}, c.BottommostForKeyFn());
  EXPECT_FALSE(held.ShouldDrop({"k", SequenceNumber{9}, ValueType::kDeletion}));
  EXPECT_FALSE(held.ShouldDrop({"k", SequenceNumber{8}, ValueType::kValue}));
  // Not at the bottom for the key: the tombstone hides older data below and stays.
  VersionEdit edit;
  edit.AddFile(6, File(30, "a", "z", 1, 10));
  VersionBuilder builder(&icmp, Version(&icmp));
  ASSERT_TRUE(builder.Apply(edit).ok());
  std::shared_ptr<const Version> deeper;
  ASSERT_TRUE(builder.Finish(&deeper).ok());
  Compaction upper(deeper, 4, 5, options);
  VersionGarbageCollector above(BytewiseComparator(), {}, upper.BottommostForKeyFn());
  EXPECT_FALSE(above.ShouldDrop({"k", SequenceNumber{9}, ValueType::kDeletion}));
  EXPECT_TRUE(above.ShouldDrop({"k", SequenceNumber{8}, ValueType::kValue}));
}

TEST(TableKeyRangesTest, AnyContainsChecksEveryLevelsRanges) {
  const InternalKeyComparator icmp(BytewiseComparator());
  VersionEdit edit;
  edit.AddFile(0, File(40, "s", "u", 9, 10));
  edit.AddFile(0, File(41, "m", "p", 8, 10));  // L0 in any order, overlapping others
  edit.AddFile(2, File(30, "a", "c", 1, 10));
  edit.AddFile(2, File(31, "e", "g", 1, 10));
  edit.AddFile(6, File(20, "i", "i", 1, 10));
  VersionBuilder builder(&icmp, Version(&icmp));
  ASSERT_TRUE(builder.Apply(edit).ok());
  std::shared_ptr<const Version> version;
  ASSERT_TRUE(builder.Finish(&version).ok());
  const TableKeyRanges ranges(*version);
  version.reset();  // a copy: it needs the Version no longer
  for (const std::string key : {"a", "b", "c", "e", "g", "i", "m", "o", "p", "s", "u"})
    EXPECT_TRUE(ranges.AnyContains(key)) << key;
  for (const std::string key : {"", "ca", "d0", "d", "h", "ia", "l", "q", "v", "zz"})
    EXPECT_FALSE(ranges.AnyContains(key)) << key;
  EXPECT_FALSE(TableKeyRanges(Version(&icmp)).AnyContains("a"));
}

// ---- DB level ----

class CompactionDBTest : public DBTest {
 protected:
  CompactionDBTest() {
    options_.target_file_size = uint64_t{64} << 10;
    options_.max_bytes_for_level_base = uint64_t{256} << 10;
    options_.l0_compaction_trigger = 2;
    options_.bloom_bits_per_key = 10;
  }
  uint64_t TableBytes() {
    uint64_t total = 0;
    for (const std::string& path : FilesOfType(FileType::kTableFile)) {
      uint64_t bytes = 0;
      // A background thread may delete an obsolete table between the listing and here.
      if (!env_.GetFileSize(path, &bytes).ok()) {
        EXPECT_FALSE(env_.FileExists(path)) << path;
        continue;
      }
      total += bytes;
    }
    return total;
  }
  int TotalFiles() {
    int total = 0;
    for (int level = 0; level < kNumLevels; ++level)
      total += FilesAtLevel(level);
    return total;
  }
  std::string Value(int i, int round) { return std::string(90, 'a' + round % 26) + Key(i); }
};

TEST_F(CompactionDBTest, AutomaticCompactionsMoveDataOutOfL0) {
  Open();
  for (int i = 0; i < 20000; ++i)
    ASSERT_TRUE(Put(Key(i * 7919 % 20000), Value(i, 0)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_LT(FilesAtLevel(0), options_.l0_compaction_trigger);
  EXPECT_GT(TotalFiles() - FilesAtLevel(0), 0);
  // Nothing is left to do, by the DB's own accounting.
  const DBStats stats = DbStats();
  EXPECT_EQ(stats.pending_compaction_bytes, 0u);
  EXPECT_EQ(stats.compactions_running, 0);
  for (int i = 0; i < 20000; i += 3)
    ASSERT_EQ(Get(Key(i * 7919 % 20000)), Value(i, 0));
  Reopen();
  for (int i = 0; i < 20000; i += 3)
    ASSERT_EQ(Get(Key(i * 7919 % 20000)), Value(i, 0));
}

// Directory listings by background threads take long (a large directory on a loaded disk): a
// compaction's obsolete-file pass is still listing when the compaction has woken its waiters.
class SlowBackgroundListingEnv final : public FaultInjectionEnv {
 public:
  std::atomic<bool> slow{false};

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override {
    if (op == FaultOp::kList && slow && std::this_thread::get_id() != test_thread_)
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return FaultInjectionEnv::InjectedFault(op, path, other_path);
  }

 private:
  const std::thread::id test_thread_ = std::this_thread::get_id();
};

// Two overlapping L0 tables: the second reaches an L0 trigger of 2, and a compaction merges
// them; then WaitForBackgroundWork. Expects one live table and no other table file.
void ExpectOnlyTheCompactionOutputLeft(DB* db, Env* env) {
  for (int table = 0; table < 2; ++table) {
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(WriteOptions(), Key(i), "v" + std::to_string(table)).ok());
    ASSERT_TRUE(db->Flush().ok());
  }
  ASSERT_TRUE(db->WaitForBackgroundWork().ok());
  int live = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    std::string value;
    ASSERT_TRUE(db->GetProperty("ziggydb.num-files-at-level" + std::to_string(level), &value));
    live += std::stoi(value);
  }
  EXPECT_EQ(live, 1);
  std::vector<std::string> names;
  ASSERT_TRUE(env->GetChildren("/db", &names).ok());
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& name) { return name.ends_with(".sst"); }),
            live);
}

// WaitForBackgroundWork returns with the finished compaction's inputs deleted: it returned while
// they were still on disk (the compaction's deletion pass runs after it wakes its waiters).
TEST(CompactionWait, WaitForBackgroundWorkReturnsWithTheInputsDeleted) {
  SlowBackgroundListingEnv env;
  Options options = CreatingOptions(&env);
  options.l0_compaction_trigger = 2;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  env.slow = true;
  ExpectOnlyTheCompactionOutputLeft(db.get(), &env);
  env.slow = false;
}

// The same with stepped background work, where the deletion pass is a step of its own that the
// wait left pending.
TEST(CompactionWait, SteppedWaitForBackgroundWorkLeavesNoDeletionPending) {
  FaultInjectionEnv env;
  Options options = CreatingOptions(&env);
  options.l0_compaction_trigger = 2;
  FirstRunnableStepPolicy policy;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(OpenWithSteppedBackground(options, "/db", &policy, &db).ok());
  ExpectOnlyTheCompactionOutputLeft(db.get(), &env);
  EXPECT_TRUE(RunnableBackgroundSteps(db.get()).empty());
}

// Records the most file objects open while a compaction writes its output.
class OpenFilesProbeEnv final : public FaultInjectionEnv {
 public:
  std::atomic<bool> probing{false};
  std::atomic<uint64_t> most_open{0};

 protected:
  Status InjectedFault(FaultOp op, std::string_view path, std::string_view other_path) override {
    if (probing && op == FaultOp::kAppend && path.ends_with(".sst")) {
      const uint64_t open = open_file_count();
      uint64_t seen = most_open.load();
      while (open > seen && !most_open.compare_exchange_weak(seen, open)) {
      }
    }
    return FaultInjectionEnv::InjectedFault(op, path, other_path);
  }
};

// A compaction reads the inputs of a level >= 1 one table at a time: over more tables than the
// table cache holds it keeps few open (it held every input open till it ended).
TEST(CompactionInputs, ARunOfManyTablesIsReadOneTableAtATime) {
  OpenFilesProbeEnv env;
  Options options = CreatingOptions(&env);
  options.memtable_bytes = size_t{64} << 10;
  options.target_file_size = uint64_t{64} << 10;
  options.max_open_files = 16;  // the least: 6 tables cached
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i)
    ASSERT_TRUE(db->Put(WriteOptions(), Key(i), std::string(150, 'a' + i % 26)).ok());
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  std::string value;
  ASSERT_TRUE(
      db->GetProperty("ziggydb.num-files-at-level" + std::to_string(kNumLevels - 1), &value));
  const int last_level_tables = std::stoi(value);
  ASSERT_GE(last_level_tables, 20);
  // One table over the whole key range: the last step merges it with every last-level table.
  ASSERT_TRUE(db->Put(WriteOptions(), Key(0), "first").ok());
  ASSERT_TRUE(db->Put(WriteOptions(), Key(kKeys - 1), "last").ok());
  env.probing = true;
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  env.probing = false;
  EXPECT_GT(env.most_open.load(), 0u);
  EXPECT_LT(env.most_open.load(), static_cast<uint64_t>(last_level_tables) / 2)
      << last_level_tables << " input tables";
  ASSERT_TRUE(db->Get(ReadOptions(), Key(0), &value).ok());
  EXPECT_EQ(value, "first");
  ASSERT_TRUE(db->Get(ReadOptions(), Key(kKeys / 2), &value).ok());
  EXPECT_EQ(value, std::string(150, 'a' + (kKeys / 2) % 26));
}

// A flush leaves out what no reader can see: of a key's overwrites all but the newest (and the
// newest each snapshot sees), and a tombstone of a key no table holds. It wrote every version
// and tombstone, and a table trivially moved to the last level kept them for good (a queue's
// put-then-delete keys left a tombstone each, forever).
TEST_F(CompactionDBTest, AFlushLeavesOutWhatNoReaderSees) {
  options_.l0_compaction_trigger = 8;  // no compaction (which drops them too) of these tables
  Open();
  ASSERT_TRUE(Put("gone", "in a table").ok());
  ASSERT_TRUE(db_->Flush().ok());
  uint64_t bytes_before = TableBytes();
  const Snapshot* snapshot = nullptr;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Put("k", Value(i, i)).ok());
    if (i == 99) snapshot = db_->GetSnapshot();
  }
  ASSERT_TRUE(db_->Flush().ok());
  // Two versions of "k" of ~100 bytes; all 200 were ~20 KB.
  const uint64_t overwrites_bytes = TableBytes() - bytes_before;
  EXPECT_LT(overwrites_bytes, 1500u);
  EXPECT_EQ(Get("k"), Value(199, 199));
  EXPECT_EQ(Get("k", snapshot), Value(99, 99));
  // (Under a snapshot older than them, the tombstones below would stay: it might see an older
  // version written since it was taken.)
  db_->ReleaseSnapshot(snapshot);
  bytes_before = TableBytes();
  // Keys put and deleted in one memtable, and one deleted that an older table holds: only that
  // tombstone is needed.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Put(Key(i), Value(i, 0)).ok());
    ASSERT_TRUE(Delete(Key(i)).ok());
  }
  ASSERT_TRUE(Delete("gone").ok());
  ASSERT_TRUE(db_->Flush().ok());
  // One tombstone (200 more were ~4 KB).
  EXPECT_LT(TableBytes() - bytes_before, overwrites_bytes);
  EXPECT_EQ(FilesAtLevel(0), 3);
  // A memtable of nothing but keys put and deleted that no table holds makes no table.
  for (int i = 200; i < 300; ++i) {
    ASSERT_TRUE(Put(Key(i), Value(i, 0)).ok());
    ASSERT_TRUE(Delete(Key(i)).ok());
  }
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(FilesAtLevel(0), 3);
  // The tombstone kept hides the older table's value, before and after a reopen.
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(Get("k"), Value(199, 199));
    EXPECT_EQ(Get("gone"), "NOT_FOUND");
    EXPECT_EQ(Get(Key(7)), "NOT_FOUND");
    EXPECT_EQ(Get(Key(207)), "NOT_FOUND");
    if (pass == 0) Reopen();
  }
}

// What a snapshot made a compaction keep at the last level goes once the snapshot does. Before,
// the last level was compacted only by hand: a delete wave under a snapshot left every tombstone
// and every deleted value in place for good.
TEST_F(CompactionDBTest, WhatASnapshotKeptAtTheBottomIsReclaimedWhenItGoes) {
  auto reasons = std::make_shared<CompactionReasons>();
  options_.listeners.push_back(reasons);
  Open();
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(Put(Key(i), Value(i, 0)).ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());  // to the last level
  const Snapshot* snapshot = db_->GetSnapshot();
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(Delete(Key(i)).ok());
  // Merges the tombstones into the last level: the snapshot needs the values, so both stay.
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(TotalFiles(), FilesAtLevel(kNumLevels - 1));
  EXPECT_GT(TotalFiles(), 0);
  std::string sstables;
  ASSERT_TRUE(db_->GetProperty("ziggydb.sstables", &sstables));
  EXPECT_NE(sstables.find(", 600 entries (600 reclaimable)"), std::string::npos) << sstables;
  EXPECT_EQ(Get(Key(7)), "NOT_FOUND");
  EXPECT_EQ(Get(Key(7), snapshot), Value(7, 0));
  reasons->Take();
  db_->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(TotalFiles(), 0);
  EXPECT_EQ(TableBytes(), 0u);
  EXPECT_EQ(reasons->Take(), std::vector<std::string>{"reclaim L6->L6"});
  Reopen();
  EXPECT_EQ(TotalFiles(), 0);
  EXPECT_EQ(Get(Key(7)), "NOT_FOUND");
}

TEST_F(CompactionDBTest, SeeksOverOverlappingL0TablesMergeThemBelowTheTrigger) {
  auto reasons = std::make_shared<CompactionReasons>();
  options_.listeners.push_back(reasons);
  options_.l0_compaction_trigger = 4;
  options_.memtable_bytes = size_t{1} << 20;  // each flush below is one table
  Open();
  constexpr int kKeys = 300;
  ASSERT_NO_FATAL_FAILURE(WriteTwoOverlappingL0Tables(kKeys));
  // Small enough for the smallest budget.
  ASSERT_LT(TableBytes(), Version::kMinSeekBudget * Version::kSeekChargeBytes);
  // Point reads are not charged: the key filters spare them the other table.
  for (int i = 0; i < 10 * kKeys; ++i)
    ASSERT_EQ(Get(Key(i % kKeys)), OverlapValue(i % kKeys));
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  for (uint64_t i = 1; i < Version::kMinSeekBudget; ++i) {
    it->Seek(Key(static_cast<int>(i * 7 % kKeys)));
    ASSERT_TRUE(it->Valid());
  }
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(FilesAtLevel(0), 2);
  EXPECT_TRUE(reasons->Take().empty());
  // The budget's last seek wakes the compaction threads.
  it->SeekForPrev(Key(150));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(150));
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(FilesAtLevel(0), 0);
  EXPECT_EQ(reasons->Take(), std::vector<std::string>{"reads L0->L6"});
  // The iterator still reads the tables it started with; a new one reads the merged run.
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    ++count;
  EXPECT_EQ(count, kKeys);
  it.reset();
  it = db_->NewIterator(ReadOptions());
  count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++count)
    ASSERT_EQ(it->value(), OverlapValue(count));
  EXPECT_EQ(count, kKeys);
  ASSERT_TRUE(it->status().ok());
}

TEST_F(CompactionDBTest, WithReadCompactionsOffSeeksLeaveL0AsItIs) {
  options_.read_compactions = false;
  options_.l0_compaction_trigger = 4;
  options_.memtable_bytes = size_t{1} << 20;
  Open();
  constexpr int kKeys = 300;
  ASSERT_NO_FATAL_FAILURE(WriteTwoOverlappingL0Tables(kKeys));
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  for (uint64_t i = 0; i < 10 * Version::kMinSeekBudget; ++i) {
    it->Seek(Key(static_cast<int>(i * 7 % kKeys)));
    ASSERT_TRUE(it->Valid());
  }
  it.reset();
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(FilesAtLevel(0), 2);
}

TEST_F(CompactionDBTest, CompactRangeMovesEverythingToTheLastLevel) {
  Open();
  for (int i = 0; i < 5000; ++i)
    ASSERT_TRUE(Put(Key(i), Value(i, 1)).ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  for (int level = 0; level < kNumLevels - 1; ++level)
    EXPECT_EQ(FilesAtLevel(level), 0) << level;
  EXPECT_GT(FilesAtLevel(kNumLevels - 1), 1);  // split at target_file_size
  for (int i = 0; i < 5000; ++i)
    ASSERT_EQ(Get(Key(i)), Value(i, 1));
  // A bounded range touches only the tables overlapping it.
  ASSERT_TRUE(Put(Key(10), "new").ok());
  ASSERT_TRUE(Put(Key(4000), "new").ok());
  ASSERT_TRUE(db_->CompactRange("key00000000", "key00000020").ok());
  EXPECT_EQ(Get(Key(10)), "new");
  EXPECT_EQ(Get(Key(4000)), "new");
}

TEST_F(CompactionDBTest, DeletedKeysLeaveNothingBehindAfterFullCompaction) {
  Open();
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(Put(Key(i), Value(i, 2)).ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(Delete(Key(i)).ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_EQ(TotalFiles(), 0);
  EXPECT_EQ(TableBytes(), 0u);
  auto iter = db_->NewIterator(ReadOptions());
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
}

TEST_F(CompactionDBTest, SnapshotSeesItsVersionsAcrossCompactionsUntilReleased) {
  Open();
  const int n = 2000;
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(Put(Key(i), Value(i, 0)).ok());
  ASSERT_TRUE(Delete(Key(5)).ok());
  const Snapshot* snapshot = db_->GetSnapshot();
  for (int round = 1; round <= 5; ++round) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE((i % 3 == 0 ? Delete(Key(i)) : Put(Key(i), Value(i, round))).ok());
    ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(Get(Key(i), snapshot), i == 5 ? "NOT_FOUND" : Value(i, 0)) << i;
      ASSERT_EQ(Get(Key(i)), i % 3 == 0 ? "NOT_FOUND" : Value(i, round)) << i;
    }
  }
  // The snapshot's iterator sees exactly its state.
  ReadOptions at_snapshot;
  at_snapshot.snapshot = snapshot;
  auto iter = db_->NewIterator(at_snapshot);
  int seen = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    const int i = seen < 5 ? seen : seen + 1;
    ASSERT_EQ(iter->key(), Key(i));
    ASSERT_EQ(iter->value(), Value(i, 0));
    ++seen;
  }
  EXPECT_EQ(seen, n - 1);
  iter.reset();
  const uint64_t held_bytes = TableBytes();
  db_->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_LT(TableBytes() * 10, held_bytes * 7);  // roughly a third of the keys and half the rest
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(Get(Key(i)), i % 3 == 0 ? "NOT_FOUND" : Value(i, 5)) << i;
}

// The [smallest, largest] sequence ranges of the tables at the last level ("ziggydb.sstables").
std::vector<std::pair<uint64_t, uint64_t>> LastLevelSequenceRanges(DB* db) {
  std::string sstables;
  EXPECT_TRUE(db->GetProperty("ziggydb.sstables", &sstables));
  const std::string heading = "--- level " + std::to_string(kNumLevels - 1) + " ---\n";
  const size_t start = sstables.find(heading);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (start == std::string::npos) return ranges;
  size_t at = start + heading.size();
  while (at < sstables.size()) {
    const size_t seq = sstables.find("seq [", at);
    if (seq == std::string::npos) break;
    unsigned long long smallest = 0;
    unsigned long long largest = 0;
    EXPECT_EQ(std::sscanf(sstables.c_str() + seq, "seq [%llu, %llu]", &smallest, &largest), 2);
    ranges.emplace_back(smallest, largest);
    at = sstables.find('\n', seq);
  }
  return ranges;
}

TEST_F(CompactionDBTest, BottommostValuesGetSequenceZeroUnlessASnapshotNeedsTheirs) {
  Open();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(Put(Key(i), Value(i, 3)).ok());
  }
  const Snapshot* snapshot = db_->GetSnapshot();  // sees keys 0..999
  for (int i = 1000; i < 2000; ++i) {
    ASSERT_TRUE(Put(Key(i), Value(i, 3)).ok());
  }
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  // Values the snapshot sees were rewritten with sequence 0; later ones keep theirs, or the
  // snapshot would see them.
  auto ranges = LastLevelSequenceRanges(db_.get());
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.front().first, 0u);
  EXPECT_EQ(ranges.front().second, 0u);
  EXPECT_EQ(ranges.back().second, 2000u);
  for (int i = 0; i < 2000; i += 7) {
    ASSERT_EQ(Get(Key(i)), Value(i, 3));
    ASSERT_EQ(Get(Key(i), snapshot), i < 1000 ? Value(i, 3) : "NOT_FOUND") << i;
  }
  // A newer version above a sequence-0 one still wins, at the top and after compaction.
  ASSERT_TRUE(Put(Key(10), "newer").ok());
  EXPECT_EQ(Get(Key(10)), "newer");
  EXPECT_EQ(Get(Key(10), snapshot), Value(10, 3));
  db_->ReleaseSnapshot(snapshot);
  const uint64_t bytes_before = TableBytes();
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  for (const auto& [smallest, largest] : LastLevelSequenceRanges(db_.get())) {
    EXPECT_EQ(smallest, 0u);
    EXPECT_EQ(largest, 0u);
  }
  EXPECT_LT(TableBytes(), bytes_before);  // a one-byte tag instead of three for keys 1000..1999
  EXPECT_EQ(Get(Key(10)), "newer");
  Reopen();
  for (int i = 0; i < 2000; i += 7)
    ASSERT_EQ(Get(Key(i)), i == 10 ? "newer" : Value(i, 3));
}

TEST_F(CompactionDBTest, OverwritesAreReclaimedToWithinSpaceBound) {
  options_.l0_compaction_trigger = 4;
  Open();
  const int n = static_cast<int>(ScaledIterations(50000));
  Random rnd(TestSeed());
  uint64_t live_bytes = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < n; ++i) {
      const int k = static_cast<int>(rnd.Uniform(static_cast<uint32_t>(n)));
      ASSERT_TRUE(Put(Key(k), Value(k, round)).ok());
    }
  }
  for (int i = 0; i < n; ++i) {
    const std::string value = Get(Key(i));
    if (value != "NOT_FOUND") live_bytes += Key(i).size() + value.size();
  }
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  const uint64_t churn_bytes = TableBytes();
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  const uint64_t table_bytes = TableBytes();
  std::printf("live %llu bytes; tables %llu bytes (%.3fx) during churn, %llu (%.3fx) compacted\n",
              static_cast<unsigned long long>(live_bytes),
              static_cast<unsigned long long>(churn_bytes),
              static_cast<double>(churn_bytes) / static_cast<double>(live_bytes),
              static_cast<unsigned long long>(table_bytes),
              static_cast<double>(table_bytes) / static_cast<double>(live_bytes));
  EXPECT_LE(table_bytes * 10, live_bytes * 13);
}

TEST_F(CompactionDBTest, CrashDuringCompactionLeavesOldOrNewVersion) {
  Open();
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 4000; ++i) {
    ASSERT_TRUE(Put(Key(i), Value(i, 3)).ok());
    expected[Key(i)] = Value(i, 3);
  }
  ASSERT_TRUE(db_->Flush().ok());
  // The compaction's output sync fails: the compaction is abandoned and the DB stops writes.
  env_.InjectError(FaultOp::kSync, ".sst", 1);
  Status s = db_->CompactRange(std::nullopt, std::nullopt);
  env_.ClearErrors();
  Close();
  env_.DropUnsyncedData();
  Reopen();
  for (const auto& [key, value] : expected)
    ASSERT_EQ(Get(key), value);
  // A compaction whose MANIFEST edit was durable but whose directory entry for an obsolete input
  // was never synced: after power loss the DB still opens with exactly the new version.
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  Close();
  env_.DropUnsyncedData();
  Reopen();
  for (const auto& [key, value] : expected)
    ASSERT_EQ(Get(key), value);
  EXPECT_EQ(FilesAtLevel(0), 0);
}

TEST_F(CompactionDBTest, SustainedWritesNeverPushL0PastTheStopTrigger) {
  options_.l0_compaction_trigger = 2;
  options_.l0_slowdown_trigger = 3;
  options_.l0_stop_trigger = 4;
  options_.max_immutable_memtables = 1;
  Open();
  const uint64_t total_bytes = 24 * options_.memtable_bytes;  // >= 20x the memtable
  Random rnd(TestSeed());
  int max_l0 = 0;
  uint64_t written = 0;
  for (int i = 0; written < total_bytes; ++i) {
    const int k = static_cast<int>(rnd.Uniform(100000));
    const std::string value = Value(k, i);
    ASSERT_TRUE(Put(Key(k), value).ok());
    written += Key(k).size() + value.size();
    if (i % 64 == 0) max_l0 = std::max(max_l0, FilesAtLevel(0));
  }
  ASSERT_TRUE(db_->Flush().ok());
  max_l0 = std::max(max_l0, FilesAtLevel(0));
  EXPECT_LE(max_l0, options_.l0_stop_trigger);
  // Whether a flush had to wait depends on how fast compactions ran; that it is reported, and
  // the same in the text as in the numbers, does not (no flush runs any more).
  const DBStats stats = DbStats();
  if (stats.flushes_held == 0) {
    EXPECT_EQ(stats.flush_held_micros, 0u);
  }
  std::string text;
  ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &text));
  EXPECT_NE(text.find("flushes held at the L0 stop trigger: " + std::to_string(stats.flushes_held) +
                      ", "),
            std::string::npos)
      << text;
}

// A CompactRange whose L0 step takes L0 below the stop trigger lets stalled writers go on at
// once, not after its steps through every other level (before, nothing woke them till the end).
class StepListener final : public EventListener {
 public:
  void OnCompactionBegin(DB*, const CompactionJobInfo& info) override {
    if (info.input_level == 0 && armed) on_l0_begin();
  }
  void OnCompactionCompleted(DB*, const CompactionJobInfo& info) override {
    if (info.input_level == 0 && armed) on_l0_completed();
  }
  void OnStallBegin(DB*, const WriteStallInfo& info) override {
    if (info.cause == WriteStallCause::kL0Stop) l0_stopped = true;
  }
  std::function<void()> on_l0_begin, on_l0_completed;  // set before the DB opens
  std::atomic<bool> armed{false};
  std::atomic<bool> l0_stopped{false};
};

TEST_F(CompactionDBTest, CompactRangeWakesWritersStoppedByL0AfterItsL0Step) {
  auto listener = std::make_shared<StepListener>();
  // During CompactRange's L0 step a writer's flush brings L0 to the stop trigger, and it waits;
  // after the step it must go on before CompactRange's later steps end.
  std::atomic<bool> writer_done{false};
  std::thread writer;
  std::atomic<bool> began{false};  // only the first L0 compaction armed: CompactRange's step
  listener->on_l0_begin = [&] {
    if (began.exchange(true)) return;
    listener->l0_stopped = false;  // the stalls of the writes before are over
    writer = std::thread([&] {
      // A table flushed while the step runs brings L0 to the stop trigger, so the next write
      // stops. (Writes filling memtables instead would race the step: a flush held meanwhile
      // brings L0 back to the stop once the step frees it, with automatic compactions paused.)
      EXPECT_TRUE(Put("during", "1").ok());
      EXPECT_TRUE(db_->Flush().ok());
      EXPECT_TRUE(Put("stopped", "1").ok());
      writer_done = true;
    });
    for (int ms = 0; ms < 60000 && !listener->l0_stopped; ++ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  std::atomic<bool> woke_before_the_end{false};
  std::atomic<bool> completed{false};
  listener->on_l0_completed = [&] {
    if (completed.exchange(true)) return;
    for (int ms = 0; ms < 60000 && !writer_done; ++ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    woke_before_the_end = writer_done.load();
  };
  options_.listeners.push_back(listener);
  options_.l0_slowdown_trigger = 2;
  options_.l0_stop_trigger = 2;
  Open();
  // Data in the last level, so that CompactRange has a step after L0's; one table in L0.
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(Put(Key(i), Value(i, 0)).ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(Put(Key(1), "1").ok());  // overlaps the last level: no trivial move
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_EQ(FilesAtLevel(0), 1);
  listener->armed = true;
  EXPECT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(writer.joinable()) << "CompactRange had no L0 step";
  writer.join();
  EXPECT_TRUE(listener->l0_stopped);
  EXPECT_TRUE(woke_before_the_end);
  Close();  // the callbacks use this scope's variables: no compaction may call them later
}

TEST_F(CompactionDBTest, PropertiesDescribeTheLevels) {
  Open();
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(Put(Key(i), Value(i, 4)).ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  std::string value;
  ASSERT_TRUE(db_->GetProperty("ziggydb.stats", &value));
  EXPECT_NE(value.find("\nL6 "), std::string::npos) << value;
  EXPECT_NE(value.find("* = base level"), std::string::npos) << value;
  EXPECT_NE(value.find("w-amp"), std::string::npos) << value;
  ASSERT_TRUE(db_->GetProperty("ziggydb.sstables", &value));
  EXPECT_NE(value.find("--- level 6 ---"), std::string::npos) << value;
  EXPECT_NE(value.find("'key00000000' @ "), std::string::npos) << value;
  EXPECT_EQ(value.find("--- level 0 ---"), std::string::npos) << value;
  EXPECT_EQ(NumericProperty("ziggydb.estimate-live-data-size"), TableBytes());
  EXPECT_GT(NumericProperty("ziggydb.estimate-live-data-size"), 3000u * 100);
  EXPECT_EQ(FilesAtLevel(6), static_cast<int>(FilesOfType(FileType::kTableFile).size()));
  EXPECT_FALSE(db_->GetProperty("ziggydb.num-files-at-level7", &value));
}

TEST_F(CompactionDBTest, ReadersSeeAtomicBatchesWhileCompactionsRun) {
  Open();
  constexpr int kKeys = 200;
  const int rounds = static_cast<int>(ScaledIterations(150));
  std::atomic<bool> done{false};
  std::atomic<int> scans{0};
  std::atomic<int> failures{0};
  auto reader = [&] {
    while (!done.load()) {
      auto iter = db_->NewIterator(ReadOptions());
      std::string first_value;
      int count = 0;
      for (iter->SeekToLast(); iter->Valid(); iter->Prev(), ++count) {
        if (count == 0) first_value = std::string(iter->value());
        if (iter->value() != first_value) ++failures;
      }
      if (!iter->status().ok() || (count != 0 && count != kKeys)) ++failures;
      ++scans;
    }
  };
  std::thread r1(reader);
  std::thread r2(reader);
  for (int round = 0; round < rounds; ++round) {
    WriteBatch batch;
    const std::string value = std::string(300, 'v') + std::to_string(round);
    for (int k = 0; k < kKeys; ++k)
      batch.Put(Key(k), value);
    // EXPECT, not ASSERT: the readers must be joined whatever happens.
    Status s = db_->Write(WriteOptions(), batch);
    if (s.ok() && round % 50 == 49) s = db_->CompactRange(std::nullopt, std::nullopt);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) break;
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(scans.load(), 0);
  EXPECT_EQ(Get(Key(7)), std::string(300, 'v') + std::to_string(rounds - 1));
}

struct CompactionFault {
  const char* name;
  FaultOp op;
  const char* path;
};

class CompactionFaultTest : public CompactionDBTest,
                            public ::testing::WithParamInterface<CompactionFault> {};

// A failure at any step of a compaction, then power loss: the DB reopens with every write intact,
// in either the old or the new Version, and holds no table that Version does not list.
TEST_P(CompactionFaultTest, FailureThenPowerLossLeavesOldOrNewVersion) {
  options_.l0_compaction_trigger = 100;  // only CompactRange compacts
  options_.l0_slowdown_trigger = 100;
  options_.l0_stop_trigger = 100;
  Open();
  std::map<std::string, std::string> expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = round; i < 3000; i += 2) {
      ASSERT_TRUE(Put(Key(i), Value(i, round)).ok());
      expected[Key(i)] = Value(i, round);
    }
    ASSERT_TRUE(db_->Flush().ok());
  }
  const int tables_before = TotalFiles();
  env_.InjectError(GetParam().op, GetParam().path, 1);
  const Status s = db_->CompactRange(std::nullopt, std::nullopt);
  env_.ClearErrors();
  // A failed removal of an obsolete input is only logged; every other fault fails the compaction.
  EXPECT_EQ(s.ok(), GetParam().op == FaultOp::kRemove) << s.ToString();
  Close();
  env_.DropUnsyncedData();
  Reopen();
  for (const auto& [key, value] : expected)
    ASSERT_EQ(Get(key), value) << key << " after " << s.ToString();
  // Old version (all L0) or new (all in the last level); never a mix.
  const int l0 = FilesAtLevel(0);
  EXPECT_TRUE((l0 == tables_before && TotalFiles() == l0) ||
              (l0 == 0 && FilesAtLevel(kNumLevels - 1) == TotalFiles()))
      << "L0 " << l0 << " total " << TotalFiles() << " after " << s.ToString();
  EXPECT_EQ(static_cast<int>(FilesOfType(FileType::kTableFile).size()), TotalFiles());
  // And the DB still compacts.
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  for (const auto& [key, value] : expected)
    ASSERT_EQ(Get(key), value) << key;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, CompactionFaultTest,
    ::testing::Values(CompactionFault{"TableCreate", FaultOp::kCreate, ".sst"},
                      CompactionFault{"TableAppend", FaultOp::kAppend, ".sst"},
                      CompactionFault{"TableSync", FaultOp::kSync, ".sst"},
                      CompactionFault{"TableRead", FaultOp::kRead, ".sst"},
                      CompactionFault{"DirSync", FaultOp::kSyncDir, "db"},
                      CompactionFault{"ManifestAppend", FaultOp::kAppend, "MANIFEST"},
                      CompactionFault{"ManifestSync", FaultOp::kSync, "MANIFEST"},
                      CompactionFault{"TableRemove", FaultOp::kRemove, ".sst"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ziggydb::test

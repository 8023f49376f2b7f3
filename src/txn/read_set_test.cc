// The serializable read set: normalisation (ranges merged, keys inside ranges dropped), and which
// concurrent writes the ranges an iterator traversed catch: exactly those between where it was
// positioned and where it stopped, gaps (phantoms) included, in both directions and with bounds.
#include "txn/read_set.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/db_test_util.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

TEST(ReadSet, NormalizeMergesRangesAndDropsKeysTheyCover) {
  ReadSet reads(size_t{1} << 20);
  size_t slot = 0;
  ASSERT_TRUE(reads.AddRange(KeyRange{"b", "d"}, &slot).ok());
  ASSERT_TRUE(reads.AddRange(KeyRange{"a", "c"}, &slot).ok());
  ASSERT_TRUE(reads.AddRange(KeyRange{"d", "e"}, &slot).ok());  // touches [b, d)
  ASSERT_TRUE(reads.AddRange(KeyRange{"x", "y"}, &slot).ok());
  ASSERT_TRUE(reads.AddRange(KeyRange{"q", "p"}, &slot).ok());  // empty
  for (const char* key : {"b", "f", "f", "x", "y", "0"})
    ASSERT_TRUE(reads.AddKey(key).ok());
  reads.Normalize();
  ASSERT_EQ(reads.ranges().size(), 2u);
  EXPECT_EQ(reads.ranges()[0].lo, "a");
  EXPECT_EQ(reads.ranges()[0].hi, "e");
  EXPECT_EQ(reads.ranges()[1].lo, "x");
  EXPECT_EQ(reads.ranges()[1].hi, "y");
  EXPECT_EQ(reads.keys(), (std::vector<std::string>{"0", "f", "y"}));
}

TEST(ReadSet, DropKeysLeavesTheOthersAndTheirBytes) {
  ReadSet reads(size_t{1} << 20);
  for (const char* key : {"a", "b", "c"})
    ASSERT_TRUE(reads.AddKey(key).ok());
  reads.Normalize();
  const size_t all_bytes = reads.bytes();
  reads.DropKeys([](std::string_view key) { return key == "b"; });
  EXPECT_EQ(reads.keys(), (std::vector<std::string>{"a", "c"}));
  EXPECT_LT(reads.bytes(), all_bytes);
}

TEST(ReadSet, OpenEndedRangesSwallowWhatTheyReach) {
  ReadSet reads(size_t{1} << 20);
  size_t slot = 0;
  ASSERT_TRUE(reads.AddRange(KeyRange{std::nullopt, "c"}, &slot).ok());
  ASSERT_TRUE(reads.AddRange(KeyRange{"m", std::nullopt}, &slot).ok());
  ASSERT_TRUE(reads.AddRange(KeyRange{"b", "n"}, &slot).ok());
  ASSERT_TRUE(reads.AddKey("zzz").ok());
  reads.Normalize();
  ASSERT_EQ(reads.ranges().size(), 1u);
  EXPECT_FALSE(reads.ranges()[0].lo.has_value());
  EXPECT_FALSE(reads.ranges()[0].hi.has_value());
  EXPECT_TRUE(reads.keys().empty());
}

TEST(ReadSet, LimitRefusesAndChangesNothing) {
  ReadSet reads(100);
  size_t slot = 0;
  ASSERT_TRUE(reads.AddRange(KeyRange{"a", "b"}, &slot).ok());
  const size_t bytes = reads.bytes();
  EXPECT_TRUE(reads.UpdateRange(slot, KeyRange{"a", std::string(200, 'z')}).IsInvalidArgument());
  EXPECT_EQ(reads.bytes(), bytes);
  EXPECT_EQ(reads.ranges()[0].hi, "b");
  EXPECT_TRUE(reads.AddKey(std::string(200, 'k')).IsInvalidArgument());
  EXPECT_TRUE(reads.keys().empty());
}

// A serializable transaction polling one key holds it once: repeated keys are dropped before a
// read is refused. Distinct keys still reach the limit.
TEST(ReadSet, AKeyReadAgainAndAgainCostsOnce) {
  ReadSet reads(200);
  for (int i = 0; i < 10000; ++i)
    ASSERT_TRUE(reads.AddKey("polled").ok()) << i;
  EXPECT_LE(reads.bytes(), 200u);
  int added = 0;
  Status s;
  while ((s = reads.AddKey("k" + std::to_string(added))).ok())
    ++added;
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_GT(added, 5);
  reads.Normalize();
  EXPECT_EQ(reads.keys().size(), static_cast<size_t>(added) + 1);
  EXPECT_LE(reads.bytes(), 200u);
}

// Distinct keys first, then one key polled: the polling never reaches the limit either.
TEST(ReadSet, PollingAKeyAfterDistinctReadsCostsItOnce) {
  ReadSet reads(1000);
  for (int i = 10; i < 40; ++i)  // 30 keys of 26 bytes each: room for 10 more entries
    ASSERT_TRUE(reads.AddKey("distinct" + std::to_string(i)).ok()) << i;
  for (int i = 0; i < 10000; ++i)
    ASSERT_TRUE(reads.AddKey("polled").ok()) << i;
  reads.Normalize();
  EXPECT_EQ(reads.keys().size(), 31u);
}

class RangeConflictTest : public DBTest {
 protected:
  void SetUp() override {
    Open();
    for (const char* key : {"b", "d", "f", "h"})
      ASSERT_TRUE(Put(key, "v").ok());
  }
  // Runs `scan` in a transaction of `level` that also writes an unrelated key, then `write` as a
  // plain write, and reports whether the commit was refused. The DB is restored afterwards.
  struct Change {
    std::string key;
    bool deletes;
  };
  bool Conflicts(const std::function<void(Transaction*)>& scan, const Change& write,
                 IsolationLevel level = IsolationLevel::kSerializable) {
    const std::string before = Get(write.key);
    TransactionOptions options;
    options.isolation = level;
    std::unique_ptr<Transaction> txn = db_->BeginTransaction(WriteOptions(), options);
    scan(txn.get());
    EXPECT_TRUE(txn->Put("0unrelated", "x").ok());
    EXPECT_TRUE((write.deletes ? Delete(write.key) : Put(write.key, "new")).ok());
    Status s = txn->Commit();
    EXPECT_TRUE(s.ok() || s.IsBusy()) << s.ToString();
    EXPECT_TRUE((before == "NOT_FOUND" ? Delete(write.key) : Put(write.key, before)).ok());
    EXPECT_TRUE(Delete("0unrelated").ok());
    return s.IsBusy();
  }
  static Change Writes(const std::string& key) { return Change{key, false}; }
  static Change Deletes(const std::string& key) { return Change{key, true}; }
};

TEST_F(RangeConflictTest, ForwardScanCoversFromTargetToWhereItStopped) {
  // Seek("c") lands on d, Next lands on f, and the scan stops there: [c, f] was seen.
  const auto scan = [](Transaction* txn) {
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    it->Seek("c");
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), "d");
    it->Next();
    ASSERT_EQ(it->key(), "f");
  };
  EXPECT_TRUE(Conflicts(scan, Writes("c")));    // at the target: a phantom
  EXPECT_TRUE(Conflicts(scan, Writes("e")));    // in a gap
  EXPECT_TRUE(Conflicts(scan, Writes("f")));    // where it stopped
  EXPECT_TRUE(Conflicts(scan, Deletes("d")));   // a key it returned vanishes
  EXPECT_FALSE(Conflicts(scan, Writes("b")));   // before the target
  EXPECT_FALSE(Conflicts(scan, Writes("f0")));  // after where it stopped
  EXPECT_FALSE(Conflicts(scan, Writes("h")));
  EXPECT_FALSE(Conflicts(scan, Writes("e"), IsolationLevel::kSnapshot));
}

TEST_F(RangeConflictTest, ScanRunningOffTheUpperBoundCoversUpToIt) {
  const auto scan = [](Transaction* txn) {
    ReadOptions options;
    options.iterate_upper_bound = "g";
    std::unique_ptr<Iterator> it = txn->NewIterator(options);
    int seen = 0;
    for (it->Seek("e"); it->Valid(); it->Next())
      ++seen;
    ASSERT_EQ(seen, 1);  // f
  };
  EXPECT_TRUE(Conflicts(scan, Writes("fz")));
  EXPECT_TRUE(Conflicts(scan, Writes("e")));
  EXPECT_FALSE(Conflicts(scan, Writes("g")));  // the bound is exclusive
  EXPECT_FALSE(Conflicts(scan, Writes("d")));
}

TEST_F(RangeConflictTest, ScanRunningOffTheLastKeyCoversEverythingAfter) {
  const auto scan = [](Transaction* txn) {
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    it->Seek("x");  // past every key
    ASSERT_FALSE(it->Valid());
  };
  EXPECT_TRUE(Conflicts(scan, Writes("zzz")));
  EXPECT_TRUE(Conflicts(scan, Writes("x")));
  EXPECT_FALSE(Conflicts(scan, Writes("w")));
}

TEST_F(RangeConflictTest, ReverseScanCoversFromWhereItStoppedToTarget) {
  // SeekForPrev("g") lands on f, Prev on d: [d, g] was seen.
  const auto scan = [](Transaction* txn) {
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    it->SeekForPrev("g");
    ASSERT_EQ(it->key(), "f");
    it->Prev();
    ASSERT_EQ(it->key(), "d");
  };
  EXPECT_TRUE(Conflicts(scan, Writes("g")));
  EXPECT_TRUE(Conflicts(scan, Writes("e")));
  EXPECT_TRUE(Conflicts(scan, Writes("d")));
  EXPECT_FALSE(Conflicts(scan, Writes("g0")));
  EXPECT_FALSE(Conflicts(scan, Writes("c")));
}

TEST_F(RangeConflictTest, ReverseScanRunningOffTheLowerBoundCoversDownToIt) {
  const auto scan = [](Transaction* txn) {
    ReadOptions options;
    options.iterate_lower_bound = "c";
    std::unique_ptr<Iterator> it = txn->NewIterator(options);
    it->SeekToLast();
    ASSERT_EQ(it->key(), "h");
    while (it->Valid())
      it->Prev();
  };
  EXPECT_TRUE(Conflicts(scan, Writes("c")));
  EXPECT_TRUE(Conflicts(scan, Writes("zzz")));  // SeekToLast without an upper bound
  EXPECT_FALSE(Conflicts(scan, Writes("b")));
  EXPECT_FALSE(Conflicts(scan, Writes("a")));
}

TEST_F(RangeConflictTest, ChangingDirectionWidensTheRange) {
  // Seek("e") lands on f, Prev on d, Prev on b: [b, f].
  const auto scan = [](Transaction* txn) {
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    it->Seek("e");
    ASSERT_EQ(it->key(), "f");
    it->Prev();
    ASSERT_EQ(it->key(), "d");
    it->Prev();
    ASSERT_EQ(it->key(), "b");
  };
  EXPECT_TRUE(Conflicts(scan, Writes("c")));
  EXPECT_TRUE(Conflicts(scan, Writes("b")));
  EXPECT_FALSE(Conflicts(scan, Writes("a")));
  EXPECT_FALSE(Conflicts(scan, Writes("g")));
}

TEST_F(RangeConflictTest, EachPositioningIsItsOwnRange) {
  const auto scan = [](Transaction* txn) {
    std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
    it->Seek("b");  // [b, b]
    ASSERT_EQ(it->key(), "b");
    it->Seek("h");  // [h, h]
    ASSERT_EQ(it->key(), "h");
  };
  EXPECT_TRUE(Conflicts(scan, Writes("b")));
  EXPECT_TRUE(Conflicts(scan, Writes("h")));
  EXPECT_FALSE(Conflicts(scan, Writes("d")));  // between the two positionings: never looked at
}

TEST_F(RangeConflictTest, OwnWritesInTheRangeDoNotConflict) {
  TransactionOptions options;
  options.isolation = IsolationLevel::kSerializable;
  std::unique_ptr<Transaction> txn = db_->BeginTransaction(WriteOptions(), options);
  ASSERT_TRUE(txn->Put("c", "mine").ok());
  std::unique_ptr<Iterator> it = txn->NewIterator(ReadOptions());
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    ++seen;
  EXPECT_EQ(seen, 5);
  ASSERT_TRUE(txn->Put("e", "mine").ok());
  EXPECT_TRUE(txn->Commit().ok());
}

}  // namespace
}  // namespace ziggydb::test

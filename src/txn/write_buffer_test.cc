// WriteBuffer: last write wins per key, the byte limit (invariant 1) through replacements, save
// point records (invariant 2) and rollbacks, and the batch it yields.
#include "txn/write_buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ziggydb/options.h"

namespace ziggydb {
namespace {

class KeyCollector : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    ops.push_back("put " + std::string(key) + "=" + std::string(value));
  }
  void Delete(std::string_view key) override { ops.push_back("del " + std::string(key)); }
  std::vector<std::string> ops;
};

constexpr size_t kOverhead = WriteBuffer::kEntryOverheadBytes;

TEST(WriteBuffer, LastWriteOfAKeyWinsAndTheBatchIsInKeyOrder) {
  WriteBuffer buffer(1 << 20);
  ASSERT_TRUE(buffer.Put("b", "1").ok());
  ASSERT_TRUE(buffer.Delete("a").ok());
  ASSERT_TRUE(buffer.Put("b", "2").ok());
  ASSERT_TRUE(buffer.Put("a", "3").ok());
  ASSERT_TRUE(buffer.Delete("c").ok());
  EXPECT_EQ(buffer.bytes(), 3 * kOverhead + 3 + 2);
  WriteBatch batch;
  buffer.ToBatch(&batch);
  KeyCollector ops;
  ASSERT_TRUE(batch.Iterate(&ops).ok());
  EXPECT_EQ(ops.ops, (std::vector<std::string>{"put a=3", "put b=2", "del c"}));
}

TEST(WriteBuffer, ByteLimitCountsReplacementsSavePointRecordsAndRollbacks) {
  // A 1-byte key with a 9-byte value costs 10 + kOverhead, as an entry or as a record.
  WriteBuffer buffer(4 * kOverhead + 31);
  ASSERT_TRUE(buffer.Put("k", std::string(9, 'x')).ok());
  buffer.SetSavePoint();
  ASSERT_TRUE(buffer.Put("k", std::string(8, 'x')).ok());  // and k's record: 10 + kOverhead
  ASSERT_TRUE(buffer.Put("j", std::string(9, 'y')).ok());  // and the record of j's absence
  EXPECT_EQ(buffer.bytes(), 2 * kOverhead + 19);
  EXPECT_EQ(buffer.held_bytes(), 4 * kOverhead + 30);
  EXPECT_TRUE(buffer.Put("i", "").IsInvalidArgument());
  EXPECT_TRUE(buffer.Put("k", std::string(10, 'x')).IsInvalidArgument());  // grows by two
  EXPECT_EQ(buffer.Find("k")->value, std::string(8, 'x'));
  ASSERT_TRUE(buffer.Put("k", std::string(9, 'x')).ok());  // at the limit
  EXPECT_EQ(buffer.held_bytes(), 4 * kOverhead + 31);
  ASSERT_TRUE(buffer.Put("k", "").ok());  // shrinking a key already recorded always fits
  ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  EXPECT_EQ(buffer.Find("j"), nullptr);
  EXPECT_EQ(buffer.Find("k")->value, std::string(9, 'x'));
  EXPECT_EQ(buffer.bytes(), kOverhead + 10);
  EXPECT_EQ(buffer.held_bytes(), kOverhead + 10);
  EXPECT_TRUE(buffer.Put("i", "").ok());
}

// A save point keeps one record per key however often the key changes after it: a transaction
// that sets one and then rewrites a key in a loop stays within its limit.
TEST(WriteBuffer, OverwritesAfterASavePointKeepOneRecordPerKey) {
  const std::string original(1000, 'o');
  WriteBuffer buffer(4 * (1000 + 1 + kOverhead));
  ASSERT_TRUE(buffer.Put("k", original).ok());
  buffer.SetSavePoint();
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(buffer.Put("k", std::string(1000, static_cast<char>('a' + i % 26))).ok()) << i;
  EXPECT_EQ(buffer.held_bytes(), 2 * (1000 + 1 + kOverhead));
  ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  EXPECT_EQ(buffer.Find("k")->value, original);
  EXPECT_EQ(buffer.held_bytes(), 1000 + 1 + kOverhead);
}

// What save points keep counts against the limit: nested save points each holding a large
// value reach it, and the write that would pass it changes nothing.
TEST(WriteBuffer, RecordsOfNestedSavePointsCountAgainstTheLimit) {
  const size_t value_bytes = 1 << 16;
  const size_t cost = 1 + value_bytes + kOverhead;
  WriteBuffer buffer(10 * cost);
  ASSERT_TRUE(buffer.Put("k", std::string(value_bytes, '0')).ok());
  int accepted = 0;
  for (int i = 1; i < 100; ++i) {
    buffer.SetSavePoint();
    const Status s = buffer.Put("k", std::string(value_bytes, static_cast<char>('0' + i % 10)));
    if (!s.ok()) {
      EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
      break;
    }
    ++accepted;
    ASSERT_LE(buffer.held_bytes(), 10 * cost);
  }
  EXPECT_EQ(accepted, 9);  // the entry and nine records
  EXPECT_EQ(buffer.Find("k")->value, std::string(value_bytes, '9'));
  // Each rollback restores the value its save point found (the refused write's save point
  // restores nothing).
  ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  for (int i = 9; i >= 1; --i) {
    EXPECT_EQ(buffer.Find("k")->value, std::string(value_bytes, static_cast<char>('0' + i)));
    ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  }
  EXPECT_EQ(buffer.Find("k")->value, std::string(value_bytes, '0'));
  EXPECT_EQ(buffer.held_bytes(), cost);
}

TEST(WriteBuffer, NestedSavePointsUndoInOrder) {
  WriteBuffer buffer(1 << 20);
  EXPECT_TRUE(buffer.RollbackToSavePoint().IsNotFound());
  ASSERT_TRUE(buffer.Put("a", "1").ok());
  buffer.SetSavePoint();
  ASSERT_TRUE(buffer.Put("a", "2").ok());
  ASSERT_TRUE(buffer.Delete("a").ok());
  buffer.SetSavePoint();
  ASSERT_TRUE(buffer.Put("a", "3").ok());
  ASSERT_TRUE(buffer.Put("b", "1").ok());
  ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  EXPECT_TRUE(buffer.Find("a")->deleted);
  EXPECT_EQ(buffer.Find("b"), nullptr);
  ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  EXPECT_EQ(buffer.Find("a")->value, "1");
  EXPECT_FALSE(buffer.Find("a")->deleted);
  EXPECT_EQ(buffer.bytes(), kOverhead + 2);
  EXPECT_TRUE(buffer.RollbackToSavePoint().IsNotFound());
}

TEST(WriteBuffer, OversizedKeysAndValuesAreRefused) {
  WriteBuffer buffer(kMaxWriteBatchBytes / 2);
  EXPECT_TRUE(buffer.Put(std::string(kMaxKeyBytes + 1, 'k'), "").IsInvalidArgument());
  EXPECT_TRUE(buffer.Delete(std::string(kMaxKeyBytes + 1, 'k')).IsInvalidArgument());
  EXPECT_TRUE(buffer.Put(std::string(kMaxKeyBytes, 'k'), "").ok());
  EXPECT_FALSE(buffer.empty());
}

}  // namespace
}  // namespace ziggydb

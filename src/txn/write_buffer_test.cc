// WriteBuffer: last write wins per key, the byte limit (invariant 1) through replacements and
// save point rollbacks, and the batch it yields.
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

TEST(WriteBuffer, ByteLimitCountsReplacementsAndRollbacks) {
  WriteBuffer buffer(2 * kOverhead + 20);
  ASSERT_TRUE(buffer.Put("k", std::string(9, 'x')).ok());  // 10 + overhead
  buffer.SetSavePoint();
  ASSERT_TRUE(buffer.Put("j", std::string(9, 'y')).ok());  // at the limit
  EXPECT_EQ(buffer.bytes(), 2 * kOverhead + 20);
  EXPECT_TRUE(buffer.Put("i", "").IsInvalidArgument());
  EXPECT_TRUE(buffer.Put("k", std::string(10, 'x')).IsInvalidArgument());  // grows by one
  EXPECT_EQ(buffer.Find("k")->value, std::string(9, 'x'));
  ASSERT_TRUE(buffer.Put("k", "").ok());  // shrinking always fits
  ASSERT_TRUE(buffer.RollbackToSavePoint().ok());
  EXPECT_EQ(buffer.Find("j"), nullptr);
  EXPECT_EQ(buffer.Find("k")->value, std::string(9, 'x'));
  EXPECT_EQ(buffer.bytes(), kOverhead + 10);
  EXPECT_TRUE(buffer.Put("i", "").ok());
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

// Keys at the API's size limit (kMaxKeyBytes) through every path that stores them: memtable,
// WAL replay, flush, compaction and reopen. The tables hold internal keys (user key + 8-byte
// trailer), so a limit counted on one side only would let Put accept a key the flush then refuses.
#include <gtest/gtest.h>

#include <string>

#include "db/db_test_util.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {
namespace {

class DBKeyLimitTest : public DBTest {
 protected:
  // The largest key, and the first key the old per-side limits let through but a table refused
  // (kMaxKeyBytes - 8 + 1 bytes).
  const std::string max_key_ = std::string(kMaxKeyBytes, 'm');
  const std::string near_max_key_ = std::string(kMaxKeyBytes - 7, 'n');

  void ExpectBothKeys() {
    EXPECT_EQ(Get(max_key_), "max");
    EXPECT_EQ(Get(near_max_key_), "near");
    EXPECT_EQ(Get(std::string(kMaxKeyBytes - 1, 'm')), "NOT_FOUND");
    EXPECT_EQ(Get("small"), "1");
  }
};

TEST_F(DBKeyLimitTest, MaxKeySurvivesFlushCompactionAndReopen) {
  Open();
  ASSERT_TRUE(Put(max_key_, "max").ok());
  ASSERT_TRUE(Put(near_max_key_, "near").ok());
  ASSERT_TRUE(Put("small", "1").ok());
  ExpectBothKeys();
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_GE(FilesAtLevel(0), 1);
  ExpectBothKeys();
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  EXPECT_EQ(FilesAtLevel(0), 0);
  ExpectBothKeys();
  Reopen();
  ExpectBothKeys();
  // An iterator returns the keys whole, in order ("mmm..." < "nnn..." < "small").
  auto it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_TRUE(it->key() == max_key_);
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_TRUE(it->key() == near_max_key_);
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "small");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(DBKeyLimitTest, MaxKeySurvivesWalReplay) {
  Open();
  ASSERT_TRUE(Put(max_key_, "max", /*sync=*/true).ok());
  ASSERT_TRUE(Put(near_max_key_, "near", /*sync=*/true).ok());
  ASSERT_TRUE(Put("small", "1", /*sync=*/true).ok());
  // Power loss: only the synced WAL remains; Open replays it and writes it out as a table.
  env_.DropUnsyncedData();
  Reopen();
  ExpectBothKeys();
  EXPECT_GE(FilesAtLevel(0), 1);  // the replay wrote tables
  Reopen();
  ExpectBothKeys();
}

TEST_F(DBKeyLimitTest, KeyOverTheLimitIsInvalidArgumentAndChangesNothing) {
  Open();
  const std::string over(kMaxKeyBytes + 1, 'o');
  EXPECT_TRUE(Put(over, "v").IsInvalidArgument());
  EXPECT_TRUE(Delete(over).IsInvalidArgument());
  WriteBatch batch;
  batch.Put("small", "1");
  batch.Put(over, "v");
  EXPECT_TRUE(db_->Write(WriteOptions(), batch).IsInvalidArgument());
  EXPECT_EQ(Get("small"), "NOT_FOUND");
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(FilesAtLevel(0), 0);  // nothing reached the memtable
  Reopen();
  EXPECT_EQ(Get("small"), "NOT_FOUND");
}

}  // namespace
}  // namespace ziggydb::test

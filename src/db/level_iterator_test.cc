// A DB iterator reads levels >= 1 through one concatenating child per level: a Seek opens and
// reads one table of such a level, not every table, and iteration crosses table boundaries in
// both directions without losing or repeating a key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "db/filename.h"
#include "env/counting_env.h"
#include "env/mem_env.h"
#include "ziggydb/db.h"

namespace ziggydb {
namespace {

constexpr const char* kDbName = "/db";
constexpr int kKeys = 8000;

std::string Key(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "key%06d", i);
  return buffer;
}

class LevelIteratorTest : public ::testing::Test {
 protected:
  LevelIteratorTest() : env_(&mem_env_) {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{64} << 10;
    options_.target_file_size = size_t{64} << 10;  // the minimum: many tables in the last level
    options_.block_cache_bytes = 0;                // every block read goes to the file
  }

  // Fills kKeys keys, compacts them all into the last level, and reopens (cold table cache).
  void FillAndCompact() {
    ASSERT_TRUE(DB::Open(options_, kDbName, &db_).ok());
    for (int i = 0; i < kKeys; ++i)
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), std::string(100, 'v')).ok());
    ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
    db_.reset();
    ASSERT_TRUE(DB::Open(options_, kDbName, &db_).ok());
  }

  // Table files (by number) with at least one read since the last reset.
  int TablesRead() {
    std::vector<std::string> names;
    EXPECT_TRUE(mem_env_.GetChildren(kDbName, &names).ok());
    int read = 0;
    for (const std::string& name : names) {
      const std::string path = std::string(kDbName) + "/" + name;
      if (name.ends_with(".sst") && env_.reads(path) > 0) ++read;
    }
    return read;
  }

  int TableCount() {
    std::string value;
    int tables = 0;
    for (int level = 0; level < 7; ++level) {
      EXPECT_TRUE(db_->GetProperty("ziggydb.num-files-at-level" + std::to_string(level), &value));
      tables += std::stoi(value);
    }
    return tables;
  }

  MemEnv mem_env_;
  CountingEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(LevelIteratorTest, SeekReadsOneTableOfTheLevel) {
  FillAndCompact();
  ASSERT_GE(TableCount(), 8) << "the test needs many tables in the last level";
  env_.ResetCounts();
  auto iter = db_->NewIterator(ReadOptions());
  EXPECT_EQ(TablesRead(), 0) << "creating an iterator reads no table";
  iter->Seek(Key(kKeys / 2));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), Key(kKeys / 2));
  EXPECT_EQ(TablesRead(), 1);
  ASSERT_TRUE(iter->status().ok());
}

TEST_F(LevelIteratorTest, WalksEveryKeyAcrossTablesInBothDirections) {
  FillAndCompact();
  auto iter = db_->NewIterator(ReadOptions());
  int expected = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next())
    ASSERT_EQ(iter->key(), Key(expected++));
  EXPECT_EQ(expected, kKeys);
  for (iter->SeekToLast(); iter->Valid(); iter->Prev())
    ASSERT_EQ(iter->key(), Key(--expected));
  EXPECT_EQ(expected, 0);
  // SeekForPrev between two keys lands on the smaller; direction flips at every key near table
  // boundaries keep the order.
  for (int i = 1; i < kKeys; i += 97) {
    iter->SeekForPrev(Key(i) + "~");
    ASSERT_TRUE(iter->Valid());
    ASSERT_EQ(iter->key(), Key(i));
    iter->Prev();
    ASSERT_TRUE(iter->Valid());
    ASSERT_EQ(iter->key(), Key(i - 1));
    iter->Next();
    ASSERT_EQ(iter->key(), Key(i));
  }
  EXPECT_TRUE(iter->status().ok());
}

// A table of the level that cannot be opened stops the iteration with its error, in either
// direction: the keys after (or before) it are never returned as if it held none.
TEST_F(LevelIteratorTest, AMissingTableStopsTheIterationWithAnError) {
  FillAndCompact();
  std::vector<std::string> names;
  ASSERT_TRUE(mem_env_.GetChildren(kDbName, &names).ok());
  std::vector<std::string> tables;
  for (const std::string& name : names) {
    if (name.ends_with(".sst")) tables.push_back(name);
  }
  ASSERT_GE(tables.size(), 3u);
  std::sort(tables.begin(), tables.end());
  // The reopened DB has opened no table yet, so the deletion is seen when the scan gets there.
  ASSERT_TRUE(mem_env_.RemoveFile(std::string(kDbName) + "/" + tables[tables.size() / 2]).ok());
  auto iter = db_->NewIterator(ReadOptions());
  int forward = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next())
    ASSERT_EQ(iter->key(), Key(forward++));
  EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();
  EXPECT_GT(forward, 0);
  int backward = kKeys;
  for (iter->SeekToLast(); iter->Valid(); iter->Prev())
    ASSERT_EQ(iter->key(), Key(--backward));
  EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();
  EXPECT_LT(backward, kKeys);
  EXPECT_LT(forward, backward) << "the missing table's keys were skipped";
}

}  // namespace
}  // namespace ziggydb

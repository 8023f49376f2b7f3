// The row cache on its own (slots, sizes, the per-thread gate, readers racing writers on one
// slot) and inside DB::Get: answers never differ from the tables' after overwrites, deletes,
// flushes, compactions and at older snapshots.
#include "db/row_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/pinnable_value.h"
#include "ziggydb/statistics.h"

namespace ziggydb::test {
namespace {

using Result = RowCache::Result;

Result LookupIn(const RowCache& cache, uint64_t file, const std::string& key, std::string* value) {
  return cache.Lookup(file, key, RowCache::HashKey(key), value);
}
void InsertIn(RowCache* cache, uint64_t file, const std::string& key, bool deleted,
              const std::string& value) {
  cache->Insert(file, key, RowCache::HashKey(key), deleted, value);
}

TEST(RowCacheTest, HitsOnlyTheSameFileAndKey) {
  RowCache cache(size_t{1} << 20);
  EXPECT_EQ(cache.memory_bytes(), size_t{1} << 20);
  std::string value = "untouched";
  EXPECT_EQ(LookupIn(cache, 7, "key", &value), Result::kMiss);
  EXPECT_EQ(value, "untouched");  // a miss leaves the value alone

  InsertIn(&cache, 7, "key", false, "v1");
  EXPECT_EQ(LookupIn(cache, 7, "key", &value), Result::kValue);
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(LookupIn(cache, 8, "key", &value), Result::kMiss);  // another table
  EXPECT_EQ(LookupIn(cache, 7, "kex", &value), Result::kMiss);
  EXPECT_EQ(LookupIn(cache, 7, "ke", &value), Result::kMiss);

  InsertIn(&cache, 9, "gone", true, "ignored");
  EXPECT_EQ(LookupIn(cache, 9, "gone", &value), Result::kDeletion);

  InsertIn(&cache, 7, "empty", false, "");
  value = "x";
  EXPECT_EQ(LookupIn(cache, 7, "empty", &value), Result::kValue);
  EXPECT_EQ(value, "");
}

TEST(RowCacheTest, OneSlotKeepsTheLastInsert) {
  RowCache cache(RowCache::kSlotBytes);  // one slot: every key collides
  EXPECT_EQ(cache.memory_bytes(), RowCache::kSlotBytes);
  std::string value;
  InsertIn(&cache, 1, "a", false, "A");
  InsertIn(&cache, 1, "b", false, "B");
  EXPECT_EQ(LookupIn(cache, 1, "a", &value), Result::kMiss);
  EXPECT_EQ(LookupIn(cache, 1, "b", &value), Result::kValue);
  EXPECT_EQ(value, "B");
  // A longer entry then a shorter one: no bytes of the first show through.
  InsertIn(&cache, 1, "c", false, std::string(100, 'z'));
  InsertIn(&cache, 1, "c", false, "short");
  EXPECT_EQ(LookupIn(cache, 1, "c", &value), Result::kValue);
  EXPECT_EQ(value, "short");
}

TEST(RowCacheTest, CapacityRoundsDownToPowerOfTwoSlots) {
  EXPECT_EQ(RowCache(0).memory_bytes(), RowCache::kSlotBytes);  // at least one slot
  EXPECT_EQ(RowCache(3 * RowCache::kSlotBytes).memory_bytes(), 2 * RowCache::kSlotBytes);
  EXPECT_EQ(RowCache((size_t{64} << 10) + 1).memory_bytes(), size_t{64} << 10);
}

TEST(RowCacheTest, EntriesLargerThanASlotAreNotCached) {
  RowCache cache(size_t{64} << 10);
  const std::string key = "key";
  std::string value;
  const std::string fits(RowCache::kEntryBytes - key.size(), 'f');
  InsertIn(&cache, 1, key, false, fits);
  ASSERT_EQ(LookupIn(cache, 1, key, &value), Result::kValue);
  EXPECT_EQ(value, fits);
  InsertIn(&cache, 2, key, false, fits + "!");  // one byte over
  EXPECT_EQ(LookupIn(cache, 2, key, &value), Result::kMiss);
  // A deletion carries no value: it fits whatever the value would have been.
  InsertIn(&cache, 3, key, true, fits + "!");
  EXPECT_EQ(LookupIn(cache, 3, key, &value), Result::kDeletion);
}

// The gate is per thread: each check runs on a fresh thread, whose gate starts hot.
template <typename Fn>
void OnFreshThread(Fn fn) {
  std::thread thread(fn);
  thread.join();
}

TEST(RowCacheTest, GateSamplesWhileLookupsMissAndReturnsWhenTheyHit) {
  OnFreshThread([] {
    const RowCache::Decision first = RowCache::Decide();
    EXPECT_TRUE(first.lookup);
    for (int i = 0; i < 256; ++i)
      RowCache::Record(false);
    int lookups = 0;
    int admits = 0;
    for (int i = 0; i < 160; ++i) {
      const RowCache::Decision d = RowCache::Decide();
      lookups += d.lookup ? 1 : 0;
      admits += d.admit ? 1 : 0;
    }
    EXPECT_EQ(lookups, 10);  // one Get in 16
    EXPECT_EQ(admits, 10);
    for (int i = 0; i < 256; ++i)
      RowCache::Record(i % 4 == 0);  // a hit in 4: not enough
    lookups = 0;
    for (int i = 0; i < 16; ++i)
      lookups += RowCache::Decide().lookup ? 1 : 0;
    EXPECT_EQ(lookups, 1);
    for (int i = 0; i < 256; ++i)
      RowCache::Record(i % 2 == 0);  // a hit in 2: enough
    lookups = 0;
    admits = 0;
    for (int i = 0; i < 16; ++i) {
      const RowCache::Decision d = RowCache::Decide();
      lookups += d.lookup ? 1 : 0;
      admits += d.admit ? 1 : 0;
    }
    EXPECT_EQ(lookups, 16);
    EXPECT_EQ(admits, 8);  // half the misses
  });
}

// Entry i's value is a function of i, so a reader can tell a torn or mixed-up slot.
std::string RaceKey(uint32_t i) {
  return "key" + std::to_string(i);
}
std::string RaceValue(uint32_t i) {
  return std::string(i % 200, static_cast<char>('a' + i % 26)) + std::to_string(i);
}

TEST(RowCacheTest, ReadersRacingWritersOnOneSlotSeeWholeEntries) {
  const uint64_t seed = TestSeed();
  RowCache cache(RowCache::kSlotBytes);
  constexpr uint32_t kKeys = 8;
  constexpr int kOpsPerThread = 200'000;
  std::atomic<bool> wrong{false};
  std::atomic<uint64_t> hits{0};
  std::vector<std::thread> threads;
  // Every thread inserts on one operation in four and looks up on the others: a slot written
  // without pause would fail every reader's validation, and nothing would be checked.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Random rng(seed + static_cast<uint64_t>(t));
      std::string value;
      for (int op = 0; op < kOpsPerThread; ++op) {
        const uint32_t i = rng.Uniform(kKeys);
        if (rng.OneIn(4)) {  // odd entries are deletions
          InsertIn(&cache, 1, RaceKey(i), i % 2 == 1, RaceValue(i));
          continue;
        }
        const Result r = LookupIn(cache, 1, RaceKey(i), &value);
        if (r == Result::kMiss) continue;
        hits.fetch_add(1, std::memory_order_relaxed);
        const bool right =
            i % 2 == 1 ? r == Result::kDeletion : r == Result::kValue && value == RaceValue(i);
        if (!right) wrong.store(true);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_FALSE(wrong.load()) << "seed " << seed;
  EXPECT_GT(hits.load(), 0u);  // the lookups did meet entries
}

// Inside DB::Get.
class RowCacheDBTest : public DBTest {
 protected:
  RowCacheDBTest() {
    options_.row_cache_bytes = size_t{64} << 10;
    options_.statistics = CreateStatistics();
  }
  uint64_t Hits() { return options_.statistics->GetTickerCount(Ticker::kRowCacheHits); }
  // Reads `key` often enough that, whatever this thread's gate decided before, the cache has
  // been filled and consulted; every read must give `expected`.
  void ReadRepeatedly(const std::string& key, const std::string& expected,
                      const Snapshot* snapshot = nullptr) {
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(Get(key, snapshot), expected) << key << " read " << i;
  }
};

TEST_F(RowCacheDBTest, AnswersFollowOverwritesDeletesAndCompactions) {
  Open();
  ASSERT_TRUE(Put("k", "v1").ok());
  ASSERT_TRUE(Put("other", "o").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ReadRepeatedly("k", "v1");
  EXPECT_GT(Hits(), 0u);

  const Snapshot* before = db_->GetSnapshot();
  ASSERT_TRUE(Put("k", "v2").ok());
  ReadRepeatedly("k", "v2");  // from the memtable, ahead of the cache
  ASSERT_TRUE(db_->Flush().ok());
  ReadRepeatedly("k", "v2");  // the newer table is asked first
  ReadRepeatedly("k", "v1", before);

  ASSERT_TRUE(Delete("k").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ReadRepeatedly("k", "NOT_FOUND");
  ReadRepeatedly("k", "v1", before);
  db_->ReleaseSnapshot(before);

  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  ReadRepeatedly("k", "NOT_FOUND");
  ReadRepeatedly("other", "o");
  ASSERT_TRUE(Put("k", "v3").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ReadRepeatedly("k", "v3");
  Reopen();
  ReadRepeatedly("k", "v3");
  ReadRepeatedly("absent", "NOT_FOUND");
}

TEST_F(RowCacheDBTest, PinnedGetOwnsACachedValue) {
  Open();
  ASSERT_TRUE(Put("k", "value").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ReadRepeatedly("k", "value");
  const uint64_t hits = Hits();
  PinnableValue value;
  for (int i = 0; i < 64 && Hits() == hits; ++i) {
    ASSERT_TRUE(db_->Get(ReadOptions(), "k", &value).ok());
    ASSERT_EQ(value.value(), "value");
  }
  ASSERT_GT(Hits(), hits);
  EXPECT_FALSE(value.pinned());  // a copy: the cache's slot may be reused at any time
  Close();
  EXPECT_EQ(value.value(), "value");
}

TEST_F(RowCacheDBTest, ReadOnlyOpenReadsThroughIt) {
  Open();
  ASSERT_TRUE(Put("k", "value").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Close();
  std::unique_ptr<DB> reader;
  ASSERT_TRUE(DB::OpenReadOnly(options_, kDbName, &reader).ok());
  const uint64_t hits = Hits();
  for (int i = 0; i < 64; ++i) {
    std::string value;
    ASSERT_TRUE(reader->Get(ReadOptions(), "k", &value).ok());
    ASSERT_EQ(value, "value");
  }
  EXPECT_GT(Hits(), hits);
}

TEST_F(RowCacheDBTest, MemoryPropertyCountsTheCache) {
  Open();
  std::string memory;
  ASSERT_TRUE(db_->GetProperty("ziggydb.memory", &memory));
  EXPECT_NE(memory.find("row cache: 65536\n"), std::string::npos) << memory;
}

// The "name: N" line of the ziggydb.memory property.
size_t MemoryPart(DB* db, const std::string& name) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("ziggydb.memory", &text));
  const size_t at = text.find("\n" + name + ": ");
  EXPECT_NE(at, std::string::npos) << name << " in\n" << text;
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 3));
}

TEST_F(RowCacheDBTest, BudgetLeavesRoomForTheCacheFromOpen) {
  options_.memory_budget_bytes = size_t{8} << 20;
  options_.row_cache_bytes = size_t{4} << 20;
  Open();
  EXPECT_EQ(MemoryPart(db_.get(), "row cache"), size_t{4} << 20);
  // The block cache's capacity and the memtable's switch size fit beside the row cache.
  EXPECT_LE(MemoryPart(db_.get(), "block cache capacity") +
                MemoryPart(db_.get(), "memtable switch") + (size_t{4} << 20),
            size_t{8} << 20);
}

TEST_F(RowCacheDBTest, OptionRangeIsChecked) {
  options_.row_cache_bytes = (size_t{64} << 10) - 1;
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
  options_.row_cache_bytes = size_t{4} << 20;
  options_.memory_budget_bytes = size_t{6} << 20;  // more than half of it
  EXPECT_TRUE(TryOpen().IsInvalidArgument());
  options_.memory_budget_bytes = size_t{8} << 20;
  EXPECT_TRUE(TryOpen().ok());
}

}  // namespace
}  // namespace ziggydb::test

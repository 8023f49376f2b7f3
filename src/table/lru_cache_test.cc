#include "table/lru_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "table/block_cache.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

using IntCache = ShardedLruCache<int, int>;

std::shared_ptr<int> Value(int v) {
  return std::make_shared<int>(v);
}

// The value cached for key, or -1.
int Get(IntCache* cache, int key) {
  std::shared_ptr<int> v = cache->Lookup(key);
  return v ? *v : -1;
}

TEST(LruCache, LookupFindsInsertedValue) {
  IntCache cache(100);
  EXPECT_EQ(cache.Lookup(1), nullptr);
  cache.Insert(1, Value(10), 1);
  cache.Insert(2, Value(20), 1);
  EXPECT_EQ(Get(&cache, 1), 10);
  EXPECT_EQ(Get(&cache, 2), 20);
  EXPECT_EQ(Get(&cache, 3), -1);
  EXPECT_EQ(cache.usage(), 2u);
  EXPECT_EQ(cache.capacity(), 100u);
}

TEST(LruCache, EvictsLeastRecentlyUsed) {
  IntCache cache(3, /*shard_bits=*/0);
  cache.Insert(1, Value(1), 1);
  cache.Insert(2, Value(2), 1);
  cache.Insert(3, Value(3), 1);
  ASSERT_EQ(Get(&cache, 1), 1);  // order, most recent first: 1 3 2
  cache.Insert(4, Value(4), 1);  // evicts 2
  EXPECT_EQ(Get(&cache, 2), -1);
  EXPECT_EQ(Get(&cache, 1), 1);
  EXPECT_EQ(Get(&cache, 3), 3);
  EXPECT_EQ(Get(&cache, 4), 4);  // order: 4 3 1
  cache.Insert(5, Value(5), 2);  // evicts 1 and 3
  EXPECT_EQ(Get(&cache, 1), -1);
  EXPECT_EQ(Get(&cache, 3), -1);
  EXPECT_EQ(Get(&cache, 4), 4);
  EXPECT_EQ(Get(&cache, 5), 5);
  EXPECT_EQ(cache.counters().evictions, 3u);
  EXPECT_EQ(cache.usage(), 3u);
}

TEST(LruCache, InsertReplacesExistingKey) {
  IntCache cache(10, /*shard_bits=*/0);
  cache.Insert(1, Value(10), 4);
  cache.Insert(1, Value(11), 6);
  EXPECT_EQ(Get(&cache, 1), 11);
  EXPECT_EQ(cache.usage(), 6u);
  cache.Insert(2, Value(20), 4);  // fits exactly: replacement freed the old charge
  EXPECT_EQ(cache.usage(), 10u);
  const CacheCounters c = cache.counters();
  EXPECT_EQ(c.inserts, 3u);
  EXPECT_EQ(c.evictions, 0u);
}

TEST(LruCache, EraseDropsEntry) {
  IntCache cache(10);
  cache.Insert(1, Value(10), 3);
  cache.Erase(1);
  cache.Erase(2);  // absent: no effect
  EXPECT_EQ(Get(&cache, 1), -1);
  EXPECT_EQ(cache.usage(), 0u);
  EXPECT_EQ(cache.counters().evictions, 0u);
}

TEST(LruCache, ReaderKeepsEvictedValueAlive) {
  IntCache cache(1, /*shard_bits=*/0);
  cache.Insert(1, Value(10), 1);
  std::shared_ptr<int> held = cache.Lookup(1);
  std::weak_ptr<int> watch = held;
  cache.Insert(2, Value(20), 1);  // evicts 1
  ASSERT_EQ(cache.Lookup(1), nullptr);
  EXPECT_EQ(*held, 10);
  held.reset();
  EXPECT_TRUE(watch.expired());  // the cache let go of its reference
}

TEST(LruCache, OversizedValueIsNotCached) {
  IntCache cache(10, /*shard_bits=*/0);
  cache.Insert(1, Value(10), 5);
  cache.Insert(1, Value(11), 11);  // too big: not cached, and the stale entry is gone too
  EXPECT_EQ(Get(&cache, 1), -1);
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(LruCache, ZeroCapacityCachesNothing) {
  IntCache cache(0);
  cache.Insert(1, Value(10), 1);
  EXPECT_EQ(Get(&cache, 1), -1);
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(LruCache, ZeroChargeCountsAsOne) {
  IntCache cache(2, /*shard_bits=*/0);
  for (int i = 0; i < 5; ++i)
    cache.Insert(i, Value(i), 0);
  EXPECT_EQ(cache.usage(), 2u);
  EXPECT_EQ(cache.counters().evictions, 3u);
}

TEST(LruCache, CountersCountHitsMissesInserts) {
  IntCache cache(100);
  cache.Insert(1, Value(1), 1);
  cache.Insert(2, Value(2), 1);
  (void)cache.Lookup(1);
  (void)cache.Lookup(1);
  (void)cache.Lookup(3);
  const CacheCounters c = cache.counters();
  EXPECT_EQ(c.hits, 2u);
  EXPECT_EQ(c.misses, 1u);
  EXPECT_EQ(c.inserts, 2u);
  EXPECT_EQ(c.evictions, 0u);
}

TEST(LruCache, ShardBudgetsSumToCapacity) {
  // 16 shards share 100 units: if budgets summed to more, filling every shard would exceed it.
  IntCache cache(100, /*shard_bits=*/4);
  EXPECT_EQ(cache.num_shards(), 16u);
  for (int i = 0; i < 10000; ++i) {
    cache.Insert(i, Value(i), 1 + i % 3);
    ASSERT_LE(cache.usage(), cache.capacity());
  }
  EXPECT_GT(cache.usage(), 50u);  // and the hash spreads keys over the shards
}

// A single-shard cache against a brute-force LRU list: after every random operation the cached
// set, its contents and the usage agree.
TEST(LruCache, MatchesReferenceModel) {
  const uint64_t seed = test::TestSeed();
  Random rnd(seed);
  constexpr size_t kCapacity = 50;
  IntCache cache(kCapacity, /*shard_bits=*/0);
  struct ModelEntry {
    int key, value;
    size_t charge;
  };
  std::vector<ModelEntry> model;  // most recently used first
  auto find = [&](int key) {
    return std::find_if(model.begin(), model.end(), [&](const auto& e) { return e.key == key; });
  };
  const uint64_t iterations = test::ScaledIterations(20000);
  for (uint64_t i = 0; i < iterations; ++i) {
    const int key = static_cast<int>(rnd.Uniform(40));
    const uint64_t op = rnd.Uniform(10);
    if (op < 5) {
      auto it = find(key);
      const int expected = it == model.end() ? -1 : it->value;
      if (it != model.end()) std::rotate(model.begin(), it, it + 1);
      ASSERT_EQ(Get(&cache, key), expected) << "seed=" << seed << " i=" << i;
    } else if (op < 9) {
      const size_t charge = 1 + rnd.Uniform(12);
      const int value = static_cast<int>(rnd.Next32() >> 1);
      cache.Insert(key, Value(value), charge);
      if (auto it = find(key); it != model.end()) model.erase(it);
      model.insert(model.begin(), {key, value, charge});
      size_t usage = 0;
      for (const auto& e : model)
        usage += e.charge;
      while (usage > kCapacity) {
        usage -= model.back().charge;
        model.pop_back();
      }
    } else {
      cache.Erase(key);
      if (auto it = find(key); it != model.end()) model.erase(it);
    }
    size_t usage = 0;
    for (const auto& e : model)
      usage += e.charge;
    ASSERT_EQ(cache.usage(), usage) << "seed=" << seed << " i=" << i;
  }
}

// Many threads mixing every operation on overlapping keys. Checks values are never torn or
// mismatched, the budget holds, and counters add up. Run under TSan for race detection.
TEST(LruCache, ConcurrentHammering) {
  const uint64_t seed = test::TestSeed();
  constexpr int kThreads = 4;
  constexpr size_t kCapacity = 200;
  ShardedLruCache<uint64_t, std::string> cache(kCapacity, /*shard_bits=*/2);
  const uint64_t ops_per_thread = test::ScaledIterations(50000);
  std::atomic<uint64_t> lookups{0};
  std::atomic<bool> mismatch{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Random rnd(seed + t);
      uint64_t my_lookups = 0;
      for (uint64_t i = 0; i < ops_per_thread; ++i) {
        const uint64_t key = rnd.Uniform(500);
        const uint64_t op = rnd.Uniform(10);
        if (op < 6) {
          ++my_lookups;
          if (auto v = cache.Lookup(key); v && *v != std::to_string(key)) mismatch = true;
        } else if (op < 9) {
          cache.Insert(key, std::make_shared<std::string>(std::to_string(key)), 1 + key % 4);
        } else {
          cache.Erase(key);
        }
      }
      lookups.fetch_add(my_lookups);
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_FALSE(mismatch.load());
  EXPECT_LE(cache.usage(), kCapacity);
  const CacheCounters c = cache.counters();
  EXPECT_EQ(c.hits + c.misses, lookups.load());
  EXPECT_GT(c.evictions, 0u);
}

TEST(BlockCache, TableIdsAreUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kIdsPerThread = 10000;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kIdsPerThread; ++i)
        ids[t].push_back(NewBlockCacheTableId());
    });
  }
  for (auto& th : threads)
    th.join();
  std::unordered_set<uint64_t> all;
  for (const auto& v : ids) {
    for (uint64_t id : v) {
      EXPECT_NE(id, 0u);
      all.insert(id);
    }
  }
  EXPECT_EQ(all.size(), size_t{kThreads} * kIdsPerThread);
}

TEST(BlockCache, KeysOfOneTableHashApart) {
  BlockCacheKeyHash hash;
  std::unordered_set<size_t> hashes;
  std::unordered_set<size_t> top_bytes;
  for (uint64_t table = 1; table <= 4; ++table) {
    for (uint64_t block = 0; block < 256; ++block) {
      const size_t h = hash(BlockCacheKey{table, block * 4096});
      hashes.insert(h);
      top_bytes.insert(h >> (8 * sizeof(size_t) - 8));
    }
  }
  EXPECT_EQ(hashes.size(), 1024u);
  EXPECT_GT(top_bytes.size(), 200u);  // high bits vary too (1024 keys over 256 values)
  EXPECT_TRUE((BlockCacheKey{1, 2} == BlockCacheKey{1, 2}));
  EXPECT_FALSE((BlockCacheKey{1, 2} == BlockCacheKey{2, 1}));
}

TEST(BlockCache, WorksWithIncompleteBlockType) {
  BlockCache cache(1 << 20);
  EXPECT_EQ(cache.Lookup(BlockCacheKey{NewBlockCacheTableId(), 0}), nullptr);
  EXPECT_EQ(cache.counters().misses, 1u);
}

TEST(LruCache, SetCapacityEvictsDownToTheNewBudget) {
  IntCache cache(10, /*shard_bits=*/0);
  for (int i = 0; i < 10; ++i)
    cache.Insert(i, Value(i), 1);
  cache.SetCapacity(4);
  EXPECT_EQ(cache.capacity(), 4u);
  EXPECT_EQ(cache.usage(), 4u);
  EXPECT_EQ(Get(&cache, 5), -1);  // the oldest went first
  EXPECT_EQ(Get(&cache, 9), 9);
  cache.SetCapacity(0);  // a budget may leave the cache nothing
  EXPECT_EQ(cache.usage(), 0u);
  cache.SetCapacity(10);
  cache.Insert(1, Value(1), 1);
  EXPECT_EQ(Get(&cache, 1), 1);
}

TEST(LruCache, PinnedEvictionsCountUntilReleased) {
  IntCache cache(4, /*shard_bits=*/0, /*charge_pinned_evictions=*/true);
  std::shared_ptr<int> held = Value(1);
  cache.Insert(1, held, 2);
  cache.Insert(2, Value(2), 2);
  cache.Insert(3, Value(3), 2);  // evicts 1, still held: its 2 stay charged
  EXPECT_EQ(Get(&cache, 1), -1);
  EXPECT_EQ(cache.pinned_usage(), 2u);
  EXPECT_EQ(cache.usage(), 2u);  // only 3 fits next to the pinned value
  EXPECT_EQ(Get(&cache, 2), -1);
  held.reset();
  EXPECT_EQ(cache.pinned_usage(), 0u);
  cache.Insert(4, Value(4), 2);  // room again for two entries
  EXPECT_EQ(Get(&cache, 3), 3);
  EXPECT_EQ(Get(&cache, 4), 4);
}

// A value replaced (two readers filled the cache with the same block) or erased while a reader
// still holds it stays charged until released, as an evicted one does: the memory budget sees it.
TEST(LruCache, ReplacedAndErasedValuesStillHeldStayCharged) {
  IntCache cache(10, /*shard_bits=*/0, /*charge_pinned_evictions=*/true);
  std::shared_ptr<int> held = Value(1);
  cache.Insert(1, held, 4);
  cache.Insert(1, Value(10), 4);  // replaces the held value
  EXPECT_EQ(cache.usage(), 4u);
  EXPECT_EQ(cache.pinned_usage(), 4u);
  std::shared_ptr<int> held_too = Value(2);
  cache.Insert(2, held_too, 2);
  cache.Erase(2);
  EXPECT_EQ(cache.pinned_usage(), 6u);
  cache.Insert(1, Value(11), 20);  // too large to cache: the entry for 1 goes, unheld
  EXPECT_EQ(cache.usage(), 0u);
  EXPECT_EQ(cache.pinned_usage(), 6u);
  held.reset();
  held_too.reset();
  EXPECT_EQ(cache.pinned_usage(), 0u);
  // Not held: nothing stays charged.
  cache.Insert(3, Value(3), 4);
  cache.Insert(3, Value(30), 4);
  cache.Erase(3);
  EXPECT_EQ(cache.usage(), 0u);
  EXPECT_EQ(cache.pinned_usage(), 0u);
}

TEST(LruCache, UnpinnedEvictionsAreNotCharged) {
  IntCache cache(4, /*shard_bits=*/0);  // charge_pinned_evictions off
  std::shared_ptr<int> held = Value(1);
  cache.Insert(1, held, 2);
  cache.Insert(2, Value(2), 2);
  cache.Insert(3, Value(3), 2);
  EXPECT_EQ(cache.pinned_usage(), 0u);
  EXPECT_EQ(Get(&cache, 2), 2);
  EXPECT_EQ(Get(&cache, 3), 3);
}

}  // namespace
}  // namespace ziggydb

#include "memtable/skiplist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include "memtable/arena.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

// Entries are 8-byte uint64 values; searches pass a pointer to one (Target keeps it alive).
uint64_t Decode(const char* entry) {
  uint64_t value;
  std::memcpy(&value, entry, sizeof(value));
  return value;
}
struct U64Comparator {
  int operator()(const char* a, const char* b) const {
    const uint64_t x = Decode(a);
    const uint64_t y = Decode(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
};
using List = SkipList<U64Comparator>;

struct Target {
  explicit Target(uint64_t value) { std::memcpy(bytes, &value, sizeof(value)); }
  char bytes[sizeof(uint64_t)];
};

void Insert(List* list, uint64_t key) {
  list->Insert(sizeof(key), [key](char* entry) { std::memcpy(entry, &key, sizeof(key)); });
}
bool Contains(const List& list, uint64_t key) {
  return list.Contains(Target(key).bytes);
}

TEST(SkipList, EmptyListHasNoPositions) {
  Arena arena;
  List list(U64Comparator{}, &arena);
  EXPECT_FALSE(Contains(list, 10));
  List::Iterator it(&list);
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek(Target(100).bytes);
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev(Target(100).bytes);
  EXPECT_FALSE(it.Valid());
}

// Checks an iterator at `it` against the model position `pos` (end() = not valid).
void ExpectAt(const List::Iterator& it, const std::set<uint64_t>& model,
              std::set<uint64_t>::const_iterator pos) {
  if (pos == model.end()) {
    ASSERT_FALSE(it.Valid());
  } else {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(Decode(it.key()), *pos);
  }
}

TEST(SkipList, MatchesSetModelUnderRandomOperations) {
  Random rnd(test::TestSeed());
  Arena arena;
  List list(U64Comparator{}, &arena, rnd.Next64());
  std::set<uint64_t> model;
  const uint64_t ops = test::ScaledIterations(20000);
  const uint64_t key_space = 5000;  // small, so seeks hit existing keys often
  List::Iterator it(&list);
  for (uint64_t op = 0; op < ops; ++op) {
    const uint64_t key = rnd.Uniform(key_space);
    switch (rnd.Uniform(6)) {
      case 0:
      case 1:
        if (model.insert(key).second) Insert(&list, key);
        break;
      case 2: {
        it.Seek(Target(key).bytes);
        ExpectAt(it, model, model.lower_bound(key));
        break;
      }
      case 3: {
        it.SeekForPrev(Target(key).bytes);
        auto pos = model.upper_bound(key);
        ExpectAt(it, model, pos == model.begin() ? model.end() : std::prev(pos));
        break;
      }
      case 4: {
        ASSERT_EQ(Contains(list, key), model.count(key) == 1);
        break;
      }
      case 5: {  // walk a few steps either way from a random position
        it.Seek(Target(key).bytes);
        auto pos = model.lower_bound(key);
        const bool forward = rnd.OneIn(2);
        for (int step = 0; step < 8 && it.Valid(); ++step) {
          if (forward) {
            it.Next();
            ++pos;
          } else {
            it.Prev();
            pos = pos == model.begin() ? model.end() : std::prev(pos);
          }
          ExpectAt(it, model, pos);
        }
        break;
      }
    }
    if (HasFatalFailure()) return;
  }
  // Full scans both ways.
  it.SeekToFirst();
  for (uint64_t key : model) {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(Decode(it.key()), key);
    it.Next();
  }
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  for (auto pos = model.rbegin(); pos != model.rend(); ++pos) {
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(Decode(it.key()), *pos);
    it.Prev();
  }
  EXPECT_FALSE(it.Valid());
}

// One writer inserts while readers scan. Each reader first notes how many keys were published;
// all of those must then be visible, and every scan must be strictly ordered both ways.
TEST(SkipList, ConcurrentReadersSeeSortedListWithAllEarlierKeys) {
  Random rnd(test::TestSeed());
  const size_t key_count = test::ScaledIterations(20000);
  std::vector<uint64_t> keys;
  std::set<uint64_t> unique;
  while (unique.size() < key_count) {
    const uint64_t key = rnd.Next64();
    if (unique.insert(key).second) keys.push_back(key);
  }
  Arena arena;
  List list(U64Comparator{}, &arena, rnd.Next64());
  // keys[0, published) have been inserted. Release (writer) / acquire (readers): a reader that
  // reads n also sees the Insert calls for keys[0, n) as done.
  std::atomic<size_t> published{0};
  std::atomic<bool> failed{false};

  auto reader = [&] {
    uint64_t passes = 0;
    while (true) {
      const bool done = published.load(std::memory_order_acquire) == key_count;
      const size_t known = published.load(std::memory_order_acquire);
      std::vector<uint64_t> seen;
      List::Iterator it(&list);
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        if (!seen.empty() && seen.back() >= Decode(it.key())) failed = true;
        seen.push_back(Decode(it.key()));
      }
      for (size_t i = 0; i < known; ++i) {
        if (!std::binary_search(seen.begin(), seen.end(), keys[i])) failed = true;
        it.Seek(Target(keys[i]).bytes);
        if (!it.Valid() || Decode(it.key()) != keys[i]) failed = true;
      }
      // Backwards over the tail: strictly decreasing.
      it.SeekToLast();
      for (int step = 0; step < 100 && it.Valid(); ++step) {
        const uint64_t key = Decode(it.key());
        it.Prev();
        if (it.Valid() && Decode(it.key()) >= key) failed = true;
      }
      ++passes;
      if (done || failed) break;
    }
    EXPECT_GE(passes, 1u);
  };

  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i)
    readers.emplace_back(reader);
  for (size_t i = 0; i < key_count; ++i) {
    Insert(&list, keys[i]);
    published.store(i + 1, std::memory_order_release);
  }
  for (auto& t : readers)
    t.join();
  EXPECT_FALSE(failed.load());
  for (uint64_t key : keys)
    ASSERT_TRUE(Contains(list, key));
}

// Several writers insert at once (InsertConcurrently) while a reader scans: every scan is
// strictly ordered, and afterwards the list holds exactly the union of the writers' keys, in
// order, at every level (Seek finds each through the upper levels).
TEST(SkipList, ConcurrentWritersBuildTheSortedUnion) {
  const uint64_t seed = test::TestSeed();
  Random rnd(seed);
  constexpr int kWriters = 4;
  const size_t per_writer = test::ScaledIterations(5000);
  std::set<uint64_t> unique;
  std::vector<std::vector<uint64_t>> keys(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    while (keys[w].size() < per_writer) {
      // Small keys collide in the neighbourhood of other writers' keys, so links race.
      const uint64_t key = rnd.Uniform(per_writer * kWriters * 4);
      if (unique.insert(key).second) keys[w].push_back(key);
    }
  }
  Arena arena;
  List list(U64Comparator{}, &arena, rnd.Next64());
  std::atomic<int> writers_left{kWriters};
  std::atomic<bool> failed{false};

  std::thread reader([&] {
    while (true) {
      const bool done = writers_left.load(std::memory_order_acquire) == 0;
      List::Iterator it(&list);
      uint64_t previous = 0;
      bool first = true;
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        if (!first && previous >= Decode(it.key())) failed = true;
        previous = Decode(it.key());
        first = false;
      }
      if (done || failed) break;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t key : keys[w]) {
        list.InsertConcurrently(sizeof(key),
                                [key](char* entry) { std::memcpy(entry, &key, sizeof(key)); });
      }
      writers_left.fetch_sub(1, std::memory_order_release);
    });
  }
  for (auto& t : writers)
    t.join();
  reader.join();
  EXPECT_FALSE(failed.load()) << "seed " << seed;

  std::vector<uint64_t> seen;
  List::Iterator it(&list);
  for (it.SeekToFirst(); it.Valid(); it.Next())
    seen.push_back(Decode(it.key()));
  ASSERT_EQ(seen, std::vector<uint64_t>(unique.begin(), unique.end())) << "seed " << seed;
  for (uint64_t key : unique) {
    it.Seek(Target(key).bytes);
    ASSERT_TRUE(it.Valid() && Decode(it.key()) == key) << key << ", seed " << seed;
  }
  // Backwards too: Prev searches from the top levels.
  it.SeekToLast();
  for (auto key = unique.rbegin(); key != unique.rend(); ++key, it.Prev())
    ASSERT_TRUE(it.Valid() && Decode(it.key()) == *key) << "seed " << seed;
  EXPECT_FALSE(it.Valid());
}

}  // namespace
}  // namespace ziggydb

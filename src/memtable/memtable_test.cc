#include "memtable/memtable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"

namespace ziggydb {
namespace {

using std::string_literals::operator""s;

std::string IKey(std::string_view user_key, uint64_t sequence, ValueType type) {
  std::string out;
  AppendInternalKey(&out, user_key, SequenceNumber{sequence}, type);
  return out;
}

// Every test runs on a memtable without a key filter (capacity unknown) and with one.
class MemTableTest : public ::testing::TestWithParam<bool> {
 protected:
  static size_t Capacity() { return GetParam() ? size_t{1} << 20 : 0; }

  // Returns "<value>", "NOTFOUND" (deleted) or "MISSING" (no entry).
  std::string Get(std::string_view user_key, uint64_t sequence) {
    const LookupKey lookup(user_key, SequenceNumber{sequence});
    std::string value;
    Status status = Status::Corruption("untouched");
    if (!memtable_.Get(lookup, &value, &status)) {
      EXPECT_TRUE(status.IsCorruption());  // not written on a miss
      return "MISSING";
    }
    if (status.IsNotFound()) return "NOTFOUND";
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }
  void Put(uint64_t sequence, std::string_view key, std::string_view value) {
    memtable_.Add(SequenceNumber{sequence}, ValueType::kValue, key, value);
  }
  void Delete(uint64_t sequence, std::string_view key) {
    memtable_.Add(SequenceNumber{sequence}, ValueType::kDeletion, key, "");
  }

  InternalKeyComparator comparator_{BytewiseComparator()};
  MemTable memtable_{comparator_, Capacity()};
};

INSTANTIATE_TEST_SUITE_P(Filter, MemTableTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "WithFilter" : "NoFilter"; });

TEST_P(MemTableTest, FilterPresenceFollowsCapacity) {
  EXPECT_EQ(memtable_.has_filter(), GetParam());
  EXPECT_EQ(memtable_.has_index(), GetParam());
  EXPECT_EQ(memtable_.index_complete(), GetParam());
  // The filter is counted: an empty memtable with one is at least the filter's size.
  if (GetParam()) {
    EXPECT_GE(memtable_.ApproximateMemoryBytes(), MemTableFilterBytes(Capacity()));
  }
}

TEST_P(MemTableTest, StartsEmpty) {
  EXPECT_TRUE(memtable_.Empty());
  EXPECT_EQ(memtable_.NumEntries(), 0u);
  EXPECT_EQ(Get("a", kMaxSequenceNumber), "MISSING");
  auto it = memtable_.NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_P(MemTableTest, GetSeesNewestVersionAtOrBelowTheSequence) {
  Put(10, "k", "v10");
  Delete(20, "k");
  Put(30, "k", "v30");
  Put(15, "other", "o15");
  EXPECT_EQ(memtable_.NumEntries(), 4u);
  EXPECT_FALSE(memtable_.Empty());

  EXPECT_EQ(Get("k", 9), "MISSING");
  EXPECT_EQ(Get("k", 10), "v10");
  EXPECT_EQ(Get("k", 19), "v10");
  EXPECT_EQ(Get("k", 20), "NOTFOUND");
  EXPECT_EQ(Get("k", 29), "NOTFOUND");
  EXPECT_EQ(Get("k", 30), "v30");
  EXPECT_EQ(Get("k", kMaxSequenceNumber), "v30");
  EXPECT_EQ(Get("other", 14), "MISSING");
  EXPECT_EQ(Get("other", 100), "o15");
  // Neighbours and prefixes of present keys are absent.
  EXPECT_EQ(Get("", 100), "MISSING");
  EXPECT_EQ(Get("j", 100), "MISSING");
  EXPECT_EQ(Get("k\0"s, 100), "MISSING");
  EXPECT_EQ(Get("kk", 100), "MISSING");
  EXPECT_EQ(Get("z", 100), "MISSING");
}

TEST_P(MemTableTest, NewestSequenceIsTheLatestVersionOfTheKey) {
  EXPECT_EQ(memtable_.NewestSequence("k"), std::nullopt);
  Put(10, "k", "v10");
  Delete(20, "k");
  Put(15, "k\0"s, "neighbour");
  Put(16, "j", "neighbour");
  EXPECT_EQ(memtable_.NewestSequence("k"), SequenceNumber{20});  // a deletion counts
  EXPECT_EQ(memtable_.NewestSequence("k\0"s), SequenceNumber{15});
  EXPECT_EQ(memtable_.NewestSequence("kk"), std::nullopt);
  EXPECT_EQ(memtable_.NewestSequence(""), std::nullopt);
}

TEST(MemTable, KnowsTheFirstSequenceItWasCreatedFor) {
  InternalKeyComparator comparator(BytewiseComparator());
  EXPECT_EQ(MemTable(comparator).first_sequence(), SequenceNumber{0});
  MemTable memtable(comparator, 0, SequenceNumber{42});
  EXPECT_EQ(memtable.first_sequence(), SequenceNumber{42});
  memtable.Add(SequenceNumber{42}, ValueType::kValue, "k", "v");
  EXPECT_EQ(memtable.first_sequence(), SequenceNumber{42});
}

TEST_P(MemTableTest, IteratorOrdersVersionsNewestFirst) {
  Put(3, "b", "b3");
  Put(1, "a", "a1");
  Put(7, "b", "b7");
  Delete(5, "b");
  Put(2, "c", "c2");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {IKey("a", 1, ValueType::kValue), "a1"},  {IKey("b", 7, ValueType::kValue), "b7"},
      {IKey("b", 5, ValueType::kDeletion), ""}, {IKey("b", 3, ValueType::kValue), "b3"},
      {IKey("c", 2, ValueType::kValue), "c2"},
  };
  auto it = memtable_.NewIterator();
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
    ASSERT_LT(i, expected.size());
    EXPECT_EQ(it->key(), expected[i].first) << i;
    EXPECT_EQ(it->value(), expected[i].second) << i;
  }
  EXPECT_EQ(i, expected.size());
  for (it->SeekToLast(); it->Valid(); it->Prev())
    EXPECT_EQ(it->key(), expected[--i].first) << i;
  EXPECT_EQ(i, 0u);

  // Seek to (b, 6) lands on the newest version at or below 6; SeekForPrev on the last <= it.
  it->Seek(IKey("b", 6, kValueTypeForSeek));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("b", 5, ValueType::kDeletion));
  it->SeekForPrev(IKey("b", 6, kValueTypeForSeek));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("b", 7, ValueType::kValue));
  it->SeekForPrev(IKey("a", 0, ValueType::kDeletion));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("a", 1, ValueType::kValue));
  it->SeekForPrev(IKey("a", 2, ValueType::kValue));  // before everything
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("c", 1, ValueType::kValue));  // after everything
  EXPECT_FALSE(it->Valid());
}

// The iterator encodes a seek target inline when it is short and on the heap when not: seeks of
// both kinds, alternating on one iterator, land on their keys.
TEST_P(MemTableTest, IteratorSeeksShortAndLongTargets) {
  std::vector<std::string> user_keys;
  for (const size_t bytes : {1, 40, 54, 55, 56, 57, 64, 200, 5000})
    user_keys.push_back(std::string(bytes, 'k') + std::to_string(bytes));
  uint64_t sequence = 1;
  for (const std::string& key : user_keys)
    Put(sequence++, key, "v" + key);
  auto it = memtable_.NewIterator();
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < user_keys.size(); ++i) {
      const std::string& key = user_keys[round == 0 ? i : user_keys.size() - 1 - i];
      it->Seek(IKey(key, 100, kValueTypeForSeek));
      ASSERT_TRUE(it->Valid()) << key.size();
      EXPECT_EQ(ExtractUserKey(it->key()), key);
      EXPECT_EQ(it->value(), "v" + key);
    }
  }
}

TEST_P(MemTableTest, KeysWithNulAndFfBytesAndLargeValues) {
  const std::string nul_key = "a\0b"s;
  const std::string ff_key = "\xff\xff"s;
  const std::string empty_key;
  const std::string big_value(100000, '\x00');
  Put(1, nul_key, "nul");
  Put(2, ff_key, big_value);
  Put(3, empty_key, "empty");
  Put(4, "a"s, "\0\xff"s);
  EXPECT_EQ(Get(nul_key, 5), "nul");
  EXPECT_EQ(Get(ff_key, 5), big_value);
  EXPECT_EQ(Get(empty_key, 5), "empty");
  EXPECT_EQ(Get("a", 5), "\0\xff"s);
  EXPECT_EQ(Get("a\0"s, 5), "MISSING");
  EXPECT_EQ(Get("\xff"s, 5), "MISSING");
  std::vector<std::string> user_keys;
  auto it = memtable_.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next())
    user_keys.emplace_back(ExtractUserKey(it->key()));
  EXPECT_EQ(user_keys, (std::vector<std::string>{empty_key, "a", nul_key, ff_key}));
  EXPECT_GE(memtable_.ApproximateMemoryBytes(), big_value.size());
}

// Random versions against a std::map model keyed by (user key, sequence).
TEST_P(MemTableTest, MatchesModelForRandomVersions) {
  Random rnd(test::TestSeed());
  std::map<std::pair<std::string, uint64_t>, std::pair<ValueType, std::string>> model;
  const uint64_t n = test::ScaledIterations(3000);
  size_t previous_bytes = memtable_.ApproximateMemoryBytes();
  for (uint64_t sequence = 1; sequence <= n; ++sequence) {
    const std::string key = rnd.Bytes(rnd.Uniform(3));  // tiny key space: many versions
    if (rnd.OneIn(4)) {
      Delete(sequence, key);
      model[{key, sequence}] = {ValueType::kDeletion, ""};
    } else {
      const std::string value = rnd.Bytes(rnd.Skewed(8));
      Put(sequence, key, value);
      model[{key, sequence}] = {ValueType::kValue, value};
    }
    ASSERT_GE(memtable_.ApproximateMemoryBytes(), previous_bytes);
    previous_bytes = memtable_.ApproximateMemoryBytes();
  }
  ASSERT_EQ(memtable_.NumEntries(), n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string key = rnd.Bytes(rnd.Uniform(3));
    const uint64_t at = rnd.Uniform(n + 2);
    std::string expected = "MISSING";
    for (auto& [entry, what] : model) {  // newest version <= at
      if (entry.first == key && entry.second <= at)
        expected = what.first == ValueType::kDeletion ? "NOTFOUND" : what.second;
    }
    ASSERT_EQ(Get(key, at), expected) << "at " << at;
  }
  // The lookups above went through the index, not the list search it falls back to.
  EXPECT_EQ(memtable_.index_complete(), GetParam());
}

// Seek lands where a binary search of every entry lands, for targets of present and absent user
// keys at every sequence: with the index (a present key: from its newest entry, over at most
// kMaxIndexSeekSteps newer versions) and without it (the list search).
TEST_P(MemTableTest, SeekLandsOnTheFirstEntryAtOrAfterTheTarget) {
  Random rnd(test::TestSeed());
  std::vector<std::string> entries;  // internal keys, sorted below
  const uint64_t n = test::ScaledIterations(2000);
  for (uint64_t sequence = 1; sequence <= n; ++sequence) {
    // A few keys with dozens of versions (more than kMaxIndexSeekSteps), most with one or two.
    const std::string key = rnd.OneIn(2) ? rnd.Bytes(1) : rnd.Bytes(2 + rnd.Uniform(2));
    const ValueType type = rnd.OneIn(4) ? ValueType::kDeletion : ValueType::kValue;
    memtable_.Add(SequenceNumber{sequence}, type, key, type == ValueType::kValue ? "v" : "");
    entries.push_back(IKey(key, sequence, type));
  }
  const auto before = [this](const std::string& a, const std::string& b) {
    return comparator_.Compare(a, b) < 0;
  };
  std::sort(entries.begin(), entries.end(), before);
  auto it = memtable_.NewIterator();
  for (uint64_t i = 0; i < n; ++i) {
    const std::string user_key = rnd.OneIn(2) ? rnd.Bytes(1) : rnd.Bytes(2 + rnd.Uniform(2));
    const uint64_t sequence = rnd.OneIn(8) ? kMaxSequenceNumber : rnd.Uniform(n + 2);
    const std::string target =
        IKey(user_key, sequence, rnd.OneIn(2) ? ValueType::kDeletion : kValueTypeForSeek);
    const auto expected = std::lower_bound(entries.begin(), entries.end(), target, before);
    it->Seek(target);
    if (expected == entries.end()) {
      ASSERT_FALSE(it->Valid()) << i;
      continue;
    }
    ASSERT_TRUE(it->Valid()) << i;
    ASSERT_EQ(it->key(), *expected) << i;
    if (expected + 1 != entries.end()) {  // the position continues as the list's
      it->Next();
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->key(), *(expected + 1)) << i;
    }
  }
  EXPECT_EQ(memtable_.index_complete(), GetParam());
}

// Readers call Get and scan while the writer adds; a key added before a reader looked must be
// found with its value.
TEST_P(MemTableTest, ConcurrentGetsSeeEveryEarlierAdd) {
  const uint64_t n = test::ScaledIterations(5000);
  std::atomic<uint64_t> published{0};  // release (writer) / acquire (readers)
  std::atomic<bool> failed{false};
  auto reader = [&] {
    while (true) {
      const uint64_t known = published.load(std::memory_order_acquire);
      for (uint64_t i = (known > 50 ? known - 50 : 0); i < known; ++i) {
        const std::string key = "key" + std::to_string(i);
        if (Get(key, kMaxSequenceNumber) != "value" + std::to_string(i)) failed = true;
      }
      auto it = memtable_.NewIterator();
      uint64_t entries = 0;
      std::string previous;
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++entries) {
        if (!previous.empty() && comparator_.Compare(previous, it->key()) >= 0) failed = true;
        previous.assign(it->key());
      }
      if (entries < known) failed = true;
      if (known == n || failed) break;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i)
    readers.emplace_back(reader);
  for (uint64_t i = 0; i < n; ++i) {
    Put(i + 1, "key" + std::to_string(i), "value" + std::to_string(i));
    published.store(i + 1, std::memory_order_release);
  }
  for (auto& t : readers)
    t.join();
  EXPECT_FALSE(failed.load());
}

// Several writers add at once (AddConcurrently), some versions of the same keys: every version
// is found at its own sequence, the filter has no false negative, and the count is exact.
TEST_P(MemTableTest, ConcurrentAddsKeepEveryVersion) {
  constexpr uint64_t kWriters = 3;
  const uint64_t per_writer = test::ScaledIterations(3000);
  std::vector<std::thread> writers;
  for (uint64_t w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t i = 0; i < per_writer; ++i) {
        // Writer w gives key i its version w: sequences are distinct across writers.
        const uint64_t sequence = 1 + i * kWriters + w;
        memtable_.AddConcurrently(SequenceNumber{sequence}, ValueType::kValue,
                                  "key" + std::to_string(i), "v" + std::to_string(sequence));
      }
    });
  }
  for (auto& t : writers)
    t.join();
  EXPECT_EQ(memtable_.NumEntries(), kWriters * per_writer);
  for (uint64_t i = 0; i < per_writer; ++i) {
    for (uint64_t w = 0; w < kWriters; ++w) {
      const uint64_t sequence = 1 + i * kWriters + w;
      ASSERT_EQ(Get("key" + std::to_string(i), sequence), "v" + std::to_string(sequence));
    }
    // The index kept the newest of the versions that raced for the key's slot.
    ASSERT_EQ(memtable_.NewestSequence("key" + std::to_string(i)),
              SequenceNumber{1 + i * kWriters + kWriters - 1});
  }
  EXPECT_EQ(memtable_.index_complete(), GetParam());
  auto it = memtable_.NewIterator();
  uint64_t entries = 0;
  std::string previous;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++entries) {
    ASSERT_TRUE(previous.empty() || comparator_.Compare(previous, it->key()) < 0);
    previous.assign(it->key());
  }
  EXPECT_EQ(entries, kWriters * per_writer);
}

// Writers add versions of a few keys at once while readers look them up: once a reader knows a
// version was added (published after its Add returned), Get and NewestSequence return it or a
// newer one (the index's slot for a key only ever moves to newer entries), and a seek at its
// sequence lands on it.
TEST_P(MemTableTest, ConcurrentReadersSeeTheNewestVersionWhileWritersAdd) {
  constexpr uint64_t kWriters = 2;
  constexpr uint64_t kKeys = 16;
  const uint64_t per_writer = test::ScaledIterations(4000);
  std::atomic<uint64_t> latest[kKeys] = {};  // the newest published sequence of each key
  std::atomic<bool> writing{true};
  std::atomic<bool> failed{false};
  auto key_of = [](uint64_t k) { return "key" + std::to_string(k); };
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      const auto it = memtable_.NewIterator();
      while (writing.load() && !failed.load()) {
        for (uint64_t k = 0; k < kKeys; ++k) {
          const uint64_t known = latest[k].load(std::memory_order_acquire);
          if (known == 0) continue;
          const std::string value = Get(key_of(k), kMaxSequenceNumber);
          const std::optional<SequenceNumber> newest = memtable_.NewestSequence(key_of(k));
          if (value == "MISSING" || std::stoull(value.substr(1)) < known || !newest ||
              raw(*newest) < known) {
            failed = true;
          }
          // A seek at the published sequence lands on exactly that version (through the index,
          // from a newer version the writers added since, or by the list search).
          it->Seek(IKey(key_of(k), known, kValueTypeForSeek));
          if (!it->Valid() || it->key() != IKey(key_of(k), known, ValueType::kValue)) {
            failed = true;
          }
        }
      }
    });
  }
  std::vector<std::thread> writers;
  for (uint64_t w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t i = 0; i < per_writer; ++i) {
        const uint64_t k = i % kKeys;
        const uint64_t sequence = 1 + i * kWriters + w;
        memtable_.AddConcurrently(SequenceNumber{sequence}, ValueType::kValue, key_of(k),
                                  "v" + std::to_string(sequence));
        uint64_t seen = latest[k].load(std::memory_order_relaxed);
        while (seen < sequence &&
               !latest[k].compare_exchange_weak(seen, sequence, std::memory_order_release)) {
        }
      }
    });
  }
  for (auto& t : writers)
    t.join();
  writing = false;
  for (auto& t : threads)
    t.join();
  EXPECT_FALSE(failed.load());
  for (uint64_t k = 0; k < kKeys; ++k)
    EXPECT_EQ(memtable_.NewestSequence(key_of(k)), SequenceNumber{latest[k].load()});
}

// A memtable holding far more keys than its index has slots: the index gives up (it cannot
// probe past kMaxProbes) and every lookup searches the list, still exact.
TEST(MemTableIndex, AnIndexThatOverflowsFallsBackToTheList) {
  const InternalKeyComparator comparator(BytewiseComparator());
  // The smallest index (kMinSlots) and several times as many keys, each in three versions.
  MemTable memtable(comparator, MemTableIndex::kMinSlots * 96);
  ASSERT_TRUE(memtable.index_complete());
  constexpr uint64_t kKeys = MemTableIndex::kMinSlots * 4;
  for (uint64_t version = 0; version < 3; ++version) {
    for (uint64_t i = 0; i < kKeys; ++i) {
      const uint64_t sequence = 1 + version * kKeys + i;
      memtable.Add(SequenceNumber{sequence}, ValueType::kValue, "key" + std::to_string(i),
                   "v" + std::to_string(sequence));
    }
  }
  EXPECT_FALSE(memtable.index_complete());
  for (uint64_t i = 0; i < kKeys; ++i) {
    for (uint64_t version = 0; version < 3; ++version) {
      const uint64_t sequence = 1 + version * kKeys + i;
      std::string value;
      Status status;
      ASSERT_TRUE(memtable.Get(LookupKey("key" + std::to_string(i), SequenceNumber{sequence}),
                               &value, &status));
      EXPECT_EQ(value, "v" + std::to_string(sequence));
    }
    EXPECT_EQ(memtable.NewestSequence("key" + std::to_string(i)),
              SequenceNumber{1 + 2 * kKeys + i});
  }
  std::string value;
  Status status;
  EXPECT_FALSE(
      memtable.Get(LookupKey("absent", SequenceNumber{kMaxSequenceNumber}), &value, &status));
}

// Many keys with the filter: every added key is still found (no false negatives), and most
// absent keys are ruled out without a search (checked through the filter itself).
TEST(MemTableFilter, NoFalseNegativesAndFewFalsePositives) {
  const uint64_t n = test::ScaledIterations(20000);
  MemTableFilter filter(MemTableFilterBytes(n * 150));  // ~150 bytes per entry, as in a DB
  for (uint64_t i = 0; i < n; ++i)
    filter.Add(MemTableFilter::HashKey("key" + std::to_string(i)));
  for (uint64_t i = 0; i < n; ++i)
    ASSERT_TRUE(filter.MayContain(MemTableFilter::HashKey("key" + std::to_string(i)))) << i;
  uint64_t false_positives = 0;
  for (uint64_t i = 0; i < n; ++i)
    false_positives += filter.MayContain(MemTableFilter::HashKey("absent" + std::to_string(i)));
  // ~18 bits per key in one cache line with 6 probes: well under 1%; 2% leaves slack for
  // small (scaled-down) runs where the 4 KiB minimum dominates anyway.
  EXPECT_LT(false_positives, n / 50 + 1) << "of " << n;
}

// A user comparator other than BytewiseComparator() goes through the comparator (no inline
// fast path): reverse byte order.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return BytewiseComparator()->Compare(b, a);
  }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(MemTableCustomComparator, OrdersAndFindsByTheUserComparator) {
  ReverseComparator reverse;
  InternalKeyComparator comparator(&reverse);
  MemTable memtable(comparator, size_t{1} << 20);
  EXPECT_FALSE(memtable.has_index());  // it takes equal bytes for equal keys: bytewise only
  memtable.Add(SequenceNumber{1}, ValueType::kValue, "a", "a1");
  memtable.Add(SequenceNumber{2}, ValueType::kValue, "c", "c2");
  memtable.Add(SequenceNumber{3}, ValueType::kValue, "b", "b3");
  memtable.Add(SequenceNumber{4}, ValueType::kValue, "a", "a4");
  std::vector<std::string> keys;
  auto it = memtable.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next())
    keys.push_back(std::string(ExtractUserKey(it->key())) +
                   std::to_string(ExtractTag(it->key()) >> 8));
  EXPECT_EQ(keys, (std::vector<std::string>{"c2", "b3", "a4", "a1"}));
  std::string value;
  Status status;
  ASSERT_TRUE(memtable.Get(LookupKey("a", SequenceNumber{3}), &value, &status));
  EXPECT_EQ(value, "a1");
  ASSERT_TRUE(memtable.Get(LookupKey("a", SequenceNumber{9}), &value, &status));
  EXPECT_EQ(value, "a4");
  EXPECT_FALSE(memtable.Get(LookupKey("d", SequenceNumber{9}), &value, &status));
}

}  // namespace
}  // namespace ziggydb

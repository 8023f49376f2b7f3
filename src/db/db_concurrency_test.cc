// Concurrency tests at the DB level: readers (iterators forward and backward, with and without
// snapshots and bounds, and Gets) run while two writers commit atomic batches and flushes and
// compactions run constantly; several writers' acknowledged writes are visible at once; and writes
// under an L0 slowdown are delayed, never lost, and never push L0 past the stop trigger. Bounded by
// iteration counts (ScaledIterations), never by time. Also the core of the TSan stage of `make
// test` (docs/design/testing.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "db/db_test_util.h"
#include "db/version_set.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "util/random.h"

namespace ziggydb::test {
namespace {

constexpr int kWriters = 2;
// Keys per writer; every batch of writer w sets all of them to the same generation.
constexpr int kKeysPerWriter = 40;
constexpr size_t kFillerBytes = 160;

std::string GroupPrefix(int writer) {
  return "w" + std::to_string(writer) + "/";
}
std::string GroupKey(int writer, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "w%d/k%03d", writer, i);
  return buf;
}
// "<generation, 8 digits>:<key>:<filler>": the key inside catches a value returned for the wrong
// key; the filler makes memtables fill, so flushes and compactions come often.
std::string GroupValue(int writer, int i, uint64_t generation) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08llu", static_cast<unsigned long long>(generation));
  return std::string(buf) + ":" + GroupKey(writer, i) + ":" + std::string(kFillerBytes, 'f');
}
// The generation in a value, or nullopt if the value is not GroupValue(writer, i, *).
std::optional<uint64_t> ParseGeneration(std::string_view value, int writer, int i) {
  if (value.size() < 9 || value[8] != ':') return std::nullopt;
  const uint64_t generation = std::strtoull(std::string(value.substr(0, 8)).c_str(), nullptr, 10);
  if (value != GroupValue(writer, i, generation)) return std::nullopt;
  return generation;
}

// Collects the first failure of any thread (gtest assertions are not meant for side threads'
// control flow: a thread records and stops, the main thread reports).
class Failures {
 public:
  void Add(const std::string& what) {
    MutexLock guard(&mu_);
    if (count_++ == 0) first_ = what;
  }
  int count() const {
    MutexLock guard(&mu_);
    return count_;
  }
  std::string first() const {
    MutexLock guard(&mu_);
    return first_;
  }

 private:
  mutable Mutex mu_;
  int count_ GUARDED_BY(mu_) = 0;
  std::string first_ GUARDED_BY(mu_);
};

class DBConcurrencyTest : public DBTest {
 protected:
  DBConcurrencyTest() {
    // Small everything: the memtable fills every few batches, L0 compacts at two tables, and the
    // tiny level targets keep compactions going between levels.
    options_.target_file_size = uint64_t{64} << 10;
    options_.max_bytes_for_level_base = uint64_t{64} << 10;
    options_.l0_compaction_trigger = 2;
    options_.l0_slowdown_trigger = 8;
    options_.l0_stop_trigger = 12;
    options_.block_size = 1024;
  }
};

// One reader thread's view: the generation it last saw for each writer's group, which must never
// go backward (every read starts after the previous one ended).
class Reader {
 public:
  Reader(DB* db, Failures* failures, uint64_t seed) : db_(db), failures_(failures), rnd_(seed) {}

  // One read of the kind `round` selects.
  void ReadOnce(uint64_t round) {
    switch (round % 6) {
      case 0:
        ScanCheck(ReadOptions(), /*forward=*/true, "forward scan");
        break;
      case 1:
        ScanCheck(ReadOptions(), /*forward=*/false, "reverse scan");
        break;
      case 2:
        SnapshotCheck();
        break;
      case 3:
        BoundedCheck(rnd_.OneIn(2));
        break;
      case 4:
        GetCheck();
        break;
      case 5:
        FlipCheck();
        break;
    }
  }

 private:
  using Entries = std::vector<std::pair<std::string, std::string>>;

  Entries Scan(const ReadOptions& options, bool forward, std::string_view what) {
    Entries out;
    auto iter = db_->NewIterator(options);
    if (forward) {
      for (iter->SeekToFirst(); iter->Valid(); iter->Next())
        out.emplace_back(iter->key(), iter->value());
    } else {
      for (iter->SeekToLast(); iter->Valid(); iter->Prev())
        out.emplace_back(iter->key(), iter->value());
      std::reverse(out.begin(), out.end());
    }
    if (!iter->status().ok()) Fail(what, "status " + iter->status().ToString());
    return out;
  }

  // Checks that `entries` (ascending) hold keys [first, first + count) of writer's group, all
  // of one generation, not older than the last one seen; returns that generation.
  std::optional<uint64_t> CheckGroup(const Entries& entries, size_t begin, int writer, int first,
                                     int count, std::string_view what) {
    if (entries.size() < begin + count) {
      Fail(what, "only " + std::to_string(entries.size() - begin) + " keys of group " +
                     std::to_string(writer));
      return std::nullopt;
    }
    std::optional<uint64_t> generation;
    for (int j = 0; j < count; ++j) {
      const auto& [key, value] = entries[begin + j];
      if (key != GroupKey(writer, first + j)) {
        Fail(what, "key " + key + " where " + GroupKey(writer, first + j) + " belongs");
        return std::nullopt;
      }
      const std::optional<uint64_t> g = ParseGeneration(value, writer, first + j);
      if (!g || (generation && *g != *generation)) {
        Fail(what, "torn batch: " + key + " = " + value.substr(0, 8));
        return std::nullopt;
      }
      generation = g;
    }
    if (*generation < last_seen_[writer]) {
      Fail(what, "generation went back from " + std::to_string(last_seen_[writer]) + " to " +
                     std::to_string(*generation));
    }
    last_seen_[writer] = std::max(last_seen_[writer], *generation);
    return generation;
  }

  void ScanCheck(const ReadOptions& options, bool forward, std::string_view what) {
    const Entries entries = Scan(options, forward, what);
    if (entries.size() != kWriters * kKeysPerWriter) {
      Fail(what, std::to_string(entries.size()) + " keys");
      return;
    }
    for (int w = 0; w < kWriters; ++w)
      CheckGroup(entries, w * kKeysPerWriter, w, 0, kKeysPerWriter, what);
  }

  // A snapshot read twice, by iterators in both directions and by Gets, yields one state.
  void SnapshotCheck() {
    ManagedSnapshot snapshot(db_);
    ReadOptions options;
    options.snapshot = snapshot.snapshot();
    const Entries first = Scan(options, true, "snapshot scan");
    ScanCheck(options, false, "snapshot reverse scan");
    if (Scan(options, false, "snapshot rescan") != first) {
      Fail("snapshot", "two scans of one snapshot differ");
    }
    for (const auto& [key, value] : first) {
      std::string got;
      Status s = db_->Get(options, key, &got);
      if (!s.ok() || got != value) Fail("snapshot Get", key + ": " + s.ToString());
    }
  }

  // Bounds inside one group: exactly the keys within them, of one generation.
  void BoundedCheck(bool forward) {
    const int w = static_cast<int>(rnd_.Uniform(kWriters));
    const int first = static_cast<int>(rnd_.Uniform(kKeysPerWriter));
    const int end = first + static_cast<int>(rnd_.Uniform(kKeysPerWriter - first + 1));
    const std::string lower = GroupKey(w, first);
    const std::string upper = end == kKeysPerWriter ? GroupPrefix(w) + "z" : GroupKey(w, end);
    ReadOptions options;
    options.iterate_lower_bound = lower;
    options.iterate_upper_bound = upper;
    const Entries entries = Scan(options, forward, "bounded scan");
    if (entries.size() != static_cast<size_t>(end - first)) {
      Fail("bounded scan", std::to_string(entries.size()) + " keys in [" + lower + ", " + upper +
                               "), expected " + std::to_string(end - first));
      return;
    }
    if (end > first) CheckGroup(entries, 0, w, first, end - first, "bounded scan");
  }

  // Gets one after another: each sees a state at least as new as the one before.
  void GetCheck() {
    const int w = static_cast<int>(rnd_.Uniform(kWriters));
    for (int i = 0; i < kKeysPerWriter; ++i) {
      std::string value;
      Status s = db_->Get(ReadOptions(), GroupKey(w, i), &value);
      const std::optional<uint64_t> g = s.ok() ? ParseGeneration(value, w, i) : std::nullopt;
      if (!g) {
        Fail("Get", GroupKey(w, i) + ": " + s.ToString());
        return;
      }
      if (*g < last_seen_[w]) Fail("Get", "generation went back at " + GroupKey(w, i));
      last_seen_[w] = std::max(last_seen_[w], *g);
    }
  }

  // Seek into a group, then Next/Prev flips: every key visited holds the generation of the first.
  void FlipCheck() {
    const int w = static_cast<int>(rnd_.Uniform(kWriters));
    const int start = 1 + static_cast<int>(rnd_.Uniform(kKeysPerWriter - 2));
    auto iter = db_->NewIterator(ReadOptions());
    iter->Seek(GroupKey(w, start));
    std::optional<uint64_t> generation;
    int at = start;
    for (int step = 0; step < 12; ++step) {
      if (!iter->Valid() || iter->key() != GroupKey(w, at)) {
        Fail("flip", "lost its place at " + GroupKey(w, at));
        return;
      }
      const std::optional<uint64_t> g = ParseGeneration(iter->value(), w, at);
      if (!g || (generation && *g != *generation)) {
        Fail("flip", "generation changed within one iterator at " + GroupKey(w, at));
        return;
      }
      generation = g;
      // Stay inside the group: Prev at its end, Next at its start, else at random.
      const bool next = at == 0 || (at < kKeysPerWriter - 1 && rnd_.OneIn(2));
      if (next) {
        iter->Next();
        ++at;
      } else {
        iter->Prev();
        --at;
      }
    }
    if (!iter->status().ok()) Fail("flip", iter->status().ToString());
  }

  void Fail(std::string_view what, const std::string& detail) {
    failures_->Add(std::string(what) + ": " + detail);
  }

  DB* const db_;
  Failures* const failures_;
  Random rnd_;
  uint64_t last_seen_[kWriters] = {};
};

TEST_F(DBConcurrencyTest, ReadersSeeAtomicBatchesAndNeverGoBackward) {
  const uint64_t seed = TestSeed();
  Open();
  Failures failures;
  auto write_generation = [&](int w, uint64_t generation) {
    WriteBatch batch;
    for (int i = 0; i < kKeysPerWriter; ++i)
      batch.Put(GroupKey(w, i), GroupValue(w, i, generation));
    return db_->Write(WriteOptions(), batch);
  };
  for (int w = 0; w < kWriters; ++w)
    ASSERT_TRUE(write_generation(w, 0).ok());

  const uint64_t generations = ScaledIterations(600);
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t g = 1; g <= generations; ++g) {
        Status s = write_generation(w, g);
        if (!s.ok()) {
          failures.Add("write: " + s.ToString());
          break;
        }
      }
      writers_done.fetch_add(1);
    });
  }
  // Explicit flushes and full compactions on top of the automatic ones.
  threads.emplace_back([&] {
    for (int round = 0; writers_done.load() < kWriters && round < 1000; ++round) {
      Status s = round % 4 == 3 ? db_->CompactRange(std::nullopt, std::nullopt) : db_->Flush();
      if (!s.ok()) {
        failures.Add("flush/compact: " + s.ToString());
        break;
      }
    }
  });
  constexpr int kReaders = 2;
  std::vector<std::unique_ptr<Reader>> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.push_back(std::make_unique<Reader>(db_.get(), &failures, seed + r));
  }
  // Readers go on until the writers finish, and make at least one read of every kind.
  constexpr uint64_t kMinReads = 12;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      for (uint64_t round = 0; round < kMinReads || writers_done.load() < kWriters; ++round) {
        readers[r]->ReadOnce(round + r);
        if (failures.count() > 0) break;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.count(), 0) << "first failure: " << failures.first();
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kKeysPerWriter; ++i)
      ASSERT_EQ(Get(GroupKey(w, i)), GroupValue(w, i, generations));
  }
}

// Several threads write small non-sync batches at once, so groups of several batches form and
// their members insert into the memtable in parallel (commit_pipeline.h, invariant 5): each
// write is visible to its own thread as soon as it returns, and in the end every write is there.
TEST_F(DBConcurrencyTest, ParallelMemtableInsertsAreVisibleWhenAcknowledged) {
  Open();
  Failures failures;
  constexpr int kThreads = 4;
  const uint64_t writes = ScaledIterations(1500);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < writes && failures.count() == 0; ++i) {
        const std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        WriteBatch batch;
        batch.Put(key, "v" + std::to_string(i));
        if (i % 3 == 0) batch.Put(key + "+", "second");  // batches of several records too
        Status s = db_->Write(WriteOptions(), batch);
        if (!s.ok()) {
          failures.Add("write: " + s.ToString());
          break;
        }
        std::string value;
        s = db_->Get(ReadOptions(), key, &value);
        if (!s.ok() || value != "v" + std::to_string(i)) {
          failures.Add("own write not visible: " + key + " " + s.ToString());
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  ASSERT_EQ(failures.count(), 0) << "first failure: " << failures.first();
  for (int t = 0; t < kThreads; ++t) {
    for (uint64_t i = 0; i < writes; ++i) {
      const std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
      ASSERT_EQ(Get(key), "v" + std::to_string(i));
      if (i % 3 == 0) {
        ASSERT_EQ(Get(key + "+"), "second");
      }
    }
  }
}

// Snapshot consistency under pipelined commits (commit_pipeline.h, invariants 6 and 7): writer t
// sets key "s/t" to 0, 1, 2, ... (one record per write, each acknowledged before the next), so a
// snapshot at sequence S must show values whose counts add up to exactly S - S0 (S0: the sequence
// before the writers started). A sequence published while a lower one is still missing from the
// memtable shows an older value there, and the sum falls short. The readers' Gets follow the
// snapshot within microseconds, inside the window of a group still inserting; the values' filler
// makes the memtable switch every few hundred writes (the switch waits for those groups).
TEST_F(DBConcurrencyTest, SnapshotsNeverSeeASequenceWithoutEveryLowerOne) {
  Open();
  Failures failures;
  constexpr int kThreads = 3;
  constexpr int kReaders = 2;
  const uint64_t writes = ScaledIterations(6000);
  const auto key_of = [](int t) { return "s/" + std::to_string(t); };
  const Snapshot* const start = db_->GetSnapshot();
  std::atomic<int> writers_running{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < writes && failures.count() == 0; ++i) {
        Status s =
            db_->Put(WriteOptions(), key_of(t), std::to_string(i) + ":" + std::string(100, 'f'));
        if (!s.ok()) failures.Add("write: " + s.ToString());
      }
      writers_running.fetch_sub(1);
    });
  }
  std::atomic<uint64_t> checks{0};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      while (writers_running.load() > 0 && failures.count() == 0) {
        const Snapshot* snapshot = db_->GetSnapshot();
        ReadOptions options;
        options.snapshot = snapshot;
        uint64_t records = 0;  // the writes of every writer the snapshot shows
        for (int t = 0; t < kThreads; ++t) {
          std::string value;
          const Status s = db_->Get(options, key_of(t), &value);
          if (s.ok()) {
            records += std::strtoull(value.c_str(), nullptr, 10) + 1;
          } else if (!s.IsNotFound()) {
            failures.Add("get: " + s.ToString());
          }
        }
        const uint64_t expected = snapshot->sequence() - start->sequence();
        if (records != expected) {
          failures.Add("snapshot at " + std::to_string(snapshot->sequence()) + " shows " +
                       std::to_string(records) + " writes, expected " + std::to_string(expected));
        }
        db_->ReleaseSnapshot(snapshot);
        checks.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  ASSERT_EQ(failures.count(), 0) << "first failure: " << failures.first();
  const Snapshot* const end = db_->GetSnapshot();
  EXPECT_EQ(end->sequence() - start->sequence(), kThreads * writes);
  EXPECT_GT(checks.load(), 0u);
  db_->ReleaseSnapshot(end);
  db_->ReleaseSnapshot(start);
}

// The user batches `cause` slowed or stopped so far.
uint64_t StallWrites(DB* db, WriteStallCause cause) {
  return static_cast<DBImpl*>(db)->GetStats().stall_writes[static_cast<size_t>(cause)];
}

// Under an L0 slowdown, writes are delayed (and counted as such), all of them complete, and L0
// never holds more tables than the stop trigger.
TEST_F(DBConcurrencyTest, SlowdownDelaysWritesButLosesNoneAndL0StaysUnderTheStop) {
  const uint64_t seed = TestSeed();
  options_.l0_compaction_trigger = 2;
  options_.l0_slowdown_trigger = 3;
  options_.l0_stop_trigger = 6;
  options_.max_bytes_for_level_base = uint64_t{256} << 10;
  options_.delayed_write_bytes_per_sec = uint64_t{4} << 20;
  Open();
  ASSERT_EQ(StallWrites(db_.get(), WriteStallCause::kL0Slowdown), 0u);
  // Two writers; each keeps writing until the slowdown has been seen, within a bounded volume.
  const uint64_t max_puts = ScaledIterations(8000);
  constexpr int kKeySpace = 4000;
  std::atomic<int> max_l0{0};
  Failures failures;
  std::vector<std::vector<std::string>> last_values(kWriters, std::vector<std::string>(kKeySpace));
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Random rnd(seed + w);
      for (uint64_t i = 0; i < max_puts; ++i) {
        const int k = static_cast<int>(rnd.Uniform(kKeySpace));
        const std::string key = "s" + std::to_string(w) + "/" + std::to_string(k);
        std::string value = std::to_string(i) + ":" + rnd.Bytes(400);
        Status s = db_->Put(WriteOptions(), key, value);
        if (!s.ok()) {
          failures.Add("put: " + s.ToString());
          return;
        }
        last_values[w][k] = std::move(value);
        if (i % 16 == 0) {
          std::string files;
          if (db_->GetProperty("ziggydb.num-files-at-level0", &files)) {
            const int l0 = std::stoi(files);
            int seen = max_l0.load();
            while (l0 > seen && !max_l0.compare_exchange_weak(seen, l0)) {
            }
          }
          // Enough once the slowdown has delayed writes and several memtables were written.
          if (i >= 2000 && StallWrites(db_.get(), WriteStallCause::kL0Slowdown) > 0) return;
        }
      }
    });
  }
  for (auto& writer : writers)
    writer.join();
  ASSERT_EQ(failures.count(), 0) << failures.first();
  EXPECT_LE(max_l0.load(), options_.l0_stop_trigger);
  const DBStats stats = DbStats();
  const auto slowdown = static_cast<size_t>(WriteStallCause::kL0Slowdown);
  EXPECT_GT(stats.stall_writes[slowdown], 0u);
  EXPECT_GT(stats.TotalStallMicros(), 0u);
  EXPECT_GE(NumericProperty("ziggydb.stall-micros"), stats.TotalStallMicros());
  EXPECT_LE(FilesAtLevel(0), options_.l0_stop_trigger);
  // Every write completed: the last value of each key written is there, also after a reopen.
  for (int pass = 0; pass < 2; ++pass) {
    for (int w = 0; w < kWriters; ++w) {
      for (int k = 0; k < kKeySpace; ++k) {
        const std::string key = "s" + std::to_string(w) + "/" + std::to_string(k);
        const std::string& expected = last_values[w][k];
        ASSERT_EQ(Get(key), expected.empty() ? "NOT_FOUND" : expected) << key;
      }
    }
    Reopen();
  }
}

// Readers seeking from several threads share one Version's seek count: exactly one of them makes
// the read compaction due and wakes the compaction threads, which merge L0 while the readers and
// a writer go on.
TEST_F(DBConcurrencyTest, SeeksFromSeveralThreadsMakeOneReadCompaction) {
  auto reasons = std::make_shared<CompactionReasons>();
  options_.listeners.push_back(reasons);
  options_.l0_compaction_trigger = 4;
  options_.memtable_bytes = size_t{1} << 20;  // nothing flushes but the explicit flushes
  Open();
  constexpr int kKeys = 300;  // two tables well under Version::kMinSeekBudget * 512 B
  ASSERT_NO_FATAL_FAILURE(WriteTwoOverlappingL0Tables(kKeys));

  Failures failures;
  std::vector<std::thread> threads;
  constexpr int kReaders = 3;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      Random rnd(TestSeed() + static_cast<uint64_t>(r));
      for (uint64_t i = 0; i < Version::kMinSeekBudget; ++i) {
        const int k = static_cast<int>(rnd.Uniform(kKeys));
        auto it = db_->NewIterator(ReadOptions());
        it->Seek(Key(k));
        if (!it->Valid() || it->key() != Key(k) || it->value() != OverlapValue(k)) {
          failures.Add("seek to " + Key(k) + ": " + it->status().ToString());
          return;
        }
      }
    });
  }
  // A writer beside them; nothing flushes, so the seeks charge the one Version until the read
  // compaction installs the next.
  threads.emplace_back([&] {
    for (int i = 0; i < 200; ++i) {
      Status s = db_->Put(WriteOptions(), "w" + std::to_string(i), "x");
      if (!s.ok()) failures.Add("write: " + s.ToString());
    }
  });
  for (auto& thread : threads)
    thread.join();
  ASSERT_EQ(failures.count(), 0) << failures.first();
  ASSERT_TRUE(db_->WaitForBackgroundWork().ok());
  EXPECT_EQ(FilesAtLevel(0), 0);
  EXPECT_EQ(reasons->Take(), std::vector<std::string>{"reads L0->L6"});
  for (int i = 0; i < kKeys; ++i)
    ASSERT_EQ(Get(Key(i)), OverlapValue(i));
}

}  // namespace
}  // namespace ziggydb::test

// Concurrent compactions (max_background_jobs > 2): two compactions run at the same time, the DB
// still equals a std::map model afterwards and across reopens, and the compaction pointers the
// compactions advance survive a reopen (docs/design/compaction.md, docs/format/manifest.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "db/db_impl.h"
#include "db/db_test_util.h"
#include "testutil/testutil.h"
#include "util/mutex.h"
#include "util/random.h"
#include "ziggydb/db.h"

namespace ziggydb::test {
namespace {

constexpr int kKeySpace = 20000;
// Rounds of random writes before giving up on seeing two compactions at once.
constexpr int kMaxRounds = 60;
constexpr int kOpsPerRound = 2000;
// How long a compaction alone in the gate waits for a partner. Only a liveness bound: whether
// the test passes never depends on it, only how many rounds it takes.
constexpr auto kPartnerWait = std::chrono::milliseconds(200);

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08llu", static_cast<unsigned long long>(i));
  return buf;
}

// Installed as the compaction test hook: a compaction entering it waits (bounded) until another
// one is inside too, so that every chance of overlap is taken. `peak` counts compactions inside
// at once: 2 proves two compactions were registered and running at the same moment.
class OverlapGate {
 public:
  void Enter() {
    MutexLock lock(&mu_);
    ++inside_;
    peak_ = std::max(peak_, inside_);
    partner_entered_.NotifyAll();
    const auto deadline = std::chrono::steady_clock::now() + kPartnerWait;
    while (peak_ < 2) {
      if (!partner_entered_.WaitUntil(&mu_, deadline)) break;
    }
    --inside_;
  }
  int peak() {
    MutexLock lock(&mu_);
    return peak_;
  }

 private:
  Mutex mu_;
  CondVar partner_entered_;  // waiters and notifiers: Enter
  int inside_ GUARDED_BY(mu_) = 0;
  int peak_ GUARDED_BY(mu_) = 0;
};

class ConcurrentCompactionTest : public DBTest {
 protected:
  ConcurrentCompactionTest() {
    options_.max_background_jobs = 4;  // a flush thread and three compaction threads
    options_.target_file_size = uint64_t{64} << 10;
    options_.max_bytes_for_level_base = uint64_t{64} << 10;
    options_.level_size_multiplier = 4;  // several levels with work from a few MiB of data
    options_.l0_compaction_trigger = 2;
  }
  DBImpl* impl() { return static_cast<DBImpl*>(db_.get()); }
  std::string Stats() {
    std::string stats;
    EXPECT_TRUE(db_->GetProperty("ziggydb.stats", &stats));
    return stats;
  }
  int PeakFromStats() { return DbStats().peak_compactions_running; }
  // Waits (bounded) until no compaction runs and none is due.
  void WaitForQuiescence() {
    for (int i = 0; i < 6000; ++i) {
      const DBStats stats = DbStats();
      if (stats.pending_compaction_bytes == 0 && stats.compactions_running == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "compactions did not catch up:\n" << Stats();
  }
  void RandomWrites(Random* rnd, int ops) {
    for (int i = 0; i < ops; ++i) {
      const std::string key = Key(rnd->Uniform(kKeySpace));
      if (rnd->OneIn(10)) {
        ASSERT_TRUE(Delete(key).ok());
        model_.erase(key);
      } else {
        std::string value(80 + rnd->Uniform(40), static_cast<char>('a' + rnd->Uniform(26)));
        value += key;
        ASSERT_TRUE(Put(key, value).ok());
        model_[key] = value;
      }
    }
  }
  void CheckAgainstModel() {
    auto iter = db_->NewIterator(ReadOptions());
    auto expected = model_.begin();
    for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++expected) {
      ASSERT_NE(expected, model_.end()) << "extra key " << iter->key();
      ASSERT_EQ(iter->key(), expected->first);
      ASSERT_EQ(iter->value(), expected->second);
    }
    ASSERT_TRUE(iter->status().ok()) << iter->status().ToString();
    ASSERT_EQ(expected, model_.end()) << "missing key " << expected->first;
    for (int i = 0; i < kKeySpace; i += 97) {
      auto it = model_.find(Key(i));
      ASSERT_EQ(Get(Key(i)), it == model_.end() ? "NOT_FOUND" : it->second) << Key(i);
    }
  }

  std::map<std::string, std::string> model_;
};

TEST_F(ConcurrentCompactionTest, TwoCompactionsRunAtOnceAndTheContentMatchesAModel) {
  Open();
  OverlapGate gate;
  impl()->TEST_SetCompactionHook([&gate] { gate.Enter(); });
  Random rnd(TestSeed());
  int rounds = 0;
  while (rounds < kMaxRounds && gate.peak() < 2) {
    RandomWrites(&rnd, kOpsPerRound);
    ++rounds;
  }
  EXPECT_GE(gate.peak(), 2) << "after " << rounds << " rounds:\n" << Stats();
  EXPECT_GE(PeakFromStats(), 2);
  ASSERT_TRUE(db_->Flush().ok());
  WaitForQuiescence();
  CheckAgainstModel();
  // More writes with compactions running freely, then reopen twice (the second after writes
  // that only the WAL holds).
  impl()->TEST_SetCompactionHook(nullptr);
  RandomWrites(&rnd, 3 * kOpsPerRound);
  Reopen();
  CheckAgainstModel();
  RandomWrites(&rnd, kOpsPerRound);
  Reopen();
  CheckAgainstModel();
}

TEST_F(ConcurrentCompactionTest, CompactRangeRunsAloneWhileWritesKeepCompactionsBusy) {
  Open();
  Random rnd(TestSeed());
  RandomWrites(&rnd, 4 * kOpsPerRound);
  // The writer alone touches the model until it is joined. CompactRange waits for the running
  // automatic compactions and holds new ones back (DBImpl asserts it runs alone).
  std::thread writer([&] { RandomWrites(&rnd, 6 * kOpsPerRound); });
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  writer.join();
  CheckAgainstModel();
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  for (int level = 0; level < kNumLevels - 1; ++level)
    EXPECT_EQ(FilesAtLevel(level), 0) << level;
  CheckAgainstModel();
  Reopen();
  CheckAgainstModel();
}

TEST_F(ConcurrentCompactionTest, CompactPointersSurviveReopen) {
  Open();
  Random rnd(TestSeed());
  // Enough data for levels below the base level, whose compactions advance the pointers.
  std::array<std::string, kNumLevels> pointers;
  for (int round = 0; round < kMaxRounds; ++round) {
    RandomWrites(&rnd, kOpsPerRound);
    pointers = impl()->TEST_CompactPointers();
    if (std::any_of(pointers.begin() + 1, pointers.end(),
                    [](const std::string& p) { return !p.empty(); })) {
      break;
    }
  }
  ASSERT_TRUE(db_->Flush().ok());  // so that reopening replays no WAL into a new L0 table
  WaitForQuiescence();
  pointers = impl()->TEST_CompactPointers();
  ASSERT_TRUE(std::any_of(pointers.begin() + 1, pointers.end(), [](const std::string& p) {
    return !p.empty();
  })) << Stats();
  Reopen();
  EXPECT_EQ(impl()->TEST_CompactPointers(), pointers);
  CheckAgainstModel();
  // Reopening twice without an edit between (the second Open snapshots what the first restored).
  Reopen();
  EXPECT_EQ(impl()->TEST_CompactPointers(), pointers);
}

}  // namespace
}  // namespace ziggydb::test

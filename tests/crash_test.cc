// Real-process crash test: a child process writes numbered batches to a DB on the POSIX Env and
// reports each acknowledged one over a pipe; the parent SIGKILLs it after a random 0..30 ms
// (counted from the end of the child's Open, or in one round of four from the fork),
// reopens the DB and checks that
//   1. every acknowledged batch is fully present (with sync=false too: a write is handed to the
//      OS before it is acknowledged, and a process kill loses nothing the OS holds);
//   2. the batches present form a prefix 0..M, with M at least the last acknowledged one;
//   3. no batch is partially applied (batch M+1, which may have been in flight, is wholly absent).
// Batch N holds keys "b<N>-k<i>" (1..8 of them, values of random size drawn from the DB's seed
// and N) and the marker "last" = N, so the parent can rebuild any batch and find M.
//
// Each DB serves kRoundsPerDb kills and then gets a full check of every batch. The parent checks a
// copy of the directory, so each child recovers exactly what the previous kill left (a WAL to
// replay, tables to write) and kills also land inside that recovery. The stress build
// (ZIGGY_CRASH_STRESS, ctest label `stress`) runs many more rounds, bounded by STRESS_SECONDS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fork_kill.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"

namespace ziggydb::test {
namespace {

#if defined(ZIGGY_CRASH_STRESS)
constexpr uint64_t kRoundsBase = 500;  // per variant, times ZIGGY_TEST_SCALE
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizer builds look for memory and race errors on the same paths; kill count matters less.
constexpr uint64_t kRoundsBase = 150;
#else
constexpr uint64_t kRoundsBase = 500;  // 1,000 kills per `make test` run (more in `make stress`)
#endif
constexpr uint64_t kRoundsPerDb = 12;
constexpr uint64_t kKillDelayMicrosMax = 30000;
// A child stops writing (and waits for its kill) after this many batches, which bounds a DB's
// size when the parent is slow to kill.
constexpr uint64_t kChildBatchesMax = 4000;
constexpr const char* kLastKey = "last";

Options CrashOptions() {
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // flushes (and WAL switches) during the kills
  return options;
}

std::string BatchKey(uint64_t n, uint64_t i) {
  return "b" + std::to_string(n) + "-k" + std::to_string(i);
}

// The puts of batch n of the DB with seed db_seed, the marker excluded.
std::vector<std::pair<std::string, std::string>> BatchPuts(uint64_t db_seed, uint64_t n) {
  Random rng(db_seed ^ (n * 0x9e3779b97f4a7c15ULL));
  std::vector<std::pair<std::string, std::string>> puts;
  const uint64_t count = 1 + rng.Uniform(8);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bytes = rng.Uniform(200);
    if (rng.OneIn(10)) bytes = 200 + rng.Uniform(3800);
    if (rng.OneIn(200)) bytes = 4000 + rng.Uniform(36000);  // spans WAL blocks
    puts.emplace_back(BatchKey(n, i), rng.Bytes(bytes));
  }
  return puts;
}

// The child: never returns (a gtest process must not run on in a fork).
[[noreturn]] void ChildMain(const std::string& path, uint64_t db_seed, uint64_t first, bool sync,
                            int fd) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(CrashOptions(), path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "crash_test child: Open: %s\n", s.ToString().c_str());
    ReportToParent(fd, kChildFailed);
    _exit(3);
  }
  ReportToParent(fd, kChildOpened);
  WriteOptions options;
  options.sync = sync;
  for (uint64_t n = first; n < first + kChildBatchesMax; ++n) {
    WriteBatch batch;
    for (const auto& [key, value] : BatchPuts(db_seed, n))
      batch.Put(key, value);
    batch.Put(kLastKey, std::to_string(n));
    s = db->Write(options, batch);
    if (!s.ok()) {
      std::fprintf(stderr, "crash_test child: Write of batch %llu: %s\n",
                   static_cast<unsigned long long>(n), s.ToString().c_str());
      ReportToParent(fd, kChildFailed);
      _exit(4);
    }
    ReportToParent(fd, n);
  }
  while (true)
    pause();
}

// Forks a writer on `path` starting at batch `first` and kills it delay_micros after the fork
// (after_open: after its Open returned), then reaps it.
KillResult ForkWriteKill(const std::string& path, uint64_t db_seed, uint64_t first, bool sync,
                         bool after_open, uint64_t delay_micros) {
  return ForkAndKill([&](int fd) { ChildMain(path, db_seed, first, sync, fd); }, after_open,
                     delay_micros);
}

// Checks every key of batch n: present with its value (want_present) or absent.
void CheckBatch(DB* db, uint64_t db_seed, uint64_t n, bool want_present) {
  std::string value;
  for (const auto& [key, expected] : BatchPuts(db_seed, n)) {
    Status s = db->Get(ReadOptions(), key, &value);
    if (want_present) {
      ASSERT_TRUE(s.ok()) << "batch " << n << " (at or below the marker) lacks " << key << ": "
                          << s.ToString();
      ASSERT_TRUE(value == expected) << "batch " << n << ": wrong value for " << key;
    } else {
      ASSERT_TRUE(s.IsNotFound()) << "batch " << n
                                  << " (above the marker) is partly present: " << key << ": "
                                  << s.ToString();
    }
  }
}

// Marker value meaning "no batch present".
constexpr int64_t kNoBatch = -1;

// Reopens the DB after a kill and checks the three properties. *marker: the highest batch
// present before (in) and after (out) this round, or kNoBatch.
void VerifyAfterKill(const std::string& path, uint64_t db_seed, const KillResult& kill, bool full,
                     Random* rng, int64_t* marker) {
  std::unique_ptr<DB> db;
  Options options = CrashOptions();
  options.create_if_missing = false;
  Status s = DB::Open(options, path, &db);
  if (s.code() == Status::Code::kInvalidArgument && *marker == kNoBatch && kill.acked.empty()) {
    return;  // killed before the first Open created the DB: nothing was promised
  }
  ASSERT_TRUE(s.ok()) << "reopen after the kill: " << s.ToString();
  std::string value;
  s = db->Get(ReadOptions(), kLastKey, &value);
  int64_t now = kNoBatch;
  if (s.ok()) {
    now = static_cast<int64_t>(std::stoull(value));
  } else {
    ASSERT_TRUE(s.IsNotFound()) << s.ToString();
  }
  if (!kill.acked.empty()) {
    ASSERT_GE(now, static_cast<int64_t>(kill.acked.back()))
        << "acknowledged batch " << kill.acked.back() << " lost (the marker says " << now << ")";
  }
  ASSERT_GE(now, *marker) << "batch " << *marker << " vanished";
  const uint64_t next = static_cast<uint64_t>(now + 1);
  // Batches since the last round (and a little before), a sample of older ones, or all.
  const uint64_t since = *marker >= 2 && !full ? static_cast<uint64_t>(*marker - 2) : 0;
  for (uint64_t n = since; n < next; ++n) {
    CheckBatch(db.get(), db_seed, n, true);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 16 && since > 0; ++i) {
    CheckBatch(db.get(), db_seed, rng->Uniform(since), true);
    if (::testing::Test::HasFatalFailure()) return;
  }
  CheckBatch(db.get(), db_seed, next, false);
  CheckBatch(db.get(), db_seed, next + 1, false);
  *marker = now;
}

double StressBudgetSeconds() {
#ifdef ZIGGY_CRASH_STRESS
  double total = 600;
  if (const char* env = std::getenv("STRESS_SECONDS"); env != nullptr) total = std::atof(env);
  return total * 0.45;  // two variants share the ctest timeout
#else
  return 150;  // a safety net on an overloaded machine; normally done in well under a minute
#endif
}

void RunKillRounds(bool sync) {
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const uint64_t rounds = ScaledIterations(kRoundsBase);
  const auto start = std::chrono::steady_clock::now();
  const double budget_seconds = StressBudgetSeconds();
  uint64_t kills = 0;
  uint64_t kills_before_any_ack = 0;
  uint64_t acked_total = 0;
  std::unique_ptr<TempDir> dir;
  uint64_t db_seed = 0;
  int64_t marker = kNoBatch;
  for (uint64_t round = 0; round < rounds; ++round) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() > budget_seconds) {
      std::printf("[ info ] time budget of %.0f s reached after %llu rounds\n", budget_seconds,
                  static_cast<unsigned long long>(round));
      break;
    }
    if (round % kRoundsPerDb == 0) {
      dir = std::make_unique<TempDir>();
      db_seed = rng.Next64();
      marker = kNoBatch;
    }
    SCOPED_TRACE("round " + std::to_string(round) + ", ZIGGY_TEST_SEED=" + std::to_string(seed));
    const std::string path = dir->Join("db");
    const uint64_t first = static_cast<uint64_t>(marker + 1);
    // One kill in four counts from the fork, and so often lands in the child's Open (recovery
    // of what the previous kill left); the others count from the end of Open.
    const bool after_open = !rng.OneIn(4);
    const KillResult kill =
        ForkWriteKill(path, db_seed, first, sync, after_open, rng.Uniform(kKillDelayMicrosMax + 1));
    ASSERT_FALSE(kill.child_failed) << "the writer failed or exited on its own (see its stderr)";
    ++kills;
    acked_total += kill.acked.size();
    if (kill.acked.empty()) ++kills_before_any_ack;
    const bool full = round % kRoundsPerDb == kRoundsPerDb - 1 || round + 1 == rounds;
    // Verify a copy, so that the next child recovers exactly what the kill left (its WAL not yet
    // replayed by our Open) and a kill can land in that recovery.
    const std::string copy = dir->Join("verify");
    std::error_code error;
    std::filesystem::remove_all(copy, error);
    if (std::filesystem::exists(path)) {
      std::filesystem::copy(path, copy, std::filesystem::copy_options::recursive, error);
      ASSERT_FALSE(error) << "copying the DB: " << error.message();
    }
    VerifyAfterKill(copy, db_seed, kill, full, &rng, &marker);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf(
      "[ info ] %llu kills (%llu before the first acknowledgement), %llu batches "
      "acknowledged\n",
      static_cast<unsigned long long>(kills), static_cast<unsigned long long>(kills_before_any_ack),
      static_cast<unsigned long long>(acked_total));
}

TEST(CrashTest, KilledSyncWriterLosesNoAcknowledgedBatch) {
  RunKillRounds(/*sync=*/true);
}

TEST(CrashTest, KilledUnsyncedWriterLosesNoAcknowledgedBatch) {
  RunKillRounds(/*sync=*/false);
}

}  // namespace
}  // namespace ziggydb::test

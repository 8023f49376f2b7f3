// Real-process kills during committing transactions (the pattern of tests/crash_test.cc). A
// forked child runs kWriters threads of transactions with sync=true; each transaction reads the
// counter "seq" = n, writes the keys of commit n+1 ("c<n+1>-k<i>", 1..6 of them, values drawn
// from the DB's seed and n+1) and sets "seq" = n+1. Every pair of such transactions conflicts on
// "seq" (a written key, so at both levels), so the commits that succeed are numbered 1, 2, 3, ...
// in commit order; each acknowledged number goes to the parent over a pipe. The parent SIGKILLs
// the child after a random 0..30 ms, reopens a copy of the DB and checks that
//   1. "seq" = M is at least every acknowledged number and at least the previous round's M;
//   2. commits 1..M are wholly present (the new ones and a sample of older ones each round, all
//      of them on a DB's last round): the committed set is a prefix in commit order, no gaps;
//   3. commits M+1 and M+2 are wholly absent: none is partially applied;
//   4. no number was acknowledged twice (two commits of the same n would be a lost update).
// Rounds alternate the isolation level. The stress build (ZIGGY_TXN_CRASH_STRESS, label
// `stress`) runs many more rounds, bounded by STRESS_SECONDS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fork_kill.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/options.h"
#include "ziggydb/transaction.h"

namespace ziggydb::test {
namespace {

#if defined(ZIGGY_TXN_CRASH_STRESS)
constexpr uint64_t kRoundsBase = 500;  // times ZIGGY_TEST_SCALE
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint64_t kRoundsBase = 16;
#else
constexpr uint64_t kRoundsBase = 40;
#endif
constexpr uint64_t kRoundsPerDb = 10;
constexpr int kWriters = 3;
constexpr uint64_t kKillDelayMicrosMax = 30000;
// The child's writers stop (and wait for the kill) at this commit number, bounding a DB's size.
constexpr uint64_t kCommitsPerChildMax = 3000;
constexpr uint64_t kAttemptsMax = 10000;
constexpr const char* kSeqKey = "seq";

Options CrashOptions() {
  Options options;
  options.create_if_missing = true;
  options.memtable_bytes = size_t{64} << 10;  // flushes and WAL switches during the kills
  return options;
}

std::string CommitKey(uint64_t n, uint64_t i) {
  return "c" + std::to_string(n) + "-k" + std::to_string(i);
}

// The puts of commit n of the DB with seed db_seed, "seq" excluded.
std::vector<std::pair<std::string, std::string>> CommitPuts(uint64_t db_seed, uint64_t n) {
  Random rng(db_seed ^ (n * 0x9e3779b97f4a7c15ULL));
  std::vector<std::pair<std::string, std::string>> puts;
  const uint64_t count = 1 + rng.Uniform(6);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bytes = rng.Uniform(300);
    if (rng.OneIn(20)) bytes = 300 + rng.Uniform(8000);
    puts.emplace_back(CommitKey(n, i), rng.Bytes(bytes));
  }
  return puts;
}

// One commit attempt: OK, Busy (retry) or an error.
Status CommitNext(DB* db, IsolationLevel isolation, uint64_t db_seed, uint64_t* committed) {
  WriteOptions write_options;
  write_options.sync = true;
  TransactionOptions options;
  options.isolation = isolation;
  std::unique_ptr<Transaction> txn = db->BeginTransaction(write_options, options);
  std::string value;
  Status s = txn->Get(ReadOptions(), kSeqKey, &value);
  if (!s.ok() && !s.IsNotFound()) return s;
  const uint64_t n = (s.ok() ? std::stoull(value) : 0) + 1;
  if (n > kCommitsPerChildMax) return Status::NotSupported("enough commits");
  for (const auto& [key, bytes] : CommitPuts(db_seed, n)) {
    s = txn->Put(key, bytes);
    if (!s.ok()) return s;
  }
  s = txn->Put(kSeqKey, std::to_string(n));
  if (s.ok()) s = txn->Commit();
  if (s.ok()) *committed = n;
  return s;
}

// The child: never returns (a gtest process must not run on in a fork).
[[noreturn]] void ChildMain(const std::string& path, uint64_t db_seed, IsolationLevel isolation,
                            int fd) {
  std::unique_ptr<DB> db;
  const Status s = DB::Open(CrashOptions(), path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "txn_crash_test child: Open: %s\n", s.ToString().c_str());
    ReportToParent(fd, kChildFailed);
    _exit(3);
  }
  ReportToParent(fd, kChildOpened);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&db, db_seed, isolation, fd] {
      uint64_t busy_in_a_row = 0;
      while (busy_in_a_row < kAttemptsMax) {
        uint64_t n = 0;
        const Status s = CommitNext(db.get(), isolation, db_seed, &n);
        if (s.ok()) {
          ReportToParent(fd, n);
          busy_in_a_row = 0;
        } else if (s.IsBusy()) {
          ++busy_in_a_row;
        } else if (s.IsNotSupported()) {
          break;  // enough commits: wait for the kill
        } else {
          std::fprintf(stderr, "txn_crash_test child: commit: %s\n", s.ToString().c_str());
          ReportToParent(fd, kChildFailed);
          _exit(4);
        }
      }
      if (busy_in_a_row >= kAttemptsMax) {
        std::fprintf(stderr, "txn_crash_test child: %llu Busy in a row\n",
                     static_cast<unsigned long long>(kAttemptsMax));
        ReportToParent(fd, kChildFailed);
        _exit(6);
      }
      while (true)
        pause();
    });
  }
  while (true)
    pause();
}

// Forks the child on `path` and kills it delay_micros after its Open returned, then reaps it.
KillResult ForkCommitKill(const std::string& path, uint64_t db_seed, IsolationLevel isolation,
                          uint64_t delay_micros) {
  return ForkAndKill([&](int fd) { ChildMain(path, db_seed, isolation, fd); },
                     /*after_open=*/true, delay_micros);
}

void CheckCommit(DB* db, uint64_t db_seed, uint64_t n, bool want_present) {
  std::string value;
  for (const auto& [key, expected] : CommitPuts(db_seed, n)) {
    const Status s = db->Get(ReadOptions(), key, &value);
    if (want_present) {
      ASSERT_TRUE(s.ok()) << "commit " << n << " (at or below seq) lacks " << key << ": "
                          << s.ToString();
      ASSERT_TRUE(value == expected) << "commit " << n << ": wrong value for " << key;
    } else {
      ASSERT_TRUE(s.IsNotFound()) << "commit " << n << " (above seq) is partly present: " << key
                                  << ": " << s.ToString();
    }
  }
}

// Reopens the DB at `path` after a kill and checks the four properties; *seq: the previous
// round's M (in) and this round's (out).
void VerifyAfterKill(const std::string& path, uint64_t db_seed, const KillResult& kill, bool full,
                     Random* rng, uint64_t* seq) {
  std::set<uint64_t> distinct(kill.acked.begin(), kill.acked.end());
  ASSERT_EQ(distinct.size(), kill.acked.size()) << "a commit number was acknowledged twice";
  Options options = CrashOptions();
  options.create_if_missing = false;
  std::unique_ptr<DB> db;
  const Status open = DB::Open(options, path, &db);
  ASSERT_TRUE(open.ok()) << "reopen after the kill: " << open.ToString();
  std::string value;
  const Status s = db->Get(ReadOptions(), kSeqKey, &value);
  ASSERT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
  const uint64_t now = s.ok() ? std::stoull(value) : 0;
  if (!distinct.empty()) {
    ASSERT_GE(now, *distinct.rbegin())
        << "acknowledged commit " << *distinct.rbegin() << " lost (seq is " << now << ")";
  }
  ASSERT_GE(now, *seq) << "commit " << *seq << " vanished";
  const uint64_t since = *seq > 2 && !full ? *seq - 2 : 1;
  for (uint64_t n = since; n <= now; ++n) {
    CheckCommit(db.get(), db_seed, n, true);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 16 && since > 1; ++i) {
    CheckCommit(db.get(), db_seed, 1 + rng->Uniform(since - 1), true);
    if (::testing::Test::HasFatalFailure()) return;
  }
  CheckCommit(db.get(), db_seed, now + 1, false);
  CheckCommit(db.get(), db_seed, now + 2, false);
  *seq = now;
}

double BudgetSeconds() {
#ifdef ZIGGY_TXN_CRASH_STRESS
  double total = 600;
  if (const char* env = std::getenv("STRESS_SECONDS"); env != nullptr) total = std::atof(env);
  return total * 0.9;
#else
  return 120;  // a safety net on an overloaded machine; normally a few seconds
#endif
}

TEST(TxnCrashTest, KilledCommittersLoseNoAcknowledgedCommitAndLeaveAPrefix) {
  const uint64_t seed = TestSeed();
  Random rng(seed);
  const uint64_t rounds = ScaledIterations(kRoundsBase);
  const auto start = std::chrono::steady_clock::now();
  uint64_t kills = 0;
  uint64_t acked_total = 0;
  uint64_t seq_total = 0;
  std::unique_ptr<TempDir> dir;
  uint64_t db_seed = 0;
  uint64_t seq = 0;
  for (uint64_t round = 0; round < rounds; ++round) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() > BudgetSeconds()) {
      std::printf("[ info ] time budget reached after %llu rounds\n",
                  static_cast<unsigned long long>(round));
      break;
    }
    if (round % kRoundsPerDb == 0) {
      if (dir != nullptr) seq_total += seq;
      dir = std::make_unique<TempDir>();
      db_seed = rng.Next64();
      seq = 0;
    }
    const IsolationLevel isolation =
        round % 2 == 0 ? IsolationLevel::kSnapshot : IsolationLevel::kSerializable;
    SCOPED_TRACE("round " + std::to_string(round) + ", ZIGGY_TEST_SEED=" + std::to_string(seed));
    const std::string path = dir->Join("db");
    const KillResult kill =
        ForkCommitKill(path, db_seed, isolation, rng.Uniform(kKillDelayMicrosMax + 1));
    ASSERT_FALSE(kill.child_failed) << "the child failed or exited on its own (see its stderr)";
    ++kills;
    acked_total += kill.acked.size();
    // Verify a copy, so that the next child recovers exactly what the kill left.
    const std::string copy = dir->Join("verify");
    std::error_code error;
    std::filesystem::remove_all(copy, error);
    std::filesystem::copy(path, copy, std::filesystem::copy_options::recursive, error);
    ASSERT_FALSE(error) << "copying the DB: " << error.message();
    const bool full = round % kRoundsPerDb == kRoundsPerDb - 1 || round + 1 == rounds;
    VerifyAfterKill(copy, db_seed, kill, full, &rng, &seq);
    if (::testing::Test::HasFatalFailure()) return;
  }
  seq_total += seq;
  std::printf("[ info ] %llu kills, %llu commits acknowledged, %llu found after the kills\n",
              static_cast<unsigned long long>(kills), static_cast<unsigned long long>(acked_total),
              static_cast<unsigned long long>(seq_total));
  EXPECT_GT(acked_total, 0u);
}

}  // namespace
}  // namespace ziggydb::test
